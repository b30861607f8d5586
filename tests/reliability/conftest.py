"""Reliability suite fixtures; the figures it measured are printed at the end of the run."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import API_KEY, Figures, Result, free_port, run_step
from scenarios import DEFAULT_SCENARIO

FIGURES = pytest.StashKey[Figures]()

Run = Callable[..., Result]


@pytest.fixture(scope="session")
def figures(pytestconfig: pytest.Config) -> Figures:
    """The session's figures: tests add to them, `pytest_terminal_summary` prints them."""
    return pytestconfig.stash.setdefault(FIGURES, Figures())


@pytest.fixture
def emu(fake_clock: FakeClock) -> Iterator[Emulator]:
    """The default scenario on the fake clock, with the suite's distinctive API key; on a
    fixed port, so that it can be stopped (connection refused) and started again."""
    emulator = Emulator(
        DEFAULT_SCENARIO, api_key=API_KEY, clock=fake_clock, port=free_port()
    ).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def run(emu: Emulator, fake_clock: FakeClock, tmp_path: Path, figures: Figures) -> Run:
    """`run(env, argv=(), *, secrets=())`: the entrypoint in-process against `emu` on the
    fake clock (`harness.run_step`), writing an export file and an output JSON in
    `tmp_path` unless `env` says otherwise; its leak scan counted into the figures."""

    def go(env: dict[str, str], argv: Sequence[str] = (), *, secrets: Sequence[str] = ()) -> Result:
        export, output = tmp_path / "env_vars_to_export", tmp_path / "output.json"
        for path in (export, output):
            path.unlink(missing_ok=True)
        environ = {"EXPORT_FILE": str(export), "OUTPUT_JSON": str(output), **env}
        return run_step(emu, environ, argv, fake_clock, secrets=secrets, figures=figures)

    return go


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    figures = config.stash.get(FIGURES, None)
    if figures is None:
        return
    terminalreporter.section("reliability figures")
    for line in figures.report(grid=config.get_verbosity() > 0):
        terminalreporter.write_line(line)
