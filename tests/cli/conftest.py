"""Fixtures of the end-to-end suite: an emulator on a fake clock shared with cfstep."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import API_KEY
from scenarios import CLI_SCENARIO


@pytest.fixture
def clock() -> FakeClock:
    """Pass it to `run_step(..., clock=clock)`: the emulator's builds move as cfstep sleeps."""
    return FakeClock()


@pytest.fixture
def emu(emulator: Callable[..., Emulator], clock: FakeClock) -> Emulator:
    """The CLI scenario, the suite's distinctive API key, the fake clock."""
    return emulator(CLI_SCENARIO, clock=clock, api_key=API_KEY)


@pytest.fixture
def real_emu(emulator: Callable[..., Emulator]) -> Emulator:
    """The same on real time, for subprocess runs."""
    return emulator(CLI_SCENARIO, api_key=API_KEY)
