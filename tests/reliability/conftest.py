"""Reliability suite fixtures; the figures it measured are printed at the end of the run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from reliability_kit import API_KEY, FIGURES, MATRIX, free_port

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from scenarios import DEFAULT_SCENARIO


@pytest.fixture
def emu(fake_clock: FakeClock) -> Iterator[Emulator]:
    """The default scenario on the fake clock, with the suite's distinctive API key; on a
    fixed port, so that it can be stopped (connection refused) and started again."""
    emulator = Emulator(
        DEFAULT_SCENARIO, api_key=API_KEY, clock=fake_clock, port=free_port()
    ).start()
    yield emulator
    emulator.stop()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not (MATRIX or FIGURES):
        return
    write = terminalreporter.write_line
    terminalreporter.section("reliability figures")
    if MATRIX:
        passed = sum(row.passed for row in MATRIX)
        duplicates = sum(row.duplicates for row in MATRIX)
        write(
            f"fault matrix: {len(MATRIX)} cases, {passed} passed, "
            f"duplicate builds found: {duplicates}"
        )
    write(
        f"leak scans: {FIGURES['leak_scans']} texts of {FIGURES['runs']} runs, "
        f"leaks found: {FIGURES['leaks']}"
    )
    for key in (
        "faults_injected",
        "bad_inputs",
        "fuzz_inputs",
        "fuzz_conditions",
        "signal_cases",
        "redirects",
    ):
        if FIGURES[key]:
            write(f"{key.replace('_', ' ')}: {FIGURES[key]}")
