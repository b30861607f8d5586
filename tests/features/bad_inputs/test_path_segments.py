"""Inputs that become a segment of a URL path may not be `.` or `..`: a URL library takes
them away, and the request reaches another endpoint (`POST /api/pipelines/run/..` is
`POST /api/pipelines/`, Codefresh's *create pipeline*). Exit 5, nothing sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import base_env, run_step


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"PIPELINE_ID": ".."}, "PIPELINE_ID: '..' is not a pipeline"),
        ({"PIPELINE_ID": "."}, "PIPELINE_ID: '.' is not a pipeline"),
        ({"PIPELINE_ID": "proj/.."}, "PIPELINE_ID: 'proj/..' is not a pipeline"),
        ({"PIPELINES": "[proj/ok, ..]"}, "PIPELINES item 2: '..' is not a pipeline"),
        ({"PIPELINES": "[{pipeline: .}]"}, "PIPELINES item 1 pipeline: '.' is not a pipeline"),
        ({"BUILD_ID": ".."}, "BUILD_ID: '..' is not a build id"),
    ],
    ids=["pipeline-dotdot", "pipeline-dot", "pipeline-part", "pipelines", "pipelines-map", "build"],
)
def test_a_dot_segment_is_refused_before_any_request(
    emu: Emulator, fake_clock: FakeClock, env: dict[str, str], names: str
) -> None:
    result = run_step(emu, base_env(emu, **env), clock=fake_clock)
    assert result.code == 5, result.stderr
    (line,) = result.stderr_lines
    assert line.startswith(f"cfstep: {names}")
    assert " — give " in line
    assert result.requests == []


@pytest.mark.parametrize("name", ["../deploy", "proj/..", "./deploy"])
def test_a_spec_named_with_a_dot_segment_is_refused(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path, name: str
) -> None:
    """A spec named `../deploy` once looked its project up at `GET /api/projects/`."""
    spec = tmp_path / "spec.yml"
    spec.write_text(f"version: '1.0'\nkind: pipeline\nmetadata:\n  name: {name}\nspec: {{}}\n")
    env = base_env(emu, PIPELINE_SPEC=str(spec), SPEC_ONLY="true")
    result = run_step(emu, env, clock=fake_clock)
    assert result.code == 5, result.stderr
    assert result.stderr_lines == [
        f"cfstep: PIPELINE_SPEC: {spec}: metadata.name: '{name}' is not a pipeline: `.` and "
        "`..` cannot be names — give the pipeline as project/pipeline, or its id"
    ]
    assert result.requests == []
