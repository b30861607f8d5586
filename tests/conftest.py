"""Fixtures shared by the whole suite: a fake clock, started emulators, and the figures the
suite measures (docs/reliability.md), printed at the end of the run."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import Figures
from scenarios import DEFAULT_SCENARIO

EmulatorFactory = Callable[..., Emulator]

FIGURES = pytest.StashKey[Figures]()


@pytest.fixture
def fake_clock() -> FakeClock:
    """Pass it to the emulator and to `run_step`: the builds move as cfstep sleeps."""
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
        api_key: str = "test-api-key",
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


@pytest.fixture(scope="session")
def figures(pytestconfig: pytest.Config) -> Figures:
    """The session's figures: tests add to them, `pytest_terminal_summary` prints them."""
    return pytestconfig.stash.setdefault(FIGURES, Figures())


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    figures = config.stash.get(FIGURES, None)
    if figures is None:
        return
    terminalreporter.section("reliability figures")
    for line in figures.report(grid=config.get_verbosity() > 0):
        terminalreporter.write_line(line)
