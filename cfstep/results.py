"""What a run amounts to: each child's exit code, the closing message, the values a child
hands back, the summary table (SPEC §3, §6, §7)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from cfstep.errors import CfstepError, ChildFailed, ChildTerminated, WaitTimedOut
from cfstep.follow import Child
from cfstep.inputs import Config

_OUTPUT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OWN_OUTPUTS = ("BUILD_",)


def exit_code(outcome: str | None, config: Config) -> int:
    """The exit code one child's outcome stands for (SPEC §7)."""
    match outcome:
        case "success" | "detached" | "skipped" | "not-started" | None:
            code = 0
        case "pending-approval":
            code = 2 if config.on_approval == "fail" else 0
        case "terminated":
            code = 2
        case "timeout":
            return 3
        case _:
            code = 1
    return code if config.propagate_failure else 0


def failure(code: int, child: Child) -> CfstepError:
    """The one-line error for a child that makes the step fail."""
    what = f"child build {child.build_id} of {child.label}"
    match code:
        case 3:
            return WaitTimedOut(
                f"{what} did not end within TIMEOUT_MINS"
                f" (status {child.status}) — raise TIMEOUT_MINS or set "
                f"ON_TIMEOUT; see {child.url}"
            )
        case 2:
            return ChildTerminated(f"{what} ended {child.outcome} — see {child.url}")
        case _:
            return ChildFailed(
                f"{what} ended in {child.outcome} — see its log above or at {child.url}"
            )


def whole(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds)


def returned_values(found: Mapping[str, str], prefix: str) -> tuple[dict[str, str], list[str]]:
    """The annotations `<prefix><NAME>` as {NAME: value}, and the keys refused: a NAME that
    would break the export file or overwrite the step's own BUILD_* outputs."""
    returned: dict[str, str] = {}
    refused: list[str] = []
    for key, value in found.items():
        name = key[len(prefix) :]
        if not key.startswith(prefix) or not name:
            continue
        if _OUTPUT_NAME.fullmatch(name) and not name.startswith(_OWN_OUTPUTS):
            returned[name] = value
        else:
            refused.append(key)
    return returned, refused


def table(rows: Sequence[tuple[str, ...]]) -> list[str]:
    """Columns padded to their widest cell; the last one (the URL) left as it is."""
    widths = [max(len(row[col]) for row in rows) for col in range(len(rows[0]) - 1)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
        + "  "
        + row[-1]
        for row in rows
    ]
