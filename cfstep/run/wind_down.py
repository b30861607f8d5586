"""Every way out of a run after the trigger, but its end, answers for the children it
started: a cancel terminates them (TERMINATE_ON_CANCEL), an error stops a fan-out
(FAIL_FAST), a bug does the same before it is reported (exit 70); each exports what is known
and writes the summary and the JSON (README, "Exit codes"; docs/fanout.md, "When a child
fails").
"""

from __future__ import annotations

from cfstep.errors import Cancelled, CfstepError
from cfstep.model import Outcome

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from cfstep.run.policy import Stopping
    from cfstep.run.scheduler import Scheduler


def after(scheduler: Scheduler, exc: BaseException) -> None:
    """Wind the run down after `exc` ended it. A signal during the wind-down becomes a
    cancel's wind-down; the first reason is the one raised after it, unless it was a
    signal."""
    try:
        if isinstance(exc, Cancelled):
            _cancelled(scheduler)
        elif isinstance(exc, CfstepError):  # e.g. a refused run or status request (exit 4)
            _aborted(scheduler)
        elif isinstance(exc, Exception):
            _crashed(scheduler)
    except Cancelled:
        _cancelled(scheduler)
        raise
    except Exception as failed:
        if isinstance(exc, Cancelled | CfstepError):
            raise
        exc.add_note(f"and winding the run down failed too: {failed!r}")


def _cancelled(scheduler: Scheduler) -> None:
    """SIGTERM/SIGINT: terminate what runs (TERMINATE_ON_CANCEL), export, then exit."""
    _stop_all(scheduler, scheduler.policy.on_cancel())


def _aborted(scheduler: Scheduler) -> None:
    """An error ends the run early. A single child is left as it is (the error is about
    that very child), and what is known of it written: its id was exported at the start,
    the JSON document now. A fan-out's children are terminated or named with their URL."""
    stopping = scheduler.policy.on_error(scheduler.state)
    if stopping is None:
        scheduler.summary.close(scheduler.policy.worst(scheduler.state))
        return
    if scheduler.state.active and stopping.terminate:
        scheduler.report.stopping_on_error()
    _stop_all(scheduler, stopping)


def _crashed(scheduler: Scheduler) -> None:
    """A bug ended the run: nobody will follow the children still running."""
    stopping = scheduler.policy.on_bug(scheduler.state)
    if scheduler.state.active and stopping.terminate:
        scheduler.report.stopping_on_bug(stopping.rule)
    _stop_all(scheduler, stopping)


def _stop_all(scheduler: Scheduler, stopping: Stopping) -> None:
    """Terminate (or leave) every child still running, within one budget for all (a
    hundred silent DELETEs too); then the summary."""
    state, report, clock = scheduler.state, scheduler.report, scheduler.clock
    deadline = clock() + stopping.budget
    for child in list(state.active):
        if not stopping.terminate:
            report.left_running(child, f"{stopping.rule}=false")
        elif clock() >= deadline:
            report.no_time_to_terminate(child)
        else:
            try:
                scheduler.stop(child, deadline - clock())
                continue
            except Cancelled:  # stopped meanwhile: the cancel's wind-down takes over
                raise
            except CfstepError as exc:  # refused (401, 404): say where to stop it
                report.cannot_terminate(child, exc.message)
                if child not in state.active:  # its end was told already
                    continue
        child.outcome = Outcome.DETACHED
        scheduler.done(child)
    scheduler.summary.close(scheduler.policy.worst(state))
