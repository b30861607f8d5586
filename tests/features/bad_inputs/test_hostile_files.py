"""Files an input names may come from a pull request: a FIFO, a device, a folder of links
that loop. Each is one line and exit 5, at once, with nothing sent (docs/safety.md)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import base_env, run_cli, run_step

SPEC = "version: '1.0'\nkind: pipeline\nmetadata:\n  name: {name}\nspec: {{}}\n"


def _looping_specs(tmp_path: Path) -> Path:
    """`specs/` holding `x -> .` and `y -> .`, as a pull request can commit them."""
    specs = tmp_path / "specs"
    (specs / "team").mkdir(parents=True)
    (specs / "team" / "deploy.yml").write_text(SPEC.format(name="proj/deploy"))
    (specs / "x").symlink_to(".")
    (specs / "y").symlink_to(".")
    return specs


def test_a_glob_over_looping_links_ends_at_once(emu: Emulator, tmp_path: Path) -> None:
    """`specs/**/*.yml` over `x -> .` and `y -> .` once ran 40 s and past 190 MB."""
    specs = _looping_specs(tmp_path)
    env = base_env(emu, PIPELINE_SPEC=f"{specs}/**/*.yml", SPEC_ONLY="true", DRY_RUN="true")
    result = run_cli(emu, env, volume=tmp_path, timeout=15)
    assert result.code == 0, result.stderr
    assert "dry run: proj/deploy would be created" in result.stdout + result.stderr
    assert f"{specs}/x" not in result.stdout + result.stderr


@pytest.mark.parametrize("name", ["PIPELINE_SPEC", "VARIABLE_FILE", "YAML", "CA_BUNDLE"])
def test_a_fifo_is_refused_without_blocking(emu: Emulator, tmp_path: Path, name: str) -> None:
    """A FIFO as PIPELINE_SPEC once blocked until a signal."""
    fifo = tmp_path / "input.yml"
    os.mkfifo(fifo)
    env = base_env(emu, PIPELINE_ID="proj/ok", **{name: str(fifo)})
    try:
        result = run_cli(emu, env, volume=tmp_path, timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{name} naming a FIFO blocked the step")
    assert result.code == 5
    (line,) = result.stderr_lines
    assert line.startswith(f"cfstep: {name}: ")
    assert "named pipe (FIFO)" in line
    assert result.requests == []


def test_more_spec_files_than_the_bound_is_one_line(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    for n in range(501):
        (tmp_path / f"p{n:03}.yml").write_text(SPEC.format(name=f"proj/p{n}"))
    env = base_env(emu, PIPELINE_SPEC=f"{tmp_path}/*.yml", SPEC_ONLY="true")
    result = run_step(emu, env, clock=fake_clock)
    assert result.code == 5
    assert result.stderr_lines == [
        f"cfstep: PIPELINE_SPEC: '{tmp_path}/*.yml' matches more than 500 files — narrow the "
        "pattern (name the folder the files are in, e.g. pipelines/*.yml)"
    ]
    assert result.requests == []


def test_a_device_as_variable_file_is_refused(emu: Emulator, fake_clock: FakeClock) -> None:
    env = base_env(emu, PIPELINE_ID="proj/ok", VARIABLE_FILE="/dev/zero")
    result = run_step(emu, env, clock=fake_clock)
    assert result.code == 5
    assert result.stderr_lines == [
        "cfstep: VARIABLE_FILE: /dev/zero is a character device, not a regular file — give "
        "the path of a file"
    ]
