"""One run of the step: decide → trigger → follow → outputs, for one child or several.

A single child is a fan-out of one, so both go through the same loop; only the names of
the outputs differ (SPEC §3, §6).
"""

from __future__ import annotations

from dataclasses import dataclass

from cfstep import logs, logsource, logtail, outputs, request, results
from cfstep.api import CodefreshClient
from cfstep.cancel import CancelGuard
from cfstep.console import Console, duration
from cfstep.errors import Cancelled, CfstepError
from cfstep.follow import Child, Follower
from cfstep.inputs import ChildSpec, Config
from cfstep.schedule import Clock, Jitter, Sleep
from cfstep.transport import new_session

TYPE_CHECKING = False
if TYPE_CHECKING:
    import requests

TERMINATE_BUDGET_SECONDS = 20.0
CANCEL_TERMINATE_BUDGET_SECONDS = 8.0  # the runner kills the container soon after SIGTERM
ANNOTATIONS_BUDGET_SECONDS = 20.0


@dataclass(frozen=True)
class Runtime:
    """What the step is given from outside: time, output, signals."""

    clock: Clock
    sleep: Sleep
    jitter: Jitter
    console: Console
    guard: CancelGuard


def run(config: Config, runtime: Runtime, exporter: outputs.Exporter) -> int:
    client = _client(config, runtime)
    live = _live_logs(config, runtime)
    follower = Follower(
        client,
        runtime.console,
        clock=runtime.clock,
        sleep=runtime.sleep,
        jitter=runtime.jitter,
        poll_max_seconds=config.poll_max_seconds,
        on_approval=config.on_approval,
        show_labels=len(config.children) > 1,
        on_poll=live.poll_seen,
    )
    fan = _FanOut(config, runtime, exporter, client, follower, live=live)
    try:
        if config.build_id is not None:
            fan.follow_existing(config.build_id)
        else:
            fan.start_and_follow()
    except Cancelled:
        live.stop_all()
        fan.cancel()
        raise
    except CfstepError:  # e.g. a refused run request or status request (exit 4)
        live.stop_all()
        fan.abort()
        raise
    finally:
        live.stop_all()
        client.session.close()
    return fan.finish()


def _live_logs(config: Config, runtime: Runtime) -> logs.LiveLogs:
    """FOLLOW_LOGS: each live log reads with its own API session (a session is one
    connection, used by one thread) and its own session for the log store."""
    return logs.LiveLogs(
        enabled=config.follow_logs,
        labels=len(config.children) > 1,
        console=runtime.console,
        client=lambda: _client(config, runtime),
        session=lambda: _log_session(config),
    )


def _log_session(config: Config) -> requests.Session:
    return logsource.http_session(config.environ, insecure=config.insecure)


def _client(config: Config, runtime: Runtime) -> CodefreshClient:
    debug = (lambda line: runtime.console.say(f"debug: {line}")) if config.debug else None
    session = new_session(
        config.url,
        config.api_key or "",
        insecure=config.insecure,
        debug=debug,
        environ=config.environ,
    )
    return CodefreshClient(session, clock=runtime.clock, sleep=runtime.sleep, jitter=runtime.jitter)


