"""What an outcome means, as decisions: the exit code of each outcome, what the timeout
does (ON_TIMEOUT), whom to terminate (FAIL_FAST, a cancel, an error or a bug that ends the
run), which log and values are worth fetching, and the worst result that decides the step's
exit code (README, "Exit codes"; docs/decisions.md, docs/fanout.md).

Pure: it reads the inputs and the run's state, and prints, sends and changes nothing; the
scheduler acts on its answers and the report words them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from cfstep.model import EXIT_CODES, FINAL_STATUSES, ExitCode, Outcome

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from cfstep.model import Config
    from cfstep.run.state import Child, RunState

TERMINATE_BUDGET_SECONDS = 20.0
# For all the children together: a runner kills the container soon after SIGTERM (Docker
# 10 s), and the step must still write its outputs and exit 143 itself.
CANCEL_TERMINATE_BUDGET_SECONDS = 3.0
# Outcomes whose log is not worth showing: the child did not fail on its own.
_QUIET_OUTCOMES = (Outcome.SUCCESS, Outcome.DETACHED, Outcome.PENDING_APPROVAL, Outcome.TIMEOUT)


class OnTimeout(Enum):
    """What TIMEOUT_MINS passing does to the child."""

    LEAVE = "fail"  # exit 3, the child left running
    TERMINATE = "terminate"  # exit 3, the child terminated
    DETACH = "detach"  # exit 0, the child left running, exported `detached`


@dataclass(frozen=True)
class Stopping:
    """How a run that ends early answers for the children still running: terminate them
    within `budget` seconds in all, or leave them running; `rule` is the input that
    decided, as the log names it."""

    terminate: bool
    rule: str
    budget: float


@dataclass(frozen=True)
class Verdict:
    """The step's result: its exit code, the child that decides it, and whether a failure
    was forgiven (PROPAGATE_FAILURE=false)."""

    code: ExitCode
    worst: Child | None
    forgiven: bool = False


class Policy:
    def __init__(self, config: Config) -> None:
        self.config = config

    # -- one child ------------------------------------------------------------------------

    def exit_code(self, outcome: str | None) -> ExitCode:
        """The exit code one child's outcome stands for: `EXIT_CODES`, where ON_APPROVAL=fail
        makes an approval a failure and PROPAGATE_FAILURE=false forgives all but a timeout."""
        if outcome is None:  # not done with yet
            return ExitCode.OK
        if outcome == Outcome.TIMEOUT:
            return ExitCode.TIMED_OUT
        if outcome == Outcome.PENDING_APPROVAL and self.config.on_approval == "fail":
            code = ExitCode.CHILD_TERMINATED
        else:
            code = EXIT_CODES.get(outcome, ExitCode.CHILD_FAILED)
        return code if self.config.propagate_failure else ExitCode.OK

    def fails(self, child: Child) -> bool:
        return self.exit_code(child.outcome) != ExitCode.OK

    def on_timeout(self) -> OnTimeout:
        return OnTimeout(self.config.on_timeout)

    @staticmethod
    def outcome_after_timeout(action: OnTimeout) -> Outcome:
        return Outcome.DETACHED if action is OnTimeout.DETACH else Outcome.TIMEOUT

    @staticmethod
    def outcome_after_stop(accepted: bool) -> Outcome:
        """A child the step gave up on: `terminated` once Codefresh accepted the DELETE; one
        it did not agree to stop is still running, so `detached` rather than a claim."""
        return Outcome.TERMINATED if accepted else Outcome.DETACHED

    # -- what to fetch once a child is done with --------------------------------------------

    @staticmethod
    def drains_live_log(child: Child) -> bool:
        """Its last live lines are waited for when it ended on its own."""
        return child.status in FINAL_STATUSES and not child.stopped_by_step

    def shows_log_tail(self, child: Child, *, shown_whole: bool) -> bool:
        """The last LOG_TAIL lines of a child that failed on its own, unless its whole log
        was shown live."""
        return (
            self.config.log_tail > 0
            and child.outcome not in _QUIET_OUTCOMES
            and not child.stopped_by_step
            and not shown_whole
        )

    def reads_returned_values(self, child: Child) -> bool:
        """The annotations of a child that ended (success, error or terminated)."""
        return child.status in FINAL_STATUSES and bool(self.config.return_prefix)

    # -- the others -------------------------------------------------------------------------

    def to_stop_after_failure(self, state: RunState) -> list[Child]:
        """FAIL_FAST: the first failure terminates the children still running."""
        return list(state.active) if self.config.fail_fast else []

    def starts_more(self, state: RunState) -> bool:
        """Without FAIL_FAST a failure stops nothing: the queued children still start."""
        return not (self.config.fail_fast and state.first_failure is not None)

    def on_cancel(self) -> Stopping:
        """SIGTERM/SIGINT: terminate what runs as TERMINATE_ON_CANCEL says."""
        return Stopping(
            self.config.terminate_on_cancel,
            "TERMINATE_ON_CANCEL",
            CANCEL_TERMINATE_BUDGET_SECONDS,
        )

    def on_error(self, state: RunState) -> Stopping | None:
        """An error ends the run early: nobody would follow the children still running, so
        a fan-out's are terminated as FAIL_FAST says. A single child is left as it is (the
        error is about that very child): None."""
        if not state.many:
            return None
        return Stopping(self.config.fail_fast, "FAIL_FAST", TERMINATE_BUDGET_SECONDS)

    def on_bug(self, state: RunState) -> Stopping:
        """A bug ended the run: a fan-out's children are terminated as FAIL_FAST says, a
        single child as TERMINATE_ON_CANCEL says, as if the step had been stopped."""
        if state.many:
            return Stopping(self.config.fail_fast, "FAIL_FAST", TERMINATE_BUDGET_SECONDS)
        return Stopping(
            self.config.terminate_on_cancel, "TERMINATE_ON_CANCEL", TERMINATE_BUDGET_SECONDS
        )

    # -- the run ----------------------------------------------------------------------------

    def worst(self, state: RunState) -> Child | None:
        """The first failure under FAIL_FAST; otherwise the highest exit code, the first in
        the list on a tie; children the step stopped itself count only when nothing else
        does."""
        if state.first_failure is not None and self.config.fail_fast:
            return state.first_failure
        done = state.ended
        counted = [c for c in done if not c.stopped_by_step] or done
        if not counted:
            return None
        return max(counted, key=lambda c: (self.exit_code(c.outcome), -c.index))

    def verdict(self, state: RunState) -> Verdict:
        worst = self.worst(state)
        code = self.exit_code(worst.outcome) if worst else ExitCode.OK
        forgiven = (
            worst is not None
            and code == ExitCode.OK
            and worst.outcome not in (Outcome.SUCCESS, Outcome.DETACHED)
            and not self.config.propagate_failure
        )
        return Verdict(code, worst, forgiven)


def timeout_rule(config: Config) -> str:
    """The input that decided what a timeout does, as the user set it."""
    if config.on_timeout_option == "TERMINATE_ON_TIMEOUT":
        return "TERMINATE_ON_TIMEOUT=true"
    return f"ON_TIMEOUT={config.on_timeout}"
