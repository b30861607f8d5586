"""SIGTERM and SIGINT become a `Cancelled` exception in the main thread, so the step can
terminate its child and write its outputs before it exits 143 or 130 (README, "Exit
codes")."""

from __future__ import annotations

import signal
from contextlib import contextmanager

from cfstep.errors import Cancelled
from cfstep.model import ExitCode

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import FrameType
    from typing import Any

_CODES = {signal.SIGINT: ExitCode.SIGINT, signal.SIGTERM: ExitCode.SIGTERM}


class CancelGuard:
    def __init__(self) -> None:
        self._deferring = False
        self._pausing = False
        self._on_held: Callable[[], None] | None = None
        self._pending: Cancelled | None = None
        self.received: Cancelled | None = None
        self._previous: dict[int, Any] = {}

    def install(self) -> CancelGuard:
        for signum in _CODES:
            try:
                self._previous[signum] = signal.signal(signum, self._handle)
            except ValueError:  # not the main thread (a library caller): no handlers
                return self
        return self

    def restore(self) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.received is not None:
            return  # already cleaning up: a second signal must not cut the clean-up short
        name = signal.Signals(signum).name
        self.received = Cancelled(
            f"stopped by {name} (the pipeline was stopped or cancelled) — see the lines "
            "above and the outputs for what became of the child",
            _CODES[signal.Signals(signum)],
        )
        if self._deferring:
            self._pending = self.received
            if self._pausing:  # nothing in flight: the held block ends now
                raise self.received
            if self._on_held is not None:
                self._on_held()
            return
        raise self.received

    @property
    def holding(self) -> bool:
        """A signal came during a `deferred` block and waits for its end."""
        return self._pending is not None

    def pause(self, sleep: Callable[[float], None], seconds: float) -> None:
        """Inside a `deferred` block, a wait with no request in flight (before a retry): a
        signal ends it at once, raised as it arrives."""
        if self._pending is not None:
            return
        self._pausing = True
        try:
            sleep(seconds)
        finally:
            self._pausing = False

    @contextmanager
    def deferred(self, on_held: Callable[[], None] | None = None) -> Iterator[None]:
        """Hold a signal until the block ends: a run request cut in half would leave a build
        whose id we never learn. `on_held` is called (in the handler) when a signal is held,
        to make the block end soon; the block checks `holding` before anything new.

        The held signal is raised when the block ends, whatever way it ends: an error of
        the block (the request abandoned) is its context, never a reason to drop it."""
        self._deferring, self._on_held = True, on_held
        try:
            yield
        finally:
            self._deferring, self._on_held = False, None
            if self._pending is not None:
                pending, self._pending = self._pending, None
                raise pending
