"""Reliability suite fixtures; the figures it measured are printed at the end of the run."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import (
    API_KEY,
    SECRET,
    Figures,
    Result,
    Running,
    base_env,
    run_step,
    start_cli,
)
from scenarios import DEFAULT_SCENARIO

FIGURES = pytest.StashKey[Figures]()

Run = Callable[..., Result]


@pytest.fixture(scope="session")
def figures(pytestconfig: pytest.Config) -> Figures:
    """The session's figures: tests add to them, `pytest_terminal_summary` prints them."""
    return pytestconfig.stash.setdefault(FIGURES, Figures())


@pytest.fixture
def emu(fake_clock: FakeClock) -> Iterator[Emulator]:
    """The default scenario on the fake clock, with the suite's distinctive API key."""
    emulator = Emulator(DEFAULT_SCENARIO, api_key=API_KEY, clock=fake_clock).start()
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


@pytest.fixture
def live() -> Iterator[Emulator]:
    """The emulator on real time, for a step running in another process."""
    emulator = Emulator(DEFAULT_SCENARIO, api_key=API_KEY).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def start(
    live: Emulator, tmp_path: Path, figures: Figures, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Running]]:
    """`start(**env)`: `python -m cfstep` against `live` (PIPELINE_ID proj/slow unless
    given), a secret in play; the cases that ran to their end are counted into the figure
    the test module names as `SIGNAL_FIGURE`."""
    started: list[Running] = []

    def go(**env: str) -> Running:
        environ = base_env(
            live,
            SECRETS=f"TOKEN={SECRET}",
            EXPORT_FILE=str(tmp_path / "env_vars_to_export"),
            OUTPUT_JSON=str(tmp_path / "output.json"),
            **({} if {"PIPELINES", "PIPELINE_ID"} & env.keys() else {"PIPELINE_ID": "proj/slow"}),
            **env,
        )
        started.append(start_cli(live, environ, volume=tmp_path, secrets=[SECRET], figures=figures))
        return started[-1]

    yield go
    figure = request.module.SIGNAL_FIGURE
    figures.counts[figure] += sum(r.process.returncode is not None for r in started)
    for running in started:
        running.kill()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    figures = config.stash.get(FIGURES, None)
    if figures is None:
        return
    terminalreporter.section("reliability figures")
    for line in figures.report(grid=config.get_verbosity() > 0):
        terminalreporter.write_line(line)
