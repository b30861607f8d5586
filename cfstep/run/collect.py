"""What a child leaves behind once it is done with, fetched between "it ended" and "tell
it": its last live lines (the live log drained), the tail of its log when it failed and
was not shown whole, and the values it hands back (its annotations, read with retries).

The only I/O of a child's end. A log that cannot be read is one line (logs.tail says it),
unreadable annotations a warning the report gives: neither changes the exit code (README,
"Live logs of the child"; docs/fanout.md, "Values back from the child").
"""

from __future__ import annotations

from cfstep.errors import Cancelled, CfstepError
from cfstep.logs import tail
from cfstep.run.returned import returned_values

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Callable

    import requests

    from cfstep.codefresh.client import CodefreshClient
    from cfstep.console import Console
    from cfstep.logs.live import LiveLogs
    from cfstep.run.policy import Policy
    from cfstep.run.state import Child

ANNOTATIONS_BUDGET_SECONDS = 20.0
"""Transient trouble reading a child's annotations is retried this long: they are data that
later steps use."""


class Collected:
    """A finished child's values back: those returned, those refused with the reason, or
    why the annotations could not be read at all."""

    def __init__(
        self,
        returned: dict[str, str] | None = None,
        refused: list[tuple[str, str]] | None = None,
        unreadable: str | None = None,
    ) -> None:
        self.returned = returned or {}
        self.refused = refused or []
        self.unreadable = unreadable


class Collector:
    def __init__(
        self,
        *,
        client: CodefreshClient,
        live: LiveLogs,
        log_session: Callable[[], requests.Session],
        console: Console,
        policy: Policy,
    ) -> None:
        self._client = client
        self._live = live
        self._log_session = log_session  # keyless, for the hosts that keep logs
        self._console = console  # the log tail's lines (logs.tail prints them)
        self._policy = policy
        self._config = policy.config

    def collect(self, child: Child) -> Collected:
        self._live.ended(child.index, drain=self._policy.drains_live_log(child))
        if self._policy.shows_log_tail(child, shown_whole=self._live.shown_whole(child.index)):
            tail.show(
                self._console,
                self._client,
                self._log_session(),
                progress=child.build.progress if child.build else None,
                build_id=child.build_id,
                url=child.url,
                count=self._config.log_tail,
            )
        if not self._policy.reads_returned_values(child):
            return Collected()
        try:
            found = self._client.retrying(
                lambda t: self._client.annotations(child.build_id, timeout=t),
                ANNOTATIONS_BUDGET_SECONDS,
            )
        except Cancelled:  # a signal is not an unreadable answer: the step stops
            raise
        except CfstepError as exc:
            return Collected(unreadable=exc.message)
        returned, refused = returned_values(found, self._config.return_prefix)
        return Collected(returned, refused)
