"""Where a build is in its pipeline's timeline at a given clock time (pure functions).

Statuses are computed lazily from `now - created` instead of being advanced by a timer,
so a test that moves a fake clock moves every build with it, deterministically.
"""

from __future__ import annotations

from dataclasses import dataclass

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from cfstep.emulator.scenario import PipelineSpec

# Codefresh's non-final statuses (reference/codefresh.md, "Read a build").
RUNNING_STATES = frozenset(
    {"pending", "elected", "running", "delayed", "pending-approval", "terminating"}
)
# Statuses of a build that waits for a builder: it has not started yet.
QUEUED_STATES = frozenset({"pending", "elected", "delayed"})
# How long (clock seconds) a terminated build stays `terminating` before `terminated`.
TERMINATING_SECONDS = 0.5


@dataclass(frozen=True)
class Moment:
    """A build's status at one time, with its start and end (clock times) once reached."""

    status: str
    started: float | None
    finished: float | None
    natural_end: bool  # reached its timeline's final status (not stopped by a terminate)


def timeline_end(spec: PipelineSpec, created: float) -> float | None:
    """Clock time the timeline reaches `final`; None when a phase holds for ever."""
    total = 0.0
    for phase in spec.timeline:
        if phase.seconds is None:
            return None
        total += phase.seconds
    return created + total


def start_time(spec: PipelineSpec, created: float) -> float | None:
    """Clock time of the first status past the queue (None: never leaves the queue)."""
    at = created
    for phase in spec.timeline:
        if phase.status not in QUEUED_STATES:
            return at
        if phase.seconds is None:
            return None
        at += phase.seconds
    return at


def status_at(
    spec: PipelineSpec, created: float, now: float, terminated_at: float | None = None
) -> Moment:
    """The build's moment at `now`; `terminated_at` is when a terminate was accepted."""
    started = start_time(spec, created)
    if started is not None and started > now:
        started = None
    if terminated_at is not None:
        return _terminated_moment(started, terminated_at, now)
    at = created
    for phase in spec.timeline:
        if phase.seconds is None or now < at + phase.seconds:
            return Moment(phase.status, started, None, natural_end=False)
        at += phase.seconds
    # A `final` that is itself a running state (e.g. delayed) holds: no end time.
    finished = None if spec.final in RUNNING_STATES else at
    return Moment(spec.final, started, finished, natural_end=finished is not None)


def _terminated_moment(started: float | None, terminated_at: float, now: float) -> Moment:
    done = terminated_at + TERMINATING_SECONDS
    if now < done:
        return Moment("terminating", started, None, natural_end=False)
    return Moment("terminated", started, done, natural_end=False)
