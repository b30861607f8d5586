"""Driving the run: starting the children in list order, at most MAX_PARALLEL at once, one
poll loop for all, and for each child that ends: decide (the policy), act (terminate),
collect (its log tail and values back), tell (the report). A single child is a fan-out of
one (docs/fanout.md).

Built and wired by `cfstep.run.compose`; the run's state is `cfstep.run.state`'s.
"""

from __future__ import annotations

from cfstep.codefresh import run_request
from cfstep.errors import Cancelled
from cfstep.model import ExitCode, Outcome
from cfstep.run.policy import TERMINATE_BUDGET_SECONDS, OnTimeout
from cfstep.run.state import Child

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from cfstep.cancel import CancelGuard
    from cfstep.codefresh.client import CodefreshClient
    from cfstep.model import ChildSpec, Config
    from cfstep.run.collect import Collector
    from cfstep.run.follow import Follower
    from cfstep.run.policy import Policy
    from cfstep.run.report import Report
    from cfstep.run.state import RunState
    from cfstep.run.summary import Summary
    from cfstep.timing import Clock

# A signal during the run request: the answer may still come (and with it the child's id,
# so the child can be terminated) for this long; then the request is cut, within the few
# seconds a runner gives between SIGTERM and SIGKILL.
CUT_AFTER_SIGNAL_SECONDS = 2.5


class Scheduler:
    def __init__(
        self,
        *,
        config: Config,
        clock: Clock,
        guard: CancelGuard,
        client: CodefreshClient,
        state: RunState,
        policy: Policy,
        follower: Follower,
        collector: Collector,
        report: Report,
        summary: Summary,
    ) -> None:
        self.config = config
        self.clock = clock
        self.guard = guard
        self.client = client
        self.state = state
        self.policy = policy
        self.follower = follower
        self.collector = collector
        self.report = report
        self.summary = summary

    def follow_existing(self, build_id: str) -> None:
        """BUILD_ID: follow a build someone else started; its pipeline is not known, so the
        log names it `build <id>`."""
        child = self._child(1, build_id, build_id, name="build")
        self.report.following(child)
        self.state.started(child, followed=not self.config.detach)
        self.report.started(child)
        if self.config.detach:
            child.outcome = Outcome.DETACHED
            self.done(child)
            return
        self._follow()

    def start_and_follow(self) -> None:
        """The children of the list: those decided not to run said first, the others
        started as room is made, until every one started is done with."""
        queue = []
        for index, spec in enumerate(self.config.children, start=1):
            reason = self.state.skip_reason(index)
            if reason is None:
                queue.append((index, spec))
            else:
                self.report.skipped(index)
        while queue or self.state.active:
            if not self.policy.starts_more(self.state):
                queue.clear()  # FAIL_FAST: those not yet started are never started
            while queue and len(self.state.active) < self.config.max_parallel:
                self._trigger(*queue.pop(0))
            if not queue:
                self.report.all_started()
            if self.state.active:
                self._handle(self.follower.wait_for_next_outcome(self.state.active))

    def _follow(self) -> None:
        while self.state.active:
            self._handle(self.follower.wait_for_next_outcome(self.state.active))

    def _trigger(self, index: int, spec: ChildSpec) -> None:
        req_id = run_request.new_req_id()
        name = self.state.name(index, spec.pipeline)
        self.report.triggering(name, spec.branch, req_id)
        build_id: str | None = None
        try:
            with self.guard.deferred(on_held=self._cut_run_request):
                body = run_request.run_body(spec, self.config.platform.parent_build_id)
                build_id = self.client.run_pipeline(spec.pipeline, body, req_id, self.guard)
                child = self._child(index, spec.pipeline, build_id)
                # Before a held SIGTERM is raised, so that a cancel terminates it too.
                self.state.started(child, followed=not self.config.detach)
                self.report.started(child)
        except Cancelled:
            if build_id is None:
                base_url = self.client.session.base_url
                self.report.id_unknown(name, spec.pipeline, req_id, base_url)
            raise
        self.report.said_started(child)
        if self.config.detach:
            child.outcome = Outcome.DETACHED
            self.done(child)

    def _cut_run_request(self) -> None:
        self.client.session.cut_soon(CUT_AFTER_SIGNAL_SECONDS)

    def _child(self, index: int, pipeline: str, build_id: str, *, name: str | None = None) -> Child:
        now = self.clock()
        child = Child(
            index=index,
            pipeline=pipeline,
            name=name or self.state.name(index, pipeline),
            build_id=build_id,
            url=self.client.build_url(build_id),
            started_at=now,
            deadline=now + self.config.timeout_seconds,
        )
        self.follower.schedule_first_poll(child)
        return child

    def _handle(self, child: Child) -> None:
        if child.outcome == Outcome.TIMEOUT:
            # Still active while it is terminated: a cancel meanwhile answers for it.
            self._timed_out(child)
        self.done(child)
        if self.policy.fails(child) and self.state.failed(child):
            others = self.policy.to_stop_after_failure(self.state)
            if others:
                self.report.stopping_others(child)
            for other in others:
                self.stop(other, TERMINATE_BUDGET_SECONDS)

    def _timed_out(self, child: Child) -> None:
        """TIMEOUT_MINS passed: leave the child running, terminate it, or detach from it."""
        action = self.policy.on_timeout()
        self.report.timed_out(child, action)
        if action is OnTimeout.TERMINATE:
            self.follower.terminate(child, TERMINATE_BUDGET_SECONDS)
        child.outcome = self.policy.outcome_after_timeout(action)

    def stop(self, child: Child, budget: float) -> None:
        """Terminate a running child the step gives up on; it stays active until then, so a
        cancel during the DELETE still answers for it."""
        accepted = self.follower.terminate(child, budget)
        child.outcome = self.policy.outcome_after_stop(accepted)
        child.stopped_by_step = True
        self.done(child)

    def done(self, child: Child) -> None:
        """A child has its outcome: it is exported at once, then what it leaves behind is
        collected (its last live lines, its log tail, its values back) and told."""
        seconds = child.duration(self.clock())
        self.state.done(child, seconds)
        self.report.outcome(child, seconds)
        collected = self.collector.collect(child)
        self.state.returned[child.index] = collected.returned
        self.report.ended(child, collected)

    def finish(self) -> ExitCode:
        """The run's verdict told: the summary, then a failing exit code raised as the
        error that says why."""
        verdict = self.policy.verdict(self.state)
        self.summary.close(verdict.worst)
        if verdict.forgiven and verdict.worst is not None:
            self.summary.not_failing(verdict.worst)
        if verdict.code != ExitCode.OK and verdict.worst is not None:
            raise self.summary.failure(verdict.code, verdict.worst)
        return ExitCode.OK
