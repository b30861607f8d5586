"""When a live log stream is connected again: one rule, whatever ended the connection (a
drop, the end of the stream, a silence, a revoked token, a refusal), so that no way of
ending it can make a storm of connections or of token requests (README, "Live logs of the
child").

- Every reconnect waits the one backoff (`cfstep.timing.Backoff`, with jitter), longer
  after each connection that ends early; only a connection that stayed up HEALTHY_SECONDS
  starts the waits again from the shortest. Showing new lines does not: a stream that
  replays the tree and ends, again and again, is slowed down however much it shows.
- A new token is asked for only after a revoked or refused one, once per wait: TOKENS
  tokens refused in a row (the first included) without a healthy connection, and live
  logs stop.
- IN_A_ROW connections in a row that end early and show nothing new: live logs stop.

Pure: it decides, the stream waits and connects (`cfstep.logs.stream`).
"""

from __future__ import annotations

from dataclasses import dataclass

from cfstep.errors import CfstepError
from cfstep.timing import Backoff

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from cfstep.timing import Jitter

HEALTHY_SECONDS = 30.0
IN_A_ROW = 8
TOKENS = 4
BACKOFF = Backoff(base=0.5, factor=2.0, cap=10.0)


class LiveLogStopped(CfstepError):
    """Live logs end early; said in one line, never an exit code."""


@dataclass
class Reconnects:
    """The state of one stream's reconnects; `after` is told how each connection ended."""

    jitter: Jitter
    backoff: Backoff = BACKOFF
    attempt: int = 0  # connections since the last healthy one: the backoff's exponent
    fruitless: int = 0  # connections in a row that ended early and showed nothing new
    refused: int = 0  # tokens refused or revoked since the last healthy connection

    def after(self, why: str, *, revoked: bool, lasted: float, new_lines: bool) -> float:
        """The wait before the next connection (a new token first when `revoked`); raises
        LiveLogStopped when there should be none."""
        if lasted >= HEALTHY_SECONDS:
            self.attempt = self.fruitless = self.refused = 0
        if new_lines:
            self.fruitless = 0
        if revoked:
            self.refused += 1
            if self.refused == TOKENS:
                raise LiveLogStopped(f"{why}, {TOKENS} times in a row")
        else:
            self.fruitless += 1
            if self.fruitless == IN_A_ROW:
                raise LiveLogStopped(f"{why}, {IN_A_ROW} times in a row")
        wait = self.backoff.delay(self.attempt, self.jitter())
        self.attempt += 1
        return wait
