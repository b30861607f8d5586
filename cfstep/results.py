"""What a run amounts to: each child's exit code, the closing message, the values a child
hands back, the summary table (README, "Outputs", "Exit codes")."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from cfstep.errors import CfstepError, ChildFailed, ChildTerminated, WaitTimedOut
from cfstep.follow import Child
from cfstep.model import EXIT_CODES, Config, ExitCode, Outcome

_OUTPUT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OWN_OUTPUTS = ("BUILD_",)


def exit_code(outcome: str | None, config: Config) -> ExitCode:
    """The exit code one child's outcome stands for: `EXIT_CODES`, where ON_APPROVAL=fail
    makes an approval a failure and PROPAGATE_FAILURE=false forgives all but a timeout."""
    if outcome is None:  # not done with yet
        return ExitCode.OK
    if outcome == Outcome.TIMEOUT:
        return ExitCode.TIMED_OUT
    if outcome == Outcome.PENDING_APPROVAL and config.on_approval == "fail":
        code = ExitCode.CHILD_TERMINATED
    else:
        code = EXIT_CODES.get(outcome, ExitCode.CHILD_FAILED)
    return code if config.propagate_failure else ExitCode.OK


def failure(code: ExitCode, child: Child) -> CfstepError:
    """The one-line error for a child that makes the step fail."""
    what = f"child build {child.build_id} of {child.label}"
    match code:
        case ExitCode.TIMED_OUT:
            return WaitTimedOut(
                f"{what} did not end within TIMEOUT_MINS"
                f" (status {child.status}) — raise TIMEOUT_MINS or set "
                f"ON_TIMEOUT; see {child.url}"
            )
        case ExitCode.CHILD_TERMINATED:
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
