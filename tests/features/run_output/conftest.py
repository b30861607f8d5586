"""Fixtures of the run's output tests: the CLI scenario on a fake clock shared with cfstep."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import API_KEY
from scenarios import CLI_SCENARIO


@pytest.fixture
def clock(fake_clock: FakeClock) -> FakeClock:
    return fake_clock


@pytest.fixture
def emu(emulator: Callable[..., Emulator], clock: FakeClock) -> Emulator:
    return emulator(CLI_SCENARIO, clock=clock, api_key=API_KEY)
