"""The suite's one family of fixtures, defined here only (tests/test_layout.py holds it):

- `fake_clock`: shared by cfstep and the emulator, so waits take no time;
- `emulator`: a factory of started emulators, for a scenario of the test's own;
- `emu` (on the fake clock) and `real_emu` (on real time, for a step in another process):
  every pipeline of SUITE_SCENARIO; `foreign`: a host that must hear nothing;
- `run`: the entrypoint in this process against `emu`;
- `figures`: what the suite measures (docs/reliability.md), printed at the end of the run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from cfstep.emulator import DEFAULT_API_KEY, Emulator
from fakeclock import FakeClock
from harness import API_KEY, Figures, Result, base_env, run_step
from scenarios import DEFAULT_SCENARIO, SUITE_SCENARIO

EmulatorFactory = Callable[..., Emulator]
Run = Callable[..., Result]

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


@pytest.fixture
def emu(emulator: EmulatorFactory, fake_clock: FakeClock) -> Emulator:
    """Every pipeline of SUITE_SCENARIO, the suite's distinctive API key, on the test's
    fake clock: give `run_step` the same `fake_clock` and the builds move as cfstep waits."""
    return emulator(SUITE_SCENARIO, clock=fake_clock, api_key=API_KEY)


@pytest.fixture
def real_emu(emulator: EmulatorFactory) -> Emulator:
    """The same on real time, for `python -m cfstep` in a subprocess."""
    return emulator(SUITE_SCENARIO, api_key=API_KEY)


@pytest.fixture
def foreign(emulator: EmulatorFactory) -> Emulator:
    """Another host, a redirect's target: it must never hear from cfstep. It has the
    step's key on purpose, so that a request carrying it would be accepted, not hidden."""
    return emulator(api_key=API_KEY)


@pytest.fixture
def run(emu: Emulator, fake_clock: FakeClock, tmp_path: Path, figures: Figures) -> Run:
    """`run(*argv, secrets=(), on_sleep=None, **inputs)`: the entrypoint in-process
    (`harness.run_step`) against `emu` on the fake clock, with the environment
    `base_env(emu, **inputs)` (an input given as None is left out, the key included);
    the export file and the output JSON are fresh files in `tmp_path` unless the inputs
    name others, and the run's leak scan counts into the figures."""

    def go(
        *argv: str,
        secrets: Sequence[str] = (),
        on_sleep: Callable[[int], None] | None = None,
        **inputs: str | None,
    ) -> Result:
        export, output = tmp_path / "env_vars_to_export", tmp_path / "output.json"
        for path in (export, output):
            path.unlink(missing_ok=True)
        given = {"EXPORT_FILE": str(export), "OUTPUT_JSON": str(output), **inputs}
        env = base_env(emu, **{k: v for k, v in given.items() if v is not None})
        for unset in [k for k, v in given.items() if v is None]:
            env.pop(unset, None)
        return run_step(
            emu, env, argv, fake_clock, on_sleep=on_sleep, secrets=secrets, figures=figures
        )

    return go


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
