"""The run's state, with one owner: each child of the list waiting, decided not to run,
running or done with; how long each took, what each handed back, and the first failure.

The scheduler changes it; the policy, the report, the summary and the wind-down read it
(docs/architecture.md).

A child can be decided not to run before its trigger (`RunState.skip`): it is then exported
`skipped`, shown in the summary and the output JSON with its reason, and a run whose every
child was skipped exits 0 (docs/fanout.md, "Children decided not to run").
"""

from __future__ import annotations

from dataclasses import dataclass

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from cfstep.codefresh.answers import Build


def label(index: int, pipeline: str, *, many: bool) -> str:
    """How every line names a child: in a fan-out its place and pipeline (`#2 shop/deploy`),
    since one pipeline may run several times; alone, its pipeline."""
    return f"#{index} {pipeline}" if many else pipeline


@dataclass
class Child:
    """One child build the step started (or follows): what is known of it so far."""

    index: int  # its place in the list, from 1
    pipeline: str  # the pipeline, or the build id when following BUILD_ID
    name: str  # `label(...)`: how the log names it
    build_id: str
    url: str
    started_at: float  # clock() when the run request succeeded (or following began)
    deadline: float
    status: str | None = None  # the last status read
    build: Build | None = None  # the last answer read
    # The BUILD_STATUS to export once the child is done with: an Outcome, or the final
    # status Codefresh reported when cfstep does not know it.
    outcome: str | None = None
    stopped_by_step: bool = False  # terminated (or given up on) by this step itself
    unread_answers: int = 0  # status answers in a row that could not be read
    last_unread: str = ""  # why the last of them could not

    def elapsed(self, now: float) -> float:
        return now - self.started_at

    def status_text(self) -> str:
        """The last status for a message: never "None" when none was read yet."""
        return self.status or "not read yet"

    def duration(self, now: float) -> float:
        """Codefresh's `finished - created` when the build has them, else the time since
        its start as the step saw it."""
        measured = self.build.duration_seconds() if self.build else None
        return measured if measured is not None else self.elapsed(now)


class RunState:
    """Every child of the list, from the decision to run it to its end. A plain class, not
    a dataclass: one less class generated at start-up (docs/performance.md)."""

    def __init__(self, *, planned: int, started_at: float) -> None:
        self.planned = planned  # children in the list (1 when following BUILD_ID)
        self.started_at = started_at
        self.many = planned > 1
        self.active: list[Child] = []  # started and not done with
        self.first_failure: Child | None = None
        self.durations: dict[int, float] = {}  # by index, once done with
        self.returned: dict[int, dict[str, str]] = {}  # values back, by index
        self._started: dict[int, Child] = {}
        self._skipped: dict[int, str] = {}  # by index: why not run

    def name(self, index: int, pipeline: str) -> str:
        return label(index, pipeline, many=self.many)

    # -- before the trigger ---------------------------------------------------------------

    def skip(self, index: int, reason: str) -> None:
        """The hook for a decision taken before any trigger (only what changed, in a
        monorepo): child `index` (from 1) is not started. `reason` is one line that says
        why, without the child's name (the report adds it)."""
        if not 1 <= index <= self.planned:
            raise ValueError(f"no child {index} among {self.planned}")
        self._skipped[index] = reason

    def skip_reason(self, index: int) -> str | None:
        return self._skipped.get(index)

    @property
    def all_skipped(self) -> bool:
        return len(self._skipped) == self.planned

    # -- while it runs --------------------------------------------------------------------

    def started(self, child: Child, *, followed: bool) -> None:
        """The child exists; `followed` unless it is left to run on its own (DETACH)."""
        self._started[child.index] = child
        if followed:
            self.active.append(child)

    def done(self, child: Child, seconds: float) -> None:
        """Done with: no longer followed, its duration known."""
        if child in self.active:
            self.active.remove(child)
        self.durations[child.index] = seconds

    def failed(self, child: Child) -> bool:
        """Note a child that fails; True when it is the run's first failure."""
        if self.first_failure is not None:
            return False
        self.first_failure = child
        return True

    # -- reading ----------------------------------------------------------------------------

    def child(self, index: int) -> Child | None:
        return self._started.get(index)

    @property
    def children(self) -> list[Child]:
        """The children started so far, in list order."""
        return [self._started[i] for i in sorted(self._started)]

    @property
    def ended(self) -> list[Child]:
        """The children with an outcome, in list order."""
        return [c for c in self.children if c.outcome is not None]

    def never_started(self) -> list[int]:
        """The indexes neither started nor skipped by a decision (FAIL_FAST, a cancel)."""
        return [
            i
            for i in range(1, self.planned + 1)
            if i not in self._started and i not in self._skipped
        ]
