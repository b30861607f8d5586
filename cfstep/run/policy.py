"""What an outcome means and what the step does about it: the exit code of each outcome,
the timeout (ON_TIMEOUT), stopping children (FAIL_FAST, a cancel, an error that ends the
run), and the worst result that decides the step's own exit code (README, "Exit codes",
"Decisions where the contract is silent"; docs/fanout.md).
"""

from __future__ import annotations

from cfstep.console import Console, duration
from cfstep.errors import Cancelled, CfstepError
from cfstep.model import Config, ExitCode, Outcome
from cfstep.run import results
from cfstep.run.follow import Child, Follower
from cfstep.run.report import Report

TERMINATE_BUDGET_SECONDS = 20.0
# For all the children together: a runner kills the container soon after SIGTERM (Docker
# 10 s), and the step must still write its outputs and exit 143 itself.
CANCEL_TERMINATE_BUDGET_SECONDS = 3.0


class Policy:
    def __init__(
        self, config: Config, console: Console, follower: Follower, report: Report
    ) -> None:
        self.config = config
        self.console = console
        self.follower = follower
        self.report = report

    def exit_code(self, outcome: str | None) -> ExitCode:
        return results.exit_code(outcome, self.config)

    def timed_out(self, child: Child) -> None:
        """TIMEOUT_MINS passed: leave the child running, terminate it, or detach from it."""
        limit = duration(self.config.timeout_seconds)
        match self.config.on_timeout:
            case "detach":
                child.outcome = Outcome.DETACHED
                self.console.say(
                    f"warning: {child.build_id} still {results.status_text(child)} after "
                    f"{limit}; leaving it running (ON_TIMEOUT=detach): "
                    f"{child.url}"
                )
            case "terminate":
                self.console.say(f"timeout after {limit}: terminating {child.build_id}")
                self.follower.terminate(child, TERMINATE_BUDGET_SECONDS)
            case _:
                self.console.say(
                    f"timeout after {limit}: {child.build_id} is still "
                    f"{results.status_text(child)}, left running"
                )

    def stop(self, child: Child, active: list[Child], budget: float) -> None:
        """Terminate a running child the step gives up on, and report it."""
        # A child Codefresh did not agree to stop is still running: say so in BUILD_STATUS
        # (the log already names its URL), rather than claim it was terminated. It leaves
        # `active` only then: a cancel during the DELETE still answers for it.
        stopped = self.follower.terminate(child, budget)
        active.remove(child)
        child.outcome = Outcome.TERMINATED if stopped else Outcome.DETACHED
        child.stopped_by_step = True
        self.report.ended(child)

    def stop_others(self, failed: Child, active: list[Child]) -> None:
        """FAIL_FAST: the first failure terminates the children still running."""
        if not (self.config.fail_fast and active):
            return
        self.console.say(
            f"{self.report.who(failed.index, failed.label)} failed: "
            "terminating the other children (FAIL_FAST)"
        )
        for other in list(active):
            self.stop(other, active, TERMINATE_BUDGET_SECONDS)

    def cancelled(self, active: list[Child], first_failure: Child | None) -> None:
        """SIGTERM/SIGINT: terminate what runs (TERMINATE_ON_CANCEL), export, then exit."""
        self._wind_down(
            active,
            first_failure,
            self.config.terminate_on_cancel,
            "TERMINATE_ON_CANCEL=false",
            CANCEL_TERMINATE_BUDGET_SECONDS,
        )

    def aborted(self, active: list[Child], first_failure: Child | None) -> None:
        """An error ends a fan-out early: nobody would follow the children still running, so
        FAIL_FAST terminates them; without it they are left running, each named with its URL.
        A single child is left as it is (the error is about that very child), and what is
        known of it written: its id was exported at the start, the JSON document now."""
        if not self.report.many:
            self.report.close(self.worst(first_failure))
            return
        if active and self.config.fail_fast:
            self.console.say("stopping: terminating the other children (FAIL_FAST)")
        self._wind_down(
            active,
            first_failure,
            self.config.fail_fast,
            "FAIL_FAST=false",
            TERMINATE_BUDGET_SECONDS,
        )

    def crashed(self, active: list[Child], first_failure: Child | None) -> None:
        """A bug ended the run: nobody will follow the children still running. A fan-out's
        are terminated as FAIL_FAST says, a single child as TERMINATE_ON_CANCEL says, as if
        the step had been stopped; a child left running is named with its URL."""
        many = self.report.many
        terminate = self.config.fail_fast if many else self.config.terminate_on_cancel
        rule = "FAIL_FAST" if many else "TERMINATE_ON_CANCEL"
        if active and terminate:
            self.console.say(f"stopping on an internal error: terminating what runs ({rule})")
        self._wind_down(active, first_failure, terminate, f"{rule}=false", TERMINATE_BUDGET_SECONDS)

    def _wind_down(
        self,
        active: list[Child],
        first_failure: Child | None,
        terminate: bool,
        why_left: str,
        budget: float,
    ) -> None:
        clock = self.report.clock
        deadline = clock() + budget  # one budget for all: a hundred silent DELETEs too
        for child in list(active):
            if terminate and clock() >= deadline:
                active.remove(child)
                child.outcome = Outcome.DETACHED
                self.console.say(
                    f"no time left to terminate {child.build_id}: stop it at {child.url}"
                )
                self.report.ended(child)
            elif terminate:
                try:
                    self.stop(child, active, deadline - clock())
                except Cancelled:  # stopped meanwhile: the cancel's wind-down takes over
                    raise
                except CfstepError as exc:  # refused (401, 404): say where to stop it
                    if child in active:
                        active.remove(child)
                    child.outcome = Outcome.DETACHED
                    self.console.say(
                        f"could not terminate {child.build_id} ({exc.message}); "
                        f"stop it at {child.url}"
                    )
                    self.report.ended(child)
            else:
                active.remove(child)
                child.outcome = Outcome.DETACHED
                self.console.say(f"leaving {child.build_id} running ({why_left}): {child.url}")
                self.report.ended(child)
        self.report.close(self.worst(first_failure))

    def worst(self, first_failure: Child | None) -> Child | None:
        """The first failure under FAIL_FAST; otherwise the highest exit code, first in list."""
        if first_failure is not None and self.config.fail_fast:
            return first_failure
        done = [c for c in self.report.slots if c is not None and c.outcome is not None]
        counted = [c for c in done if not c.stopped_by_step] or done
        if not counted:
            return None
        return max(counted, key=lambda c: (self.exit_code(c.outcome), -c.index))

    def verdict(self, worst: Child | None) -> ExitCode:
        """The step's exit code; a failing one is raised as the error that says why."""
        code = self.exit_code(worst.outcome) if worst else ExitCode.OK
        if (
            worst is not None
            and worst.outcome not in (Outcome.SUCCESS, Outcome.DETACHED)
            and code == ExitCode.OK
            and not self.config.propagate_failure
        ):
            self.console.say(
                f"warning: {worst.label} ended {worst.outcome}; not failing "
                "this step (PROPAGATE_FAILURE=false)"
            )
        if worst is not None and code != ExitCode.OK:
            raise results.failure(code, worst)
        return ExitCode.OK
