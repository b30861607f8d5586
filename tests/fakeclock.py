"""A fake monotonic clock that tests share between cfstep and the emulator."""

from __future__ import annotations

import threading


class FakeClock:
    """`now()` only moves when `sleep` or `advance` is called; thread-safe.

    Starts at 1000.0 rather than 0 so that a time is never mistaken for "unset".
    Calling the clock itself returns `now()`, so it can be passed where a
    `Callable[[], float]` is expected.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self._lock = threading.Lock()
        self._now = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        with self._lock:
            return self._now

    __call__ = now

    def sleep(self, seconds: float) -> None:
        """What cfstep calls to wait: recorded, and the time passes at once."""
        with self._lock:
            self.sleeps.append(seconds)
            self._now += max(seconds, 0.0)

    def advance(self, seconds: float) -> None:
        """Move time forward from a test without recording a sleep."""
        with self._lock:
            self._now += seconds
