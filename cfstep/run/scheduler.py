"""Starting and following the children: in list order, at most MAX_PARALLEL at once, one
poll loop for all; with FAIL_FAST the first failure stops the rest and nothing more is
started. A single child is a fan-out of one (docs/fanout.md).
"""

from __future__ import annotations

from cfstep.cancel import CancelGuard
from cfstep.codefresh import run_request
from cfstep.codefresh.client import CodefreshClient
from cfstep.console import Console
from cfstep.errors import Cancelled
from cfstep.model import ChildSpec, Config, ExitCode, Outcome
from cfstep.run.follow import Child, Follower
from cfstep.run.policy import Policy
from cfstep.run.report import Report
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
        children = enumerate(self.config.children, start=1)
        queue = [(i, spec) for i, spec in children if i not in self.report.skipped]
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
        req_id = run_request.new_req_id()
        who = self.report.who(index, spec.pipeline)
        branch = f" (branch {spec.branch})" if spec.branch else ""
        self.console.say(f"Triggering {who}{branch} [reqId {req_id}]")
        build_id: str | None = None
        try:
            with self.guard.deferred(on_held=self._cut_run_request):
                body = run_request.run_body(spec, self.config.platform.parent_build_id)
                build_id = self.client.run_pipeline(spec.pipeline, body, req_id, self.guard)
                child = self._child(index, spec.pipeline, build_id)
                self.report.started(child)
                if not self.config.detach:
                    # Before a held SIGTERM is raised, so that a cancel terminates it too.
                    self.active.append(child)
        except Cancelled:
            if build_id is None:
                self._say_id_unknown(who, spec.pipeline, req_id)
            raise
        self.console.say(f"Started build {build_id} of {who}: {child.url}")
        if self.config.detach:
            child.outcome = Outcome.DETACHED
            self.report.ended(child)

    def _cut_run_request(self) -> None:
        self.client.session.cut_soon(CUT_AFTER_SIGNAL_SECONDS)

    def _say_id_unknown(self, who: str, pipeline: str, req_id: str) -> None:
        """Stopped before the run request was answered: Codefresh may have started the
        child, but its id never arrived, so the step cannot terminate or report it."""
        self.console.say(
            f"stopped before Codefresh answered the run request of {who}: if it started "
            f"a build, its id is unknown — look for it among the builds of pipeline "
            f"{pipeline!r} at {self.client.session.base_url}/builds2 (reqId {req_id})"
        )

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
        if child.outcome == Outcome.TIMEOUT:
            # Still in `active` while it is terminated: a cancel meanwhile answers for it.
            self.policy.timed_out(child)
        self.active.remove(child)
        self.report.ended(child)
        if self.policy.exit_code(child.outcome) != ExitCode.OK and self.first_failure is None:
            self.first_failure = child
            self.policy.stop_others(child, self.active)

    def cancel(self) -> None:
        self.policy.cancelled(self.active, self.first_failure)

    def abort(self) -> None:
        self.policy.aborted(self.active, self.first_failure)

    def crashed(self) -> None:
        self.policy.crashed(self.active, self.first_failure)

    def finish(self) -> ExitCode:
        worst = self.policy.worst(self.first_failure)
        self.report.close(worst)
        return self.policy.verdict(worst)
