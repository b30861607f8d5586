"""Pure waiting arithmetic: the retry backoff and the adaptive poll interval
(docs/performance.md).

No sleeping here: the loops in `cfstep.codefresh.client` and `cfstep.run.follow` take `sleep`
and `clock` as arguments, so tests assert the exact sequence of waits in milliseconds.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    import random

Clock = Callable[[], float]
Sleep = Callable[[float], None]
Jitter = Callable[[], float]  # a factor around 1.0


def jitter(spread: float = 0.1, rng: random.Random | None = None) -> Jitter:
    """A factor drawn uniformly from [1 - spread, 1 + spread]: from `rng` when given (tests
    seed it), else from os.urandom, so a run does not import `random` for a few draws."""
    if rng is not None:
        return lambda: rng.uniform(1 - spread, 1 + spread)
    return lambda: 1 - spread + 2 * spread * int.from_bytes(os.urandom(7)) / (1 << 56)


@dataclass(frozen=True)
class Backoff:
    """`min(cap, base · factor^attempt) · jitter`; a longer Retry-After wins (up to 60 s).

    A Retry-After shorter than the backoff never shortens the wait: `Retry-After: 0` from an
    overloaded server would otherwise turn the retries into a storm of requests."""

    base: float = 0.5
    factor: float = 2.0
    cap: float = 10.0

    def delay(self, attempt: int, jitter_factor: float, retry_after: float | None = None) -> float:
        backoff = min(self.cap, self.base * self.factor**attempt) * jitter_factor
        if retry_after is not None:
            return max(backoff, min(retry_after, 60.0))
        return backoff


def poll_interval(elapsed: float, ceiling: float, jitter_factor: float) -> float:
    """The wait before the next status request: a sixth of the time since the trigger, at
    most `ceiling`, jittered, then clamped to [1 s, ceiling]. A child's end is seen within
    about a sixth of its duration (a 10 s child within 2 s), never later than `ceiling`;
    jittering after the ceiling keeps long waits of many steps from polling in lockstep."""
    return max(1.0, min(ceiling, min(ceiling, elapsed / 6) * jitter_factor))


@dataclass
class Deadline:
    """A monotonic point in time that bounds a whole wait."""

    clock: Clock
    at: float

    @classmethod
    def after(cls, clock: Clock, seconds: float) -> Deadline:
        return cls(clock, clock() + seconds)

    def remaining(self) -> float:
        return max(0.0, self.at - self.clock())

    def passed(self) -> bool:
        return self.clock() >= self.at
