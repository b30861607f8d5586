"""The signal guard: SIGTERM and SIGINT become `Cancelled` (exit 143 / 130) in the main
thread, at once or, inside a `deferred` block (a run request in flight), when it ends."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from cfstep.cancel import CancelGuard
from cfstep.errors import ApiError, Cancelled


@pytest.fixture
def guard() -> Iterator[CancelGuard]:
    installed = CancelGuard().install()
    yield installed
    installed.restore()


def test_a_signal_is_raised_where_the_step_is() -> None:
    guard = CancelGuard().install()
    try:
        with pytest.raises(Cancelled) as caught:
            os.kill(os.getpid(), signal.SIGINT)
    finally:
        guard.restore()
    assert caught.value.exit_code == 130
    assert "stopped by SIGINT" in caught.value.message
    assert guard.received is caught.value


def test_restore_gives_the_handlers_back() -> None:
    before = signal.getsignal(signal.SIGTERM)
    guard = CancelGuard().install()
    assert signal.getsignal(signal.SIGTERM) is not before
    guard.restore()
    assert signal.getsignal(signal.SIGTERM) is before


def _signalled_inside(guard: CancelGuard, done: list[str]) -> None:
    with guard.deferred():
        os.kill(os.getpid(), signal.SIGTERM)
        assert guard.holding
        done.append("the block ran on")


def test_a_deferred_block_holds_the_signal_to_its_end(guard: CancelGuard) -> None:
    done: list[str] = []
    with pytest.raises(Cancelled) as caught:
        _signalled_inside(guard, done)
    assert done == ["the block ran on"]
    assert caught.value.exit_code == 143
    assert not guard.holding


def test_a_second_signal_does_not_cut_the_clean_up_short(guard: CancelGuard) -> None:
    with pytest.raises(Cancelled) as caught:
        os.kill(os.getpid(), signal.SIGTERM)
    os.kill(os.getpid(), signal.SIGINT)  # while cleaning up: ignored, not raised
    assert guard.received is caught.value
    assert caught.value.exit_code == 143  # the first signal decides


def test_a_pause_in_a_deferred_block_ends_at_the_signal(guard: CancelGuard) -> None:
    """A wait before a retry, nothing in flight: the signal ends it at once."""
    slept = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        os.kill(os.getpid(), signal.SIGTERM)
        slept.append("after the signal")  # never reached

    def wait_before_a_retry() -> None:
        with guard.deferred():
            guard.pause(sleep, 30.0)

    with pytest.raises(Cancelled):
        wait_before_a_retry()
    assert slept == [30.0]
    assert not guard.holding


def _pause_after_a_signal(guard: CancelGuard, slept: list[float]) -> None:
    with guard.deferred():
        os.kill(os.getpid(), signal.SIGTERM)
        guard.pause(slept.append, 30.0)


def test_a_pause_with_a_signal_held_already_does_not_wait(guard: CancelGuard) -> None:
    slept: list[float] = []
    with pytest.raises(Cancelled):
        _pause_after_a_signal(guard, slept)
    assert slept == []


def _abandon_the_request(guard: CancelGuard, held: list[bool]) -> None:
    with guard.deferred(on_held=lambda: held.append(True)):
        os.kill(os.getpid(), signal.SIGTERM)
        assert guard.holding
        raise ApiError("could not start: the request was cut")


def test_a_held_signal_is_raised_even_when_the_block_raises() -> None:
    """The run request abandoned (an ApiError) after a SIGTERM: exit 143, not 4."""
    guard = CancelGuard().install()
    held: list[bool] = []
    try:
        with pytest.raises(Cancelled) as caught:
            _abandon_the_request(guard, held)
    finally:
        guard.restore()
    assert caught.value.exit_code == 143
    assert isinstance(caught.value.__context__, ApiError)
    assert held == [True]
    assert not guard.holding
