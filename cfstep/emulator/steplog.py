"""A build's step logs at a given clock time (pure functions), as Codefresh's log store
holds them: per step a name, status, creation and finish time, and lines keyed by push ids
that sort in the order they were written.

Steps run one after the other from the build's start; a step's lines are written evenly
over its `seconds`. A pipeline with only `logs` gets Codefresh's first step, then one step
`main` that writes them over the build's running time.
"""

from __future__ import annotations

from dataclasses import dataclass

from cfstep.emulator.scenario import PipelineSpec, StepSpec
from cfstep.emulator.timeline import start_time, status_at, timeline_end

FIRST_STEP = "Initializing Process"


@dataclass(frozen=True)
class StepState:
    key: str
    name: str
    status: str
    created: float  # clock time
    finished: float | None
    written: int  # how many of its lines exist by now
    spec: StepSpec

    def push_id(self, index: int) -> str:
        """20 characters that sort in write order, like Firebase's push ids."""
        return f"-L{index:018d}"

    def text(self, index: int) -> str:
        return self.spec.lines[index] + "\r\n"


def steps_of(spec: PipelineSpec) -> tuple[StepSpec, ...]:
    if spec.steps:
        return spec.steps
    return (StepSpec(FIRST_STEP, 0.0, ()), StepSpec("main", None, spec.logs))


def steps_at(
    spec: PipelineSpec, created: float, now: float, terminated_at: float | None
) -> list[StepState]:
    """The steps that exist at `now`, in the order they were created."""
    started = start_time(spec, created)
    if started is None or started > now:
        return []
    moment = status_at(spec, created, now, terminated_at)
    end = moment.finished if moment.finished is not None else terminated_at
    # The last step's lines spread over the build's running time, even before it ends.
    planned_end = end if end is not None else timeline_end(spec, created)
    found: list[StepState] = []
    at = started
    declared = steps_of(spec)
    for number, step in enumerate(declared):
        if at > now or (end is not None and at > end and found):
            break
        last = number == len(declared) - 1
        length = step.seconds if step.seconds is not None and not last else None
        step_end = at + length if length is not None else planned_end
        found.append(
            _state(
                number,
                step,
                at=at,
                step_end=step_end,
                build_end=end,
                now=now,
                build_status=moment.status,
            )
        )
        if length is None:
            break
        at += length
    return found


def _state(
    number: int,
    step: StepSpec,
    *,
    at: float,
    step_end: float | None,
    build_end: float | None,
    now: float,
    build_status: str,
) -> StepState:
    ends = [t for t in (step_end, build_end) if t is not None]
    stop = min(ends) if ends else None
    done = stop is not None and now >= stop
    if not done:
        status = "running"
    elif build_end is not None and stop == build_end and build_status != "success":
        status = build_status if build_status in ("error", "terminated") else "error"
    else:
        status = "success"
    return StepState(
        key=f"step{number:03d}",  # zero-padded: keys sort in the order of the steps
        name=step.name,
        status=status,
        created=at,
        finished=stop if done else None,
        written=_written(step, at, step_end, min(now, stop) if stop is not None else now),
        spec=step,
    )


def _written(step: StepSpec, at: float, step_end: float | None, now: float) -> int:
    total = len(step.lines)
    if step_end is None or step_end <= at:
        return total if step_end is not None or now >= at else 0
    if now >= step_end:
        return total
    return min(total, int((now - at) / (step_end - at) * total) + 1)
