"""What the step tells about its children while they run: the export file (each value
written once, as soon as it is known), the status lines, and each child's end (README,
"Outputs"; docs/output.md). The end of the run (summary, JSON, closing line) is
`cfstep.run.summary`'s.

Only tells: it reads the run's state and what was collected, and sends nothing.
"""

from __future__ import annotations

from collections import Counter

from cfstep import outputs
from cfstep.console import duration, shown
from cfstep.model import RUNNING_STATUSES, Outcome
from cfstep.run.policy import OnTimeout, timeout_rule

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from cfstep.console import Console
    from cfstep.model import Config
    from cfstep.run.collect import Collected
    from cfstep.run.state import Child, RunState
    from cfstep.timing import Clock

HEARTBEAT_NAMED_CHILDREN = 5  # a fan-out's heartbeat names up to this many, else counts
# A status word's colour: green the end hoped for, red a failure, yellow an end the step or
# someone else forced, cyan a build still on its way.
_COLOURS = {
    Outcome.SUCCESS: "green",
    Outcome.ERROR: "red",
    Outcome.TERMINATED: "yellow",
    Outcome.TIMEOUT: "yellow",
    **{status: "cyan" for status in RUNNING_STATUSES},
}


class Report:
    def __init__(
        self,
        *,
        config: Config,
        console: Console,
        clock: Clock,
        exporter: outputs.Exporter,
        state: RunState,
    ) -> None:
        self.config = config
        self.console = console
        self.clock = clock
        self.exporter = exporter
        self.state = state
        self._all_started_written = False

    def status_word(self, status: str) -> str:
        """A status as the log shows it: coloured when the console is (docs/output.md)."""
        colour = _COLOURS.get(status)
        return self.console.paint(status, colour) if colour else status

    def _key(self, key: str, index: int) -> str:
        """An output's name for the child at `index`: `KEY_<n>` in a fan-out."""
        return f"{key}_{index}" if self.state.many else key

    # -- before and at the trigger ------------------------------------------------------------

    def skipped(self, index: int) -> None:
        """A child decided not to run: exported `skipped` now. The decision was said in its
        own line by whoever made it (`cfstep.changes`), also in a dry run, where no run is
        composed; the summary and the JSON show its reason."""
        self.exporter.export({self._key("BUILD_STATUS", index): Outcome.SKIPPED}, mask=False)

    def triggering(self, name: str, branch: str | None, req_id: str) -> None:
        on_branch = f" (branch {branch})" if branch else ""
        self.console.say(f"Triggering {name}{on_branch} [reqId {req_id}]")

    def id_unknown(self, name: str, pipeline: str, req_id: str, base_url: str) -> None:
        """Stopped before the run request was answered: Codefresh may have started the
        child, but its id never arrived, so the step cannot terminate or report it."""
        self.console.say(
            f"stopped before Codefresh answered the run request of {name}: if it started "
            f"a build, its id is unknown — look for it among the builds of pipeline "
            f"{pipeline!r} at {base_url}/builds2 (reqId {req_id})"
        )

    def started(self, child: Child) -> None:
        """The child exists: its id and URL exported before any waiting, so they survive a
        cancel; in a fan-out under its own names (the lists once all have started)."""
        values = {
            self._key("BUILD_ID", child.index): child.build_id,
            self._key("BUILD_URL", child.index): child.url,
        }
        if child is self.state.children[0]:
            for step in self._linked_steps():
                self._add_link(values, step, child.url)
        self.exporter.export(values, mask=False)

    def said_started(self, child: Child) -> None:
        self.console.say(f"Started build {child.build_id} of {child.name}: {child.url}")

    def following(self, child: Child) -> None:
        self.console.say(f"Following build {child.build_id}: {child.url}")

    def all_started(self) -> None:
        """No more children will start: a fan-out's BUILD_ID and BUILD_URL, every child's
        in list order, written once (each child's own were written at its start)."""
        if self._all_started_written or not self.state.many:
            return
        self._all_started_written = True
        started = self.state.children
        if started:
            values = {
                "BUILD_ID": " ".join(c.build_id for c in started),
                "BUILD_URL": " ".join(c.url for c in started),
            }
            self.exporter.export(values, mask=False)

    def _add_link(self, values: dict[str, str], step: str, url: str) -> None:
        key = f"{step}_CF_OUTPUT_URL"
        if outputs.exportable_key(key):
            values[key] = url
        else:  # a name that could write other lines into the export file
            self.console.say(
                f"warning: the step name {shown(step)} holds a space, `=`, a line break or "
                "another character an output name cannot; its link output "
                "(<CF_STEP_NAME>_CF_OUTPUT_URL) is not exported"
            )

    def _linked_steps(self) -> list[str]:
        """Steps that show the (first) child's URL as a link in Codefresh's UI: this step
        (CF_STEP_NAME) and, inside the typed step, cfstep's own step in step.yaml's
        stepsTemplate (README, Outputs)."""
        platform = self.config.platform
        return list(dict.fromkeys(n for n in (platform.step_name, platform.typed_step) if n))

    # -- while following ----------------------------------------------------------------------

    def _status_line(self, child: Child, text: str) -> None:
        label = f"{child.name} " if self.state.many else ""
        elapsed = duration(child.elapsed(self.clock()))
        self.console.say(f"[{elapsed:>6}] {label}{text}")

    def status_changed(self, child: Child, before: str | None, status: str) -> None:
        was = f"{self.status_word(before)} → " if before else ""
        self._status_line(child, f"{was}{self.status_word(status)}")

    def unknown_status(self, child: Child, status: str) -> None:
        self._status_line(
            child,
            f"status {status!r} is not one cfstep knows and the build has no finished time: "
            "waiting for a final status",
        )

    def status_unread(self, child: Child, reason: str) -> None:
        self._status_line(child, f"status request failed: {reason} — retrying until the timeout")

    def status_read_again(self, child: Child, failed: int) -> None:
        self._status_line(child, f"the API answers again after {failed} failed status requests")

    def heartbeat(self, active: list[Child]) -> None:
        """A quiet wait: one line for a single child, one line for all in a fan-out, so a
        hundred quiet children do not print a hundred."""
        if not self.state.many:
            for child in active:
                self._status_line(child, f"still {self._seen(child)}")
            return
        if len(active) <= HEARTBEAT_NAMED_CHILDREN:
            states = ", ".join(f"{c.name} {self._seen(c)}" for c in active)
        else:
            counts = Counter(self._seen(c) for c in active)
            states = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        longest = max(c.elapsed(self.clock()) for c in active)
        self.console.say(
            f"[{duration(longest):>6}] still waiting for {len(active)} children: {states}"
        )

    def _seen(self, child: Child) -> str:
        return self.status_word(child.status) if child.status else "starting"

    def termination_requested(self, child: Child) -> None:
        self._status_line(child, "termination requested")

    def cannot_terminate(self, child: Child, why: str) -> None:
        self.console.say(f"could not terminate {child.build_id}: {why}; stop it at {child.url}")

    # -- deciding about others ----------------------------------------------------------------

    def timed_out(self, child: Child, action: OnTimeout) -> None:
        limit = duration(self.config.timeout_seconds)
        now = child.status_text()
        match action:
            case OnTimeout.DETACH:
                self.console.say(
                    f"warning: {child.build_id} still {now} after {limit}; leaving it "
                    f"running (ON_TIMEOUT=detach): {child.url}"
                )
            case OnTimeout.TERMINATE:
                self.console.say(
                    f"timeout after {limit}: terminating {child.build_id} "
                    f"({timeout_rule(self.config)})"
                )
            case OnTimeout.LEAVE:
                self.console.say(
                    f"timeout after {limit}: {child.build_id} is still {now}, left running"
                )

    def stopping_others(self, failed: Child) -> None:
        self.console.say(f"{failed.name} failed: terminating the other children (FAIL_FAST)")

    def stopping_on_error(self) -> None:
        self.console.say("stopping: terminating the other children (FAIL_FAST)")

    def stopping_on_bug(self, rule: str) -> None:
        self.console.say(f"stopping on an internal error: terminating what runs ({rule})")

    def no_time_to_terminate(self, child: Child) -> None:
        self.console.say(f"no time left to terminate {child.build_id}: stop it at {child.url}")

    def left_running(self, child: Child, why: str) -> None:
        self.console.say(f"leaving {child.build_id} running ({why}): {child.url}")

    # -- a child's end ------------------------------------------------------------------------

    def outcome(self, child: Child, seconds: float) -> None:
        """Exported first, before its log or values are fetched: a cancel meanwhile loses
        nothing."""
        self.exporter.export(
            {
                self._key("BUILD_STATUS", child.index): child.outcome or "",
                self._key("BUILD_DURATION_SECONDS", child.index): f"{seconds:.0f}",
            },
            mask=False,
        )

    def ended(self, child: Child, collected: Collected) -> None:
        """Its values back, then one line for its end; a single child's names its URL (a
        fan-out's summary table gives them all)."""
        self._returned(child, collected)
        if child.outcome == Outcome.DETACHED and not self.config.detach:
            return  # ON_TIMEOUT=detach or a child left running: a line named it already
        seconds = self.state.durations.get(child.index, 0.0)
        how = (
            "detached, not followed (DETACH)"
            if child.outcome == Outcome.DETACHED
            else f"{self.status_word(child.outcome or '')} after {duration(seconds)}"
        )
        where = "" if self.state.many else f" — {child.url}"
        self.console.say(f"{child.name} {child.build_id}: {how}{where}")

    def _returned(self, child: Child, collected: Collected) -> None:
        if collected.unreadable is not None:
            self.console.say(
                f"warning: could not read the child's annotations "
                f"({collected.unreadable}); no values returned"
            )
        for key, reason in collected.refused:
            self.console.say(
                f"warning: annotation {shown(key)} of {child.build_id} not returned: {reason}"
            )
        for name in collected.returned:
            self.console.say(f"returned {name} from {child.build_id}")
        if collected.returned:
            self.exporter.export(
                {self._key(k, child.index): v for k, v in collected.returned.items()}
            )
