"""Following child builds: one poll loop for one child or many (README, "Decisions where the
contract is silent"; docs/performance.md for the poll interval).

The loop sleeps until the earliest event of any child (its next poll, or its deadline),
polls that child, and returns when a child reaches an outcome, so the caller decides what
happens next (start the next child, terminate the others, write outputs).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from cfstep.codefresh.answers import Build
from cfstep.codefresh.client import CodefreshClient
from cfstep.console import Console, duration
from cfstep.errors import ApiError, TransientApiError
from cfstep.model import FINAL_STATUSES, RUNNING_STATUSES, Outcome
from cfstep.timing import Backoff, Clock, Deadline, Jitter, Sleep, poll_interval

HEARTBEAT_SECONDS = 60.0
HEARTBEAT_NAMED_CHILDREN = 5  # a fan-out's heartbeat names up to this many, else counts
TRANSIENT_REPORT_SECONDS = 60.0


@dataclass
class Child:
    """One child build as the step sees it."""

    index: int
    label: str
    build_id: str
    url: str
    started_at: float  # clock() when the run request succeeded (or following began)
    deadline: float
    status: str | None = None
    build: Build | None = None
    # The BUILD_STATUS to export once the child is done with: an Outcome, or the final
    # status Codefresh reported when cfstep does not know it.
    outcome: str | None = None
    stopped_by_step: bool = False
    next_poll: float = 0.0
    transient_errors: int = 0
    said_unknown: bool = False  # a status cfstep does not know was reported once
    last_report: float = field(default=-1e18)

    def elapsed(self, now: float) -> float:
        return now - self.started_at


class Follower:
    def __init__(
        self,
        client: CodefreshClient,
        console: Console,
        *,
        clock: Clock,
        sleep: Sleep,
        jitter: Jitter,
        poll_max_seconds: float,
        on_approval: str,
        show_labels: bool,
        on_poll: Callable[[Child], None] = lambda child: None,
    ) -> None:
        self.client = client
        self.console = console
        self._clock = clock
        self._sleep = sleep
        self._jitter = jitter
        self._poll_max = poll_max_seconds
        self._on_approval = on_approval
        self._show_labels = show_labels
        self._on_poll = on_poll  # live logs start once a poll has given the progress id
        self._backoff = Backoff(base=1.0, cap=poll_max_seconds)
        self._last_line = clock()

    def schedule_first_poll(self, child: Child) -> None:
        child.next_poll = child.started_at + poll_interval(0.0, self._poll_max, self._jitter())

    def wait_for_next_outcome(self, active: list[Child]) -> Child:
        """Poll until one of `active` has an outcome (its end, an approval the step does not
        wait for, or its deadline: outcome `timeout`), and return it."""
        while True:
            child = min(active, key=lambda c: min(c.next_poll, c.deadline))
            now = self._clock()
            wake = min(child.next_poll, child.deadline)
            if wake > now:
                self._heartbeat(active, now)
                self._sleep(min(wake - now, self._until_heartbeat(now)))
                continue
            if now >= child.deadline:
                child.outcome = Outcome.TIMEOUT
                return child
            self.poll(child)
            if child.outcome is not None:
                return child

    def poll(self, child: Child) -> None:
        now = self._clock()
        try:
            build = self.client.get_build(child.build_id, timeout=max(0.1, child.deadline - now))
        except TransientApiError as exc:
            self._transient(child, exc, now)
            return
        if child.transient_errors:
            self._line(
                child,
                f"the API answers again after {child.transient_errors} failed status requests",
            )
        child.transient_errors = 0
        child.build = build
        self._observe(child, build)
        self._on_poll(child)
        now = self._clock()
        child.next_poll = now + poll_interval(child.elapsed(now), self._poll_max, self._jitter())

    def _observe(self, child: Child, build: Build) -> None:
        status = build.status
        if status != child.status:
            before = f"{child.status} → " if child.status else ""
            self._line(child, f"{before}{status}")
            child.status = status
        if status in FINAL_STATUSES:
            child.outcome = status
        elif status not in RUNNING_STATUSES:
            self._unknown(child, build)
        elif status == "pending-approval" and self._on_approval != "wait":
            child.outcome = Outcome.PENDING_APPROVAL

    def _unknown(self, child: Child, build: Build) -> None:
        """A status cfstep does not know: an end (a failure, exported raw) only when the
        build also has a `finished` time; otherwise Codefresh may have added a running
        state, so keep waiting, as its own CLI does, the deadline applying as always."""
        if build.finished is not None:
            child.outcome = build.status
        elif not child.said_unknown:
            child.said_unknown = True
            self._line(
                child,
                f"status {build.status!r} is not one cfstep knows and the build has no "
                "finished time: waiting for a final status",
            )

    def _transient(self, child: Child, exc: TransientApiError, now: float) -> None:
        """Never ends the wait: retry with backoff (Retry-After honoured) until the deadline."""
        delay = self._backoff.delay(child.transient_errors, self._jitter(), exc.retry_after)
        child.transient_errors += 1
        child.next_poll = min(now + delay, child.deadline)
        if now - child.last_report >= TRANSIENT_REPORT_SECONDS:
            child.last_report = now
            self._line(child, f"status request failed: {exc.message} — retrying until the timeout")

    def _heartbeat(self, active: list[Child], now: float) -> None:
        if now - self._last_line < HEARTBEAT_SECONDS:
            return
        if not self._show_labels:
            for child in active:
                self._line(child, f"still {child.status or 'starting'}")
            return
        # Fan-out: one line for all, so a hundred quiet children do not print a hundred.
        if len(active) <= HEARTBEAT_NAMED_CHILDREN:
            states = ", ".join(f"{_name(c)} {c.status or 'starting'}" for c in active)
        else:
            counts = Counter(c.status or "starting" for c in active)
            states = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        self._last_line = now
        longest = max(c.elapsed(now) for c in active)
        self.console.say(
            f"[{duration(longest):>6}] still waiting for {len(active)} children: {states}"
        )

    def _until_heartbeat(self, now: float) -> float:
        return max(0.001, self._last_line + HEARTBEAT_SECONDS - now)

    def _line(self, child: Child, text: str) -> None:
        now = self._clock()
        self._last_line = now
        label = f"{_name(child)} " if self._show_labels else ""
        self.console.say(f"[{duration(child.elapsed(now)):>6}] {label}{text}")

    def terminate(self, child: Child, budget_seconds: float) -> bool:
        """DELETE the child's progress; True when Codefresh accepted it within the budget.
        A refusal (a redirect, 401, 403, 404) is reported, not raised, so a timeout still
        exits 3 and a cancel still exits 143 with its outputs written."""
        deadline = Deadline.after(self._clock, budget_seconds)  # one budget for both requests
        try:
            progress = self.client.retrying(
                lambda t: self._progress_of(child, t), deadline.remaining()
            )
            if progress is None:
                self.console.say(f"cannot terminate {child.build_id}: it has no progress id")
                return False
            self.client.retrying(
                lambda t: self.client.terminate(progress, timeout=t), deadline.remaining()
            )
        except ApiError as exc:
            self.console.say(
                f"could not terminate {child.build_id}: {exc.message}; stop it at {child.url}"
            )
            return False
        self._line(child, "termination requested")
        return True

    def _progress_of(self, child: Child, timeout: float) -> str | None:
        if child.build is None or child.build.progress is None:
            child.build = self.client.get_build(child.build_id, timeout)
        return child.build.progress

    def reported_duration(self, child: Child, now: float) -> float:
        measured = child.build.duration_seconds() if child.build else None
        return measured if measured is not None else child.elapsed(now)


def _name(child: Child) -> str:
    """How a fan-out's lines name a child: its place in the list, then its pipeline, since
    the same pipeline may run several times (a VARIABLE_FILE list)."""
    return f"#{child.index} {child.label}"
