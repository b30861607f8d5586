"""Starting and following the children: in list order, at most MAX_PARALLEL at once, one
poll loop for all; with FAIL_FAST the first failure stops the rest and nothing more is
started. A single child is a fan-out of one (docs/fanout.md).
"""

from __future__ import annotations

from cfstep import request
from cfstep.api import CodefreshClient
from cfstep.cancel import CancelGuard
from cfstep.console import Console
from cfstep.follow import Child, Follower
from cfstep.model import ChildSpec, Config, ExitCode, Outcome
from cfstep.policy import Policy
from cfstep.report import Report
from cfstep.schedule import Clock


class Scheduler:
    def __init__(
        self,
        *,
        config: Config,
        console: Console,
        clock: Clock,
        guard: CancelGuard,
        client: CodefreshClient,
        follower: Follower,
        report: Report,
        policy: Policy,
    ) -> None:
        self.config = config
        self.console = console
        self.clock = clock
        self.guard = guard
        self.client = client
        self.follower = follower
        self.report = report
        self.policy = policy
        self.active: list[Child] = []
        self.first_failure: Child | None = None

    def follow_existing(self, build_id: str) -> None:
        """BUILD_ID: follow a build someone else started."""
        child = self._child(1, build_id, build_id)
        self.console.say(f"Following build {build_id}: {child.url}")
        self.report.started(child)
        if self.config.detach:
            child.outcome = Outcome.DETACHED
            self.report.ended(child)
            return
        self.active.append(child)
        while self.active:
            self._handle(self.follower.wait_for_next_outcome(self.active))

    def start_and_follow(self) -> None:
        queue = list(enumerate(self.config.children, start=1))
        while queue or self.active:
            if self._stopping():
                queue.clear()  # FAIL_FAST: those not yet started are never started
            while queue and len(self.active) < self.config.max_parallel:
                index, spec = queue.pop(0)
                self._trigger(index, spec)
            if self.active:
                self._handle(self.follower.wait_for_next_outcome(self.active))

    def _stopping(self) -> bool:
        """Without FAIL_FAST a failure stops nothing: the queued children still start."""
        return self.config.fail_fast and self.first_failure is not None

    def _trigger(self, index: int, spec: ChildSpec) -> None:
        req_id = request.new_req_id()
        who = self.report.who(index, spec.pipeline)
        branch = f" (branch {spec.branch})" if spec.branch else ""
        self.console.say(f"Triggering {who}{branch} [reqId {req_id}]")
        with self.guard.deferred():
            body = request.run_body(spec, self.config.platform.parent_build_id)
            build_id = self.client.run_pipeline(spec.pipeline, body, req_id)
            child = self._child(index, spec.pipeline, build_id)
            self.report.started(child)
            if not self.config.detach:
                # Before a held SIGTERM is raised, so that a cancel terminates it too.
                self.active.append(child)
        self.console.say(f"Started build {build_id} of {who}: {child.url}")
        if self.config.detach:
            child.outcome = Outcome.DETACHED
            self.report.ended(child)

    def _child(self, index: int, label: str, build_id: str) -> Child:
        now = self.clock()
        child = Child(
            index=index,
            label=label,
            build_id=build_id,
            url=self.client.build_url(build_id),
            started_at=now,
            deadline=now + self.config.timeout_seconds,
        )
        self.follower.schedule_first_poll(child)
        return child

    def _handle(self, child: Child) -> None:
        self.active.remove(child)
        if child.outcome == Outcome.TIMEOUT:
            self.policy.timed_out(child)
        self.report.ended(child)
        if self.policy.exit_code(child.outcome) != ExitCode.OK and self.first_failure is None:
            self.first_failure = child
            self.policy.stop_others(child, self.active)

    def cancel(self) -> None:
        self.policy.cancelled(self.active, self.first_failure)

    def abort(self) -> None:
        self.policy.aborted(self.active, self.first_failure)

    def finish(self) -> ExitCode:
        worst = self.policy.worst(self.first_failure)
        self.report.close(worst)
        return self.policy.verdict(worst)
