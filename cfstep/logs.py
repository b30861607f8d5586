"""Live logs of the children (FOLLOW_LOGS): their step logs printed as they are written.

`LiveLogs` is what the step holds: one `cfstep.logstream.LiveLog` (a thread reading one
child's log) per followed child, started once the child's progress is known, drained when
the child ends, stopped on the way out. README, "Live logs of the child".
"""

from __future__ import annotations

import time
from collections.abc import Callable

from cfstep.follow import FINAL

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    import requests

    from cfstep.api import CodefreshClient
    from cfstep.console import Console
    from cfstep.follow import Child
    from cfstep.logstream import LiveLog

STOP_ALL_SECONDS = 1.0  # the wait for all live logs on the way out, together


class LiveLogs:
    """The live logs of a run: one LiveLog per child, started once its progress is known.

    The step calls `poll_seen` after each status poll, `ended` when a child is done with,
    and `stop_all` on the way out (cancel, error, or the end)."""

    def __init__(
        self,
        *,
        enabled: bool,
        labels: bool,
        console: Console,
        client: Callable[[], CodefreshClient],
        session: Callable[[], requests.Session],
    ) -> None:
        self._enabled = enabled
        self._labels = labels
        self._console = console
        self._new_client = client
        self._new_session = session
        self._followed: dict[int, LiveLog] = {}  # by child index
        self._stopped_all = False

    def poll_seen(self, child: Child) -> None:
        progress = child.build.progress if child.build else None
        if not self._enabled or progress is None or child.index in self._followed:
            return
        # Only a followed child pays for the stream reader (logstream, sse, logtree).
        from cfstep.logstream import LiveLog

        self._followed[child.index] = LiveLog(
            progress,
            client=self._new_client,
            session=self._new_session,
            console=self._console,
            label=f"{child.index} {child.label}" if self._labels else "",
        ).start()

    def ended(self, child: Child) -> None:
        """Drain what a finished child still has to show, then stop following it."""
        live = self._followed.get(child.index)
        if live is not None and not self._stopped_all:  # else already stopped, not waited
            live.finish(drain=child.status in FINAL and not child.stopped_by_step)

    def shown(self, child: Child) -> bool:
        """True when the child's whole log was shown live: no tail needed."""
        live = self._followed.get(child.index)
        return live is not None and not live.failed

    def stop_all(self) -> None:
        """All asked to stop at once, then waited for 1 s in all: a thread stuck in a
        request (a daemon, it dies with the step) must not hold a cancel's exit, whatever
        the number of children. Once: the way out calls it before a wind-down and after."""
        if self._stopped_all:
            return
        self._stopped_all = True
        for live in self._followed.values():
            live.ask_to_stop()
        give_up = time.monotonic() + STOP_ALL_SECONDS
        for live in self._followed.values():
            live.stop(wait=max(0.0, give_up - time.monotonic()))