class _FanOut:
    def __init__(
        self,
        config: Config,
        runtime: Runtime,
        exporter: outputs.Exporter,
        client: CodefreshClient,
        follower: Follower,
        *,
        live: logs.LiveLogs,
    ) -> None:
        self.config = config
        self.rt = runtime
        self.exporter = exporter
        self.client = client
        self.follower = follower
        self.live = live
        self.many = len(config.children) > 1
        self.slots: list[Child | None] = [None] * max(1, len(config.children))
        self.active: list[Child] = []
        self.first_failure: Child | None = None
        self.durations: dict[int, float] = {}  # by child index, once it is done with
        self.returned: dict[int, dict[str, str]] = {}  # values back, by child index
        self.started_at = runtime.clock()

    # -- starting -------------------------------------------------------------------------

    def follow_existing(self, build_id: str) -> None:
        child = self._child(1, build_id, build_id)
        self.rt.console.say(f"Following build {build_id}: {child.url}")
        self._export_started(child)
        self._follow_until_done()

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
        what = self._who(index, spec.pipeline) + (f" (branch {spec.branch})" if spec.branch else "")
        self.rt.console.say(f"Triggering {what} [reqId {req_id}]")
        with self.rt.guard.deferred():
            build_id = self.client.run_pipeline(
                spec.pipeline, request.run_body(spec, self.config.environ), req_id
            )
            child = self._child(index, spec.pipeline, build_id)
            self._export_started(child)
            if not self.config.detach:
                # Before a held SIGTERM is raised, so that cancel() terminates it too.
                self.active.append(child)
        who = self._who(index, spec.pipeline)
        self.rt.console.say(f"Started build {build_id} of {who}: {child.url}")
        if self.config.detach:
            child.outcome = "detached"
            self._done(child)

    def _child(self, index: int, label: str, build_id: str) -> Child:
        now = self.rt.clock()
        child = Child(
            index=index,
            label=label,
            build_id=build_id,
            url=self.client.build_url(build_id),
            started_at=now,
            deadline=now + self.config.timeout_seconds,
        )
        self.follower.schedule_first_poll(child)
        self.slots[index - 1] = child
        return child

    def _export_started(self, child: Child) -> None:
        started = [c for c in self.slots if c is not None]
        values = {
            "BUILD_ID": " ".join(c.build_id for c in started),
            "BUILD_URL": " ".join(c.url for c in started),
        }
        if self.many:
            values[f"BUILD_ID_{child.index}"] = child.build_id
            values[f"BUILD_URL_{child.index}"] = child.url
        step_name = self.config.environ.get("CF_STEP_NAME", "").strip()
        if step_name and child is started[0]:
            values[f"{step_name}_CF_OUTPUT_URL"] = child.url
        self.exporter.export(values, mask=False)

    # -- following ------------------------------------------------------------------------

    def _follow_until_done(self) -> None:
        self.active.append(self.slots[0])  # type: ignore[arg-type]
        if self.config.detach:
            self.active[0].outcome = "detached"
            self._done(self.active.pop())
            return
        while self.active:
            self._handle(self.follower.wait_for_next_outcome(self.active))

    def _handle(self, child: Child) -> None:
        self.active.remove(child)
        if child.outcome == "timeout":
            self._timed_out(child)
        self._done(child)
        if results.exit_code(child.outcome, self.config) != 0 and self.first_failure is None:
            self.first_failure = child
            if self.config.fail_fast and self.active:
                self.rt.console.say(
                    f"{self._who(child.index, child.label)} failed: "
                    "terminating the other children (FAIL_FAST)"
                )
                for other in list(self.active):
                    self._stop(other, "terminated", TERMINATE_BUDGET_SECONDS)

    def _timed_out(self, child: Child) -> None:
        limit = duration(self.config.timeout_seconds)
        match self.config.on_timeout:
            case "detach":
                child.outcome = "detached"
                self.rt.console.say(
                    f"warning: {child.build_id} still {child.status} after "
                    f"{limit}; leaving it running (ON_TIMEOUT=detach): "
                    f"{child.url}"
                )
            case "terminate":
                self.rt.console.say(f"timeout after {limit}: terminating {child.build_id}")
                self.follower.terminate(child, TERMINATE_BUDGET_SECONDS)
            case _:
                self.rt.console.say(
                    f"timeout after {limit}: {child.build_id} is still {child.status}, left running"
                )

    def _stop(self, child: Child, outcome: str, budget: float) -> None:
        self.active.remove(child)
        # A child Codefresh did not agree to stop is still running: say so in BUILD_STATUS
        # (the log already names its URL), rather than claim it was terminated.
        child.outcome = outcome if self.follower.terminate(child, budget) else "detached"
        child.stopped_by_step = True
        self._done(child)

    def cancel(self) -> None:
        """SIGTERM/SIGINT: terminate what runs (TERMINATE_ON_CANCEL), export, then exit."""
        self._wind_down(
            self.config.terminate_on_cancel,
            "TERMINATE_ON_CANCEL=false",
            CANCEL_TERMINATE_BUDGET_SECONDS,
        )

    def abort(self) -> None:
        """An error ends a fan-out early: nobody would follow the children still running, so
        FAIL_FAST terminates them; without it they are left running, each named with its URL.
        A single child is left as it is: the error is about that very child."""
        if not self.many:
            return
        if self.active and self.config.fail_fast:
            self.rt.console.say("stopping: terminating the other children (FAIL_FAST)")
        self._wind_down(self.config.fail_fast, "FAIL_FAST=false", TERMINATE_BUDGET_SECONDS)

    def _wind_down(self, terminate: bool, why_left: str, budget: float) -> None:
        for child in list(self.active):
            if terminate:
                try:
                    self._stop(child, "terminated", budget)
                except CfstepError as exc:  # refused (401, 404): say where to stop it
                    child.outcome = "detached"
                    self.rt.console.say(
                        f"could not terminate {child.build_id} ({exc.message}); "
                        f"stop it at {child.url}"
                    )
                    self._done(child)
            else:
                self.active.remove(child)
                child.outcome = "detached"
                self.rt.console.say(f"leaving {child.build_id} running ({why_left}): {child.url}")
                self._done(child)
        self._mark_not_started()
        self._export_overall()
        if self.many:
            self._summary()

    def _done(self, child: Child) -> None:
        """The child has its outcome: show and export what is known of it."""
        now = self.rt.clock()
        seconds = self.follower.reported_duration(child, now)
        self.live.ended(child)  # its last live lines before its summary
        if (
            child.outcome not in ("success", "detached", "pending-approval")
            and not child.stopped_by_step
            and child.outcome != "timeout"
            and not self.live.shown(child)
        ):
            logtail.show(
                self.rt.console, self.client, _log_session(self.config), child, self.config.log_tail
            )
        values = {
            self._name("BUILD_STATUS", child): child.outcome or "",
            self._name("BUILD_DURATION_SECONDS", child): f"{seconds:.0f}",
        }
        self.durations[child.index] = seconds
        self.exporter.export(values, mask=False)
        if child.status in ("success", "error", "terminated") and self.config.return_prefix:
            returned = self._returned_values(child)
            self.returned[child.index] = returned
            self.exporter.export({self._name(k, child): v for k, v in returned.items()})
        if child.outcome != "detached":
            self.rt.console.say(
                f"{self._who(child.index, child.label)} {child.build_id}: "
                f"{child.outcome} after {duration(seconds)}"
            )

    def _returned_values(self, child: Child) -> dict[str, str]:
        try:
            found = self._annotations(child)
        except CfstepError as exc:
            self.rt.console.say(
                f"warning: could not read the child's annotations "
                f"({exc.message}); no values returned"
            )
            return {}
        returned, refused = results.returned_values(found, self.config.return_prefix)
        for key in refused:
            # A name that would break the KEY=VALUE export file, or overwrite the step's own
            # outputs (a child's BUILD_STATUS is not this step's).
            self.rt.console.say(
                f"warning: annotation {key!r} of {child.build_id} not returned: "
                "use a name of letters, digits and _ that does not start with BUILD_"
            )
        for name in returned:
            self.rt.console.say(f"returned {name} from {child.build_id}")
        return returned

    def _annotations(self, child: Child) -> dict[str, str]:
        """The returned values are data later steps use: transient trouble is retried for a
        while, as while following."""
        return self.client.retrying(
            lambda t: self.client.annotations(child.build_id, timeout=t),
            ANNOTATIONS_BUDGET_SECONDS,
        )

    def _who(self, index: int, pipeline: str) -> str:
        """A child in a line of the log: in a fan-out, its place too (#2 pipeline), as the
        status lines name it, since one pipeline may run several times."""
        return f"#{index} {pipeline}" if self.many else pipeline

    def _name(self, key: str, child: Child) -> str:
        return f"{key}_{child.index}" if self.many else key

    # -- the end --------------------------------------------------------------------------

    def finish(self) -> int:
        self._mark_not_started()
        worst = self._export_overall()
        if self.many:
            self._summary()
        code = results.exit_code(worst.outcome, self.config) if worst else 0
        if (
            worst is not None
            and worst.outcome not in ("success", "detached")
            and code == 0
            and not self.config.propagate_failure
        ):
            self.rt.console.say(
                f"warning: {worst.label} ended {worst.outcome}; not failing "
                "this step (PROPAGATE_FAILURE=false)"
            )
        if code:
            raise results.failure(code, worst)  # type: ignore[arg-type]
        return 0

    def _mark_not_started(self) -> None:
        for index, child in enumerate(self.slots, start=1):
            if child is None and index <= len(self.config.children):
                self.exporter.export(
                    {f"BUILD_STATUS_{index}": "skipped"} if self.many else {}, mask=False
                )

    def _export_overall(self) -> Child | None:
        worst = self._worst()
        if worst is not None and self.many:  # a single child's status is exported by _done
            self.exporter.export(
                {
                    "BUILD_STATUS": worst.outcome or "",
                    "BUILD_DURATION_SECONDS": f"{self.rt.clock() - self.started_at:.0f}",
                },
                mask=False,
            )
        if self.config.output_json is not None:
            outputs.write_json(self.config.output_json, self._document())
        return worst

    def _worst(self) -> Child | None:
        """The first failure under FAIL_FAST; otherwise the highest exit code, first in list."""
        if self.first_failure is not None and self.config.fail_fast:
            return self.first_failure
        done = [c for c in self.slots if c is not None and c.outcome is not None]
        counted = [c for c in done if not c.stopped_by_step] or done
        if not counted:
            return None
        return max(counted, key=lambda c: (results.exit_code(c.outcome, self.config), -c.index))

    def _document(self) -> dict[str, object]:
        return {
            "outputs": dict(self.exporter.values),
            "children": [
                {
                    "index": i,
                    "pipeline": c.label if c else self._pipeline(i),
                    "build_id": c.build_id if c else None,
                    "url": c.url if c else None,
                    "status": (c.outcome or c.status) if c else "skipped",
                    "stopped_by_step": c.stopped_by_step if c else False,
                    "duration_seconds": results.whole(self.durations.get(i)),
                    "returned": {
                        k: self.rt.console.mask(v) for k, v in self.returned.get(i, {}).items()
                    },
                }
                for i, c in enumerate(self.slots, start=1)
            ],
        }

    def _pipeline(self, index: int) -> str:
        children = self.config.children
        return children[index - 1].pipeline if index <= len(children) else ""

    def _summary(self) -> None:
        now = self.rt.clock()
        rows = [("#", "pipeline", "build", "status", "duration", "url")]
        for i, c in enumerate(self.slots, start=1):
            if c is None:
                rows.append((str(i), self._pipeline(i), "-", "not started", "-", "-"))
            else:
                seconds = self.follower.reported_duration(c, now)
                rows.append(
                    (str(i), c.label, c.build_id, c.outcome or "?", duration(seconds), c.url)
                )
        for line in results.table(rows):
            self.rt.console.say(line)
