"""Fixtures of the run's unit tests: the CLI scenario on a fake clock, and `compose.run`
driven against it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from composed import Composed, compose_run

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import API_KEY
from scenarios import CLI_SCENARIO

RunComposed = Callable[..., Composed]


@pytest.fixture
def clock(fake_clock: FakeClock) -> FakeClock:
    return fake_clock


@pytest.fixture
def emu(emulator: Callable[..., Emulator], clock: FakeClock) -> Emulator:
    return emulator(CLI_SCENARIO, clock=clock, api_key=API_KEY)


@pytest.fixture
def run_composed(emu: Emulator, clock: FakeClock, tmp_path: Path) -> RunComposed:
    """`run_composed(skip=None, **inputs)`: `compose.run` against `emu` (see composed.py)."""

    def go(skip: Mapping[int, str] | None = None, **env: str) -> Composed:
        return compose_run(emu, clock, tmp_path, skip, **env)

    return go
