"""Live logs of the children (FOLLOW_LOGS): their step logs printed as they are written.

`LiveLogs` is what the step holds: one `cfstep.logs.stream.LogStream` (a thread reading one
child's log) per followed child, started once the child's progress is known, drained when
the child ends, stopped on the way out. README, "Live logs of the child".
"""

from __future__ import annotations

import time

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Callable

    import requests

    from cfstep.codefresh.client import CodefreshClient
    from cfstep.console import Console
    from cfstep.logs.stream import LogStream

STOP_ALL_SECONDS = 1.0  # the wait for all live logs on the way out, together


class LiveLogs:
    """The live logs of a run: one LogStream per child, started once its progress is known.

    The run calls `start` once a child's progress id is known (each poll may call it again),
    `ended` when the child is done with, and `stop_all` on the way out (cancel, error, or the
    end). Children are named by their index in the run; `label` prefixes their lines."""

    def __init__(
        self,
        *,
        enabled: bool,
        console: Console,
        client: Callable[[], CodefreshClient],
        session: Callable[[], requests.Session],
    ) -> None:
        self._enabled = enabled
        self._console = console
        self._new_client = client
        self._new_session = session
        self._followed: dict[int, LogStream] = {}  # by child index
        self._stopped_all = False

    def start(self, index: int, progress: str | None, label: str) -> None:
        if not self._enabled or progress is None or index in self._followed:
            return
        # Only a followed child pays for the stream reader (logstream, sse, logtree).
        from cfstep.logs.stream import LogStream

        self._followed[index] = LogStream(
            progress,
            client=self._new_client,
            session=self._new_session,
            console=self._console,
            label=label,
        ).start()

    def ended(self, index: int, *, drain: bool) -> None:
        """Stop following a child that is done with; `drain` when it ended on its own, so
        that its last lines are shown first."""
        live = self._followed.get(index)
        if live is not None and not self._stopped_all:  # else already stopped, not waited
            live.finish(drain=drain)

    def shown_whole(self, index: int) -> bool:
        """True when the child's whole log was shown live: no tail needed. False when live
        logs stopped early, or did not catch up by the end of the drain (`ended` said how
        many lines were missed)."""
        live = self._followed.get(index)
        return live is not None and not live.failed and not live.behind

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
