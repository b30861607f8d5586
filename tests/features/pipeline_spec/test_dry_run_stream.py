"""DRY_RUN prints its account on one stream: a spec's heading and its diff together on
stdout (the dry run's output, whole in a file it is redirected to), then the run request;
stderr keeps only the step's own lines."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import API_KEY, base_env, run_step

SPEC = """\
version: '1.0'
kind: pipeline
metadata:
  name: shop/deploy
  description: {description}
spec:
  variables:
    - key: TARGET
      value: {target}
"""


@pytest.fixture
def empty_emu(emulator: Callable[..., Emulator], fake_clock: FakeClock) -> Emulator:
    return emulator({"pipelines": {}}, clock=fake_clock, api_key=API_KEY)


def _spec(tmp_path: Path, description: str, target: str) -> str:
    path = tmp_path / "deploy.yml"
    path.write_text(SPEC.format(description=description, target=target))
    return str(path)


def test_the_heading_and_the_diff_share_stdout(
    empty_emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    env = base_env(empty_emu, PIPELINE_SPEC=_spec(tmp_path, "old words", "eu"), SPEC_ONLY="true")
    assert run_step(empty_emu, env, clock=fake_clock).code == 0  # the pipeline now exists
    env = base_env(empty_emu, PIPELINE_SPEC=_spec(tmp_path, "new words", "us"), DRY_RUN="true")
    result = run_step(empty_emu, env, clock=fake_clock)
    assert result.code == 0, result.stderr
    heading = f"dry run: shop/deploy would be updated from {tmp_path}/deploy.yml"
    lines = result.stdout.splitlines()
    at = lines.index(heading)
    assert lines[at + 1 : at + 3] == [
        '  ~ metadata.description: "old words" → "new words"',
        '  ~ spec.variables[key=TARGET].value: "eu" → "us"',
    ]
    request = json.loads("\n".join(lines[at + 3 :]))  # then the run request, as JSON
    assert request["url"].endswith("/api/pipelines/run/shop%2Fdeploy?reqId=<uuid4>")
    assert "would be" not in result.stderr
    assert result.stderr_lines[-1] == "dry run: nothing was started or written"
