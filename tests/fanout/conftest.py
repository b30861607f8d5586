"""Fixtures of the fan-out tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fanrun import FANOUT_SCENARIO, Result, step

from cfstep.emulator import Emulator, server
from fakeclock import FakeClock


@pytest.fixture(autouse=True)
def _emulator_without_nagle(monkeypatch: pytest.MonkeyPatch) -> None:
    """The emulator writes an answer's headers and body in two sends; with Nagle's algorithm
    on, the body waits for the client's delayed ACK, 40 ms per request. A fan-out makes
    hundreds of requests, so these tests turn Nagle off (as socketserver allows) to stay
    fast; cfstep's own client sends each request in one write and is not affected."""
    monkeypatch.setattr(server.Handler, "disable_nagle_algorithm", True)


@pytest.fixture
def emu(emulator: Callable[..., Emulator], fake_clock: FakeClock) -> Emulator:
    """The emulator with the fan-out scenario, on the test's fake clock."""
    return emulator(FANOUT_SCENARIO, clock=fake_clock)


@pytest.fixture
def run(
    emu: Emulator, fake_clock: FakeClock, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> Callable[..., Result]:
    """`run(*argv, on_sleep=None, **inputs)`: the real entrypoint against `emu`, on the fake
    clock (see `fanrun.step`)."""

    def go(*argv: str, on_sleep: Callable[[int], None] | None = None, **inputs: str) -> Result:
        return step(emu, fake_clock, capsys, tmp_path, *argv, on_sleep=on_sleep, **inputs)

    return go
