"""Following child builds: one poll loop for one child or many, and termination (docs/decisions.md;
docs/performance.md for the poll interval).

The loop sleeps until the earliest event of any child (its next poll, or its deadline),
polls that child, and returns when a child reaches an outcome, so the scheduler decides what
happens next (start the next child, terminate the others, write outputs). What it sees is
written into the child's state and told by the report.
"""

from __future__ import annotations

from cfstep.errors import ApiError, TransientApiError
from cfstep.model import FINAL_STATUSES, RUNNING_STATUSES, Outcome
from cfstep.timing import Backoff, Deadline, poll_interval

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Callable

    from cfstep.codefresh.answers import Build
    from cfstep.codefresh.client import CodefreshClient
    from cfstep.run.report import Report
    from cfstep.run.state import Child
    from cfstep.timing import Clock, Jitter, Sleep

HEARTBEAT_SECONDS = 60.0
TRANSIENT_REPORT_SECONDS = 60.0


class _Polls:
    """When a child is polled next, and what the loop has already said about it."""

    __slots__ = ("last_report", "next_poll", "said_unknown")

    def __init__(self, next_poll: float) -> None:
        self.next_poll = next_poll
        self.said_unknown = False  # a status cfstep does not know was reported once
        self.last_report = -1e18  # the last "status request failed" line


class Follower:
    def __init__(
        self,
        client: CodefreshClient,
        report: Report,
        *,
        clock: Clock,
        sleep: Sleep,
        jitter: Jitter,
        poll_max_seconds: float,
        on_approval: str,
        on_poll: Callable[[Child], None] = lambda child: None,
    ) -> None:
        self.client = client
        self._report = report
        self._clock = clock
        self._sleep = sleep
        self._jitter = jitter
        self._poll_max = poll_max_seconds
        self._on_approval = on_approval
        self._on_poll = on_poll  # live logs start once a poll has given the progress id
        self._backoff = Backoff(base=1.0, cap=poll_max_seconds)
        self._polls: dict[int, _Polls] = {}  # by child index
        self._last_line = clock()  # of a status line: a quiet minute earns a heartbeat

    def schedule_first_poll(self, child: Child) -> None:
        first = child.started_at + poll_interval(0.0, self._poll_max, self._jitter())
        self._polls[child.index] = _Polls(first)

    def wait_for_next_outcome(self, active: list[Child]) -> Child:
        """Poll until one of `active` has an outcome (its end, an approval the step does not
        wait for, or its deadline: outcome `timeout`), and return it."""
        while True:
            child = min(active, key=lambda c: min(self._polls[c.index].next_poll, c.deadline))
            now = self._clock()
            wake = min(self._polls[child.index].next_poll, child.deadline)
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
        if child.unread_answers:
            self._said()
            self._report.status_read_again(child, child.unread_answers)
        child.unread_answers, child.last_unread = 0, ""
        child.build = build
        self._observe(child, build)
        self._on_poll(child)
        now = self._clock()
        next_poll = now + poll_interval(child.elapsed(now), self._poll_max, self._jitter())
        self._polls[child.index].next_poll = next_poll

    def _observe(self, child: Child, build: Build) -> None:
        status = build.status
        if status != child.status:
            self._said()
            self._report.status_changed(child, child.status, status)
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
        polls = self._polls[child.index]
        if build.finished is not None:
            child.outcome = build.status
        elif not polls.said_unknown:
            polls.said_unknown = True
            self._said()
            self._report.unknown_status(child, build.status)

    def _transient(self, child: Child, exc: TransientApiError, now: float) -> None:
        """Never ends the wait: retry with backoff (Retry-After honoured) until the deadline;
        the child's state keeps how many answers in a row were unreadable, and why."""
        polls = self._polls[child.index]
        delay = self._backoff.delay(child.unread_answers, self._jitter(), exc.retry_after)
        child.unread_answers += 1
        child.last_unread = exc.message
        polls.next_poll = min(now + delay, child.deadline)
        if now - polls.last_report >= TRANSIENT_REPORT_SECONDS:
            polls.last_report = now
            self._said()
            self._report.status_unread(child, exc.message)

    def _heartbeat(self, active: list[Child], now: float) -> None:
        if now - self._last_line >= HEARTBEAT_SECONDS:
            self._last_line = now
            self._report.heartbeat(active)

    def _until_heartbeat(self, now: float) -> float:
        return max(0.001, self._last_line + HEARTBEAT_SECONDS - now)

    def _said(self) -> None:
        self._last_line = self._clock()

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
                self._report.cannot_terminate(child, "it has no progress id")
                return False
            self.client.retrying(
                lambda t: self.client.terminate(progress, timeout=t), deadline.remaining()
            )
        except ApiError as exc:
            self._report.cannot_terminate(child, exc.message)
            return False
        self._said()
        self._report.termination_requested(child)
        return True

    def _progress_of(self, child: Child, timeout: float) -> str | None:
        if child.build is None or child.build.progress is None:
            child.build = self.client.get_build(child.build_id, timeout)
        return child.build.progress
