"""Fixtures of the end-to-end tests, built on the suite's `emulator` and `fake_clock`:
`emu` (the emulator on the fake clock the step shares), `real_emu` (on real time, for a
step in another process), `foreign` (another host that must hear nothing) and `run` (the
entrypoint against `emu`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import API_KEY, Figures, Result, base_env, run_step
from scenarios import SUITE_SCENARIO

EmulatorFactory = Callable[..., Emulator]
Run = Callable[..., Result]


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
