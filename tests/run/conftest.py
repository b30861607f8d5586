"""Fixtures of the run's unit tests: the CLI scenario on a fake clock, and `compose.run`
driven against it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from composed import Composed, compose_run

from cfstep.emulator import Emulator
from fakeclock import FakeClock

RunComposed = Callable[..., Composed]


@pytest.fixture
def run_composed(emu: Emulator, fake_clock: FakeClock, tmp_path: Path) -> RunComposed:
    """`run_composed(skip=None, **inputs)`: `compose.run` against `emu` (see composed.py)."""

    def go(skip: Mapping[int, str] | None = None, **env: str) -> Composed:
        return compose_run(emu, fake_clock, tmp_path, skip, **env)

    return go
