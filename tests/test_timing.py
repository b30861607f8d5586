"""The waiting arithmetic (docs/performance.md): the exact poll sequence and the retry backoff."""

from __future__ import annotations

import itertools
import random

import pytest

from cfstep.timing import Backoff, Deadline, jitter, poll_interval
from fakeclock import FakeClock


def _poll_times(until: float, ceiling: float = 15.0, factor: float = 1.0) -> list[float]:
    """Seconds after the trigger at which the status is read, as the follow loop does."""
    times, now = [], 0.0
    while True:
        now += poll_interval(now, ceiling, factor)
        if now > until:
            return times
        times.append(now)


@pytest.mark.parametrize(
    ("elapsed", "ceiling", "factor", "expected"),
    [
        (0, 15, 1.0, 1.0),  # at least 1 s
        (5, 15, 1.0, 1.0),
        (6, 15, 1.0, 1.0),
        (12, 15, 1.0, 2.0),  # a sixth of the elapsed time
        (60, 15, 1.0, 10.0),
        (90, 15, 1.0, 15.0),  # at most the ceiling
        (3600, 15, 1.0, 15.0),
        (3600, 4, 1.0, 4.0),
        (60, 15, 1.1, 11.0),  # jitter applies to the sixth
        (60, 15, 0.9, 9.0),
        (3600, 15, 1.1, 15.0),  # ... but never past the ceiling
        (3600, 15, 0.9, 13.5),  # ... and still spreads polls at the ceiling
        (0, 15, 0.9, 1.0),  # ... nor under 1 s
    ],
)
def test_poll_interval(elapsed: float, ceiling: float, factor: float, expected: float) -> None:
    assert poll_interval(elapsed, ceiling, factor) == pytest.approx(expected)


def test_the_exact_poll_sequence_of_the_first_minute() -> None:
    one_second_each = [1, 2, 3, 4, 5, 6, 7]  # a sixth of the elapsed time is under 1 s
    a_sixth = [8.167, 9.528, 11.116, 12.968, 15.13, 17.651, 20.593, 24.025, 28.030, 32.701]
    a_sixth += [38.152, 44.510, 51.929]
    assert _poll_times(60) == pytest.approx([*one_second_each, *a_sixth], abs=0.001)


def test_a_10_s_child_is_seen_within_2_s() -> None:
    first_after_end = next(t for t in _poll_times(100) if t >= 10)
    assert first_after_end - 10 <= 2


def test_a_one_hour_child_takes_about_260_requests() -> None:
    # 257 polls while it runs, and the one that sees its end; the official 5 s poll makes 720
    assert len(_poll_times(3600)) + 1 == 258


def test_the_poll_never_waits_more_than_the_ceiling() -> None:
    times = [0.0, *_poll_times(3600, ceiling=15)]
    assert max(b - a for a, b in itertools.pairwise(times)) == pytest.approx(15)


@pytest.mark.parametrize(
    ("attempt", "expected"),
    [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 10.0), (30, 10.0)],
)
def test_backoff_doubles_up_to_its_cap(attempt: int, expected: float) -> None:
    assert Backoff().delay(attempt, 1.0) == pytest.approx(expected)


def test_backoff_is_jittered() -> None:
    assert Backoff().delay(3, 1.1) == pytest.approx(4.4)
    assert Backoff().delay(9, 0.9) == pytest.approx(9.0)


def test_retry_after_wins_over_backoff_up_to_60_s() -> None:
    assert Backoff().delay(0, 1.0, retry_after=7) == 7
    assert Backoff().delay(0, 1.0, retry_after=3600) == 60


def test_jitter_stays_within_ten_percent() -> None:
    factor = jitter(rng=random.Random(7))  # noqa: S311 - a seeded test draw
    draws = [factor() for _ in range(1000)]
    assert min(draws) >= 0.9
    assert max(draws) <= 1.1
    assert max(draws) - min(draws) > 0.15  # it does spread


def test_deadline_counts_down_on_the_clock() -> None:
    clock = FakeClock()
    deadline = Deadline.after(clock.now, 10)
    assert deadline.remaining() == 10
    assert not deadline.passed()
    clock.sleep(9.5)
    assert deadline.remaining() == pytest.approx(0.5)
    clock.sleep(1)
    assert deadline.passed()
    assert deadline.remaining() == 0


def test_a_short_retry_after_never_shortens_the_backoff() -> None:
    """`Retry-After: 0` from an overloaded server must not turn retries into a storm."""
    assert Backoff().delay(5, 1.1, retry_after=0) == pytest.approx(11.0)
    assert Backoff().delay(0, 1.0, retry_after=0) == pytest.approx(0.5)
    assert Backoff().delay(2, 1.0, retry_after=1) == pytest.approx(2.0)
