"""A misspelt input in the environment: not an error, since a step's environment is full of
other variables (the pipeline's own, Codefresh's `CF_*`), but a near miss of an input that
was not given earns one warning line, because the step would otherwise ignore it silently
(`SECRET=…` sends no secret, `PIPELINE_IDS=…` names no pipeline).

A near miss is the name of an input with an `S` added or taken away (`PIPELINE_IDS`,
`SECRET`, `VARIABLES`), or, for names of seven characters or more, one letter added, taken
away, changed or two swapped (`PIPELNE_ID`, `TIMEOUT_MIN`). Shorter names are too easily
another tool's own (`SHA1`, `BRANCHES` is left to the plural rule). README, "Inputs".
"""

from __future__ import annotations

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Collection, Iterable

MIN_EDITED_LENGTH = 7


def near_misses(names: Iterable[str], inputs: Collection[str]) -> list[tuple[str, str]]:
    """`(name, input)` for each name that is not an input but nearly one."""
    # Both rules need lengths at most one apart: each name of a step's environment (often
    # hundreds) is compared with those inputs only, in the table's order, not with all.
    within_one: dict[int, list[str]] = {}
    for known in inputs:
        for length in (len(known) - 1, len(known), len(known) + 1):
            within_one.setdefault(length, []).append(known)
    found = []
    for name in sorted(names):
        if name in inputs or name.startswith("CF_") or not name.isupper():
            continue
        for known in within_one.get(len(name), ()):
            if _plural_of(name, known) or (
                min(len(name), len(known)) >= MIN_EDITED_LENGTH and one_edit_apart(name, known)
            ):
                found.append((name, known))
                break
    return found


def _plural_of(name: str, known: str) -> bool:
    return name == known + "S" or known == name + "S"


def one_edit_apart(a: str, b: str) -> bool:
    """One character added, taken away or changed, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    if len(a) == len(b):
        if a[start + 1 :] == b[start + 1 :]:
            return True  # changed
        swapped = a[start : start + 2] == b[start : start + 2][::-1]
        return swapped and a[start + 2 :] == b[start + 2 :]
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[start + 1 :] == shorter[start:]
