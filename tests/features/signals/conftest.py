"""The signal tests' starter: `python -m cfstep` in a subprocess, on real time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cfstep.emulator import Emulator
from harness import SECRET, Figures, Running, base_env, start_cli


@pytest.fixture
def start(
    real_emu: Emulator, tmp_path: Path, figures: Figures, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Running]]:
    """`start(**inputs)`: `python -m cfstep` against `real_emu` (PIPELINE_ID proj/slow
    unless the inputs name what to run), a secret in play; killed if the test fails. The
    cases that ran to their end count into the figure the test module names as
    `SIGNAL_FIGURE`, if it names one."""
    started: list[Running] = []

    def go(**inputs: str) -> Running:
        environ = base_env(
            real_emu,
            SECRETS=f"TOKEN={SECRET}",
            EXPORT_FILE=str(tmp_path / "env_vars_to_export"),
            OUTPUT_JSON=str(tmp_path / "output.json"),
            **(
                {} if {"PIPELINES", "PIPELINE_ID"} & inputs.keys() else {"PIPELINE_ID": "proj/slow"}
            ),
            **inputs,
        )
        started.append(
            start_cli(real_emu, environ, volume=tmp_path, secrets=[SECRET], figures=figures)
        )
        return started[-1]

    yield go
    figure = getattr(request.module, "SIGNAL_FIGURE", None)
    if figure is not None:
        figures.counts[figure] += sum(r.process.returncode is not None for r in started)
    for running in started:
        running.kill()
