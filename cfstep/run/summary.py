"""What the step tells at the end of a run: children never started, the overall status,
the output JSON, the summary table, and the closing line of a run that fails, which says
what happened and what to do (README, "Outputs", "Exit codes"; docs/output.md).

Only tells: it reads the run's state and the policy's verdict.
"""

from __future__ import annotations

from cfstep import outputs
from cfstep.console import clip, duration
from cfstep.errors import ChildFailed, ChildTerminated, WaitTimedOut
from cfstep.model import ExitCode, Outcome
from cfstep.run.policy import OnTimeout, timeout_rule

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from cfstep.console import Console
    from cfstep.errors import CfstepError
    from cfstep.model import Config
    from cfstep.run.report import Report
    from cfstep.run.state import Child, RunState
    from cfstep.timing import Clock

STATUS_COLUMN = 3  # of the summary table
UNREAD_REASON_CHARS = 200  # the closing line stays one readable line


class Summary:
    def __init__(
        self,
        *,
        config: Config,
        console: Console,
        clock: Clock,
        exporter: outputs.Exporter,
        state: RunState,
        report: Report,
    ) -> None:
        self.config = config
        self.console = console
        self.clock = clock
        self.exporter = exporter
        self.state = state
        self.report = report

    def close(self, worst: Child | None) -> None:
        """The run is over: the lists of ids, children never started, the overall status,
        the JSON document, the summary table."""
        self.report.all_started()
        if self.state.many:
            never = self.state.never_started()
            if never:
                skipped = {f"BUILD_STATUS_{i}": Outcome.SKIPPED for i in never}
                self.exporter.export(skipped, mask=False)
            self._overall(worst)
        if self.config.output_json is not None:
            outputs.write_json(self.config.output_json, self._document(), self.console)
        if self.state.many:
            for line in table(self._rows(), self.report.status_word, STATUS_COLUMN):
                self.console.say(line)

    def _overall(self, worst: Child | None) -> None:
        """A fan-out's BUILD_STATUS: the worst result, `skipped` when no child ran."""
        if worst is not None:
            status = worst.outcome or ""
        elif self.state.all_skipped:
            status = Outcome.SKIPPED
        else:
            return
        seconds = self.clock() - self.state.started_at
        self.exporter.export(
            {"BUILD_STATUS": status, "BUILD_DURATION_SECONDS": f"{seconds:.0f}"}, mask=False
        )

    def _pipeline(self, index: int) -> str:
        children = self.config.children
        return children[index - 1].pipeline if index <= len(children) else ""

    def _document(self) -> dict[str, object]:
        return {"outputs": dict(self.exporter.values), "children": self._json_children()}

    def _json_children(self) -> list[dict[str, object]]:
        entries: list[dict[str, object]] = []
        for i in range(1, self.state.planned + 1):
            c = self.state.child(i)
            entry: dict[str, object] = {
                "index": i,
                "pipeline": c.pipeline if c else self._pipeline(i),
                "build_id": c.build_id if c else None,
                "url": c.url if c else None,
                "status": (c.outcome or c.status) if c else Outcome.SKIPPED,
                "stopped_by_step": c.stopped_by_step if c else False,
                "duration_seconds": _whole(self.state.durations.get(i)),
                "returned": {
                    k: self.console.mask(v) for k, v in self.state.returned.get(i, {}).items()
                },
            }
            reason = self.state.skip_reason(i)
            if reason is not None:
                entry["reason"] = self.console.mask(reason)
            entries.append(entry)
        return entries

    def _rows(self) -> list[tuple[str, ...]]:
        now = self.clock()
        rows: list[tuple[str, ...]] = [("#", "pipeline", "build", "status", "duration", "url")]
        for i in range(1, self.state.planned + 1):
            c = self.state.child(i)
            if c is None:
                status = "skipped" if self.state.skip_reason(i) is not None else "not started"
                rows.append((str(i), self._pipeline(i), "-", status, "-", "-"))
            else:
                seconds = duration(c.duration(now))
                rows.append((str(i), c.pipeline, c.build_id, c.outcome or "?", seconds, c.url))
        return rows

    # -- the verdict --------------------------------------------------------------------------

    def not_failing(self, worst: Child) -> None:
        self.console.say(
            f"warning: {worst.pipeline} ended {worst.outcome}; not failing "
            "this step (PROPAGATE_FAILURE=false)"
        )

    def failure(self, code: ExitCode, child: Child) -> CfstepError:
        """The closing line of a run whose child makes it fail: what happened — what to do."""
        what = f"child build {child.build_id} of {child.pipeline}"
        match code:
            case ExitCode.TIMED_OUT:
                return WaitTimedOut(self._timed_out(what, child))
            case ExitCode.CHILD_TERMINATED if child.outcome == Outcome.PENDING_APPROVAL:
                return ChildTerminated(
                    f"{what} ended pending-approval (ON_APPROVAL=fail) — approve or reject "
                    f"it at {child.url}, or set ON_APPROVAL=wait to wait for the decision"
                )
            case ExitCode.CHILD_TERMINATED:
                return ChildTerminated(
                    f"{what} ended {child.outcome} — see who stopped it at {child.url}"
                )
            case _:
                return ChildFailed(
                    f"{what} ended in {child.outcome} — see its log above or at {child.url}"
                )

    def _timed_out(self, what: str, child: Child) -> str:
        limit = duration(self.config.timeout_seconds)
        head = f"{what} did not end within TIMEOUT_MINS ({limit}; {_last_seen(child)})"
        if OnTimeout(self.config.on_timeout) is OnTimeout.TERMINATE:
            return (
                f"{head}; {timeout_rule(self.config)} asked Codefresh to terminate it — "
                f"raise TIMEOUT_MINS if it needs longer; see {child.url}"
            )
        return (
            f"{head}, left running — raise TIMEOUT_MINS, or set ON_TIMEOUT=terminate to stop "
            f"it or ON_TIMEOUT=detach to leave it and exit 0; see {child.url}"
        )


def _last_seen(child: Child) -> str:
    """What the step last knew of a child: its status, and the status answers it could not
    read since (while Codefresh is unreachable, they are retried until the timeout)."""
    status = f"status {child.status}" if child.status else "no status read yet"
    if not child.unread_answers:
        return status
    reason = clip(" ".join(child.last_unread.split()), UNREAD_REASON_CHARS)
    if child.unread_answers == 1:
        unread = f"the last status answer could not be read: {reason}"
    else:
        unread = f"the last {child.unread_answers} status answers could not be read: {reason}"
    if child.status:
        return f"last status {child.status}; {unread}"
    return f"no status read: {unread}"


def _whole(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds)


def table(
    rows: Sequence[tuple[str, ...]], paint: Callable[[str], str] = str, column: int = -1
) -> list[str]:
    """Columns padded to their widest cell; the last one (the URL) left as it is. The cells
    of `column` below the header go through `paint` (a status coloured), padded outside it."""
    widths = [max(len(row[col]) for row in rows) for col in range(len(rows[0]) - 1)]
    lines = []
    for number, row in enumerate(rows):
        cells = [
            (paint(cell) if number and col == column else cell) + " " * (width - len(cell))
            for col, (cell, width) in enumerate(zip(row, widths, strict=False))
        ]
        lines.append("  ".join(cells) + "  " + row[-1])
    return lines
