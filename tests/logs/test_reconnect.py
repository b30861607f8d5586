"""The one rule for connecting a live log stream again, as a table: the waits it gives, and
when it stops (the stream's end-to-end storms are in tests/features/live_logs/)."""

from __future__ import annotations

import pytest

from cfstep.logs.reconnect import (
    BACKOFF,
    HEALTHY_SECONDS,
    IN_A_ROW,
    TOKENS,
    LiveLogStopped,
    Reconnects,
)


def _rule() -> Reconnects:
    return Reconnects(jitter=lambda: 1.0)


def test_early_endings_wait_the_backoff_longer_each_time() -> None:
    rule = _rule()
    waits = [rule.after("dropped", revoked=False, lasted=1.0, new_lines=True) for _ in range(5)]
    assert waits == [BACKOFF.delay(n, 1.0) for n in range(5)]
    assert waits == sorted(waits)
    assert waits[0] < waits[-1]


def test_showing_new_lines_does_not_shorten_the_wait() -> None:
    """A store that replays the tree and ends, again and again, is still slowed down."""
    rule = _rule()
    first = rule.after("ended", revoked=False, lasted=0.1, new_lines=True)
    second = rule.after("ended", revoked=False, lasted=0.1, new_lines=True)
    assert second > first


def test_a_healthy_connection_starts_the_waits_again() -> None:
    rule = _rule()
    for _ in range(4):
        rule.after("dropped", revoked=False, lasted=1.0, new_lines=False)
    wait = rule.after("dropped", revoked=False, lasted=HEALTHY_SECONDS, new_lines=False)
    assert wait == BACKOFF.delay(0, 1.0)


def test_connections_that_show_nothing_stop_live_logs_after_a_few() -> None:
    rule = _rule()
    for _ in range(IN_A_ROW - 1):
        rule.after("the stream ended", revoked=False, lasted=1.0, new_lines=False)
    with pytest.raises(LiveLogStopped, match=f"the stream ended, {IN_A_ROW} times in a row"):
        rule.after("the stream ended", revoked=False, lasted=1.0, new_lines=False)


@pytest.mark.parametrize("new_lines", [True, False])
def test_tokens_refused_in_a_row_stop_live_logs(new_lines: bool) -> None:
    """Each refused token costs a wait first, so token requests never come faster than the
    backoff, whatever each connection showed."""
    rule = _rule()
    waits = [
        rule.after("revoked", revoked=True, lasted=1.0, new_lines=new_lines)
        for _ in range(TOKENS - 1)
    ]
    assert all(wait > 0 for wait in waits)
    with pytest.raises(LiveLogStopped, match=f"revoked, {TOKENS} times in a row"):
        rule.after("revoked", revoked=True, lasted=1.0, new_lines=new_lines)


def test_the_jitter_spreads_the_wait() -> None:
    low = Reconnects(jitter=lambda: 0.9).after("x", revoked=False, lasted=0, new_lines=False)
    high = Reconnects(jitter=lambda: 1.1).after("x", revoked=False, lasted=0, new_lines=False)
    assert low == pytest.approx(BACKOFF.delay(0, 0.9))
    assert high == pytest.approx(BACKOFF.delay(0, 1.1))
