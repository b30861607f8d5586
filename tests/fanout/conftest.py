"""Fixtures of the fan-out tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cfstep.emulator import Emulator, server
from fakeclock import FakeClock
from harness import API_KEY, Result, base_env, run_step
from scenarios import FANOUT_SCENARIO


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
    return emulator(FANOUT_SCENARIO, clock=fake_clock, api_key=API_KEY)


@pytest.fixture
def run(emu: Emulator, fake_clock: FakeClock, tmp_path: Path) -> Callable[..., Result]:
    """`run(*argv, on_sleep=None, **inputs)`: the real entrypoint against `emu` on the fake
    clock (`harness.run_step`), its export file and output JSON in `tmp_path`."""

    def go(*argv: str, on_sleep: Callable[[int], None] | None = None, **inputs: str) -> Result:
        env = base_env(
            emu,
            EXPORT_FILE=str(tmp_path / "env_vars_to_export"),
            OUTPUT_JSON=str(tmp_path / "outputs.json"),
            CF_STEP_NAME="release",
            **inputs,
        )
        return run_step(emu, env, argv, fake_clock, on_sleep=on_sleep)

    return go
