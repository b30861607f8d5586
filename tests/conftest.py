"""Fixtures shared by the whole suite: a fake clock and started emulators."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cfstep.emulator import DEFAULT_API_KEY, Emulator
from fakeclock import FakeClock
from scenarios import DEFAULT_SCENARIO

EmulatorFactory = Callable[..., Emulator]


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emulator() -> Iterator[EmulatorFactory]:
    """`emulator(scenario=None, *, clock=None, api_key=...)`: a started emulator.

    `scenario` defaults to DEFAULT_SCENARIO; `clock` is a FakeClock or any
    `() -> float` (default: real monotonic time). Stopped after the test.
    """
    started: list[Emulator] = []

    def make(
        scenario: dict[str, Any] | str | Path | None = None,
        *,
        clock: Callable[[], float] | None = None,
        api_key: str = DEFAULT_API_KEY,
    ) -> Emulator:
        kwargs: dict[str, Any] = {"api_key": api_key}
        if clock is not None:
            kwargs["clock"] = clock
        emu = Emulator(DEFAULT_SCENARIO if scenario is None else scenario, **kwargs)
        started.append(emu.start())
        return emu

    yield make
    for emu in started:
        emu.stop()
