"""A build's step logs at a given clock time (pure functions), as Codefresh's log store
holds them: per step a name, status, creation and finish time, and lines keyed by push ids
that sort in the order they were written.

Steps run one after the other from the build's start; a step's lines are written evenly
over its `seconds`. A pipeline with only `logs` gets Codefresh's first step, then one step
`main` that writes them over the build's running time.
"""

from __future__ import annotations

from dataclasses import dataclass

from cfstep.emulator.scenario import StepSpec
from cfstep.emulator.timeline import start_time, status_at, timeline_end

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from cfstep.emulator.scenario import PipelineSpec

FIRST_STEP = "Initializing Process"


@dataclass(slots=True)  # not frozen: 10,000 steps are made on every tick of a stream
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
    found, at = _settled(spec, created, now)
    settled = len(found)  # the steps before are over: they will not change again
    declared = steps_of(spec)
    for number in range(len(found), len(declared)):
        step = declared[number]
        if at > now or (end is not None and at > end and found):
            break
        last = number == len(declared) - 1
        length = step.seconds if step.seconds is not None and not last else None
        step_end = at + length if length is not None else planned_end
        if length is not None and at + length <= now and (end is None or at + length < end):
            # Over before now and before the build's end: what `_state` would say, made
            # without its work (the stream asks for every step ten times a second).
            key = f"step{number:03d}"
            found.append(
                StepState(key, step.name, "success", at, at + length, len(step.lines), step)
            )
            at += length
            settled += settled == number
            continue
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
    _remember(spec, created, now, found[:settled])
    return found


# Steps that are over, by build (its spec and creation): 10,000 steps are not made again
# on every tick. A step over by `now` is over at any later time (a build is terminated
# at the time of its DELETE, never before), so the list only grows.
_SETTLED: dict[tuple[int, float], tuple[PipelineSpec, float, list[StepState]]] = {}
_SETTLED_BUILDS = 256


def _settled(spec: PipelineSpec, created: float, now: float) -> tuple[list[StepState], float]:
    """The steps over by an earlier call, and when the next one starts."""
    known = _SETTLED.get((id(spec), created))
    if known is None or known[0] is not spec or known[1] > now or not known[2]:
        started = start_time(spec, created)
        return [], started if started is not None else created
    last = known[2][-1]
    return list(known[2]), last.finished if last.finished is not None else last.created


def _remember(spec: PipelineSpec, created: float, now: float, settled: list[StepState]) -> None:
    if not settled:
        return
    if len(_SETTLED) >= _SETTLED_BUILDS:
        _SETTLED.clear()
    _SETTLED[(id(spec), created)] = (spec, now, settled)


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
