"""The export file holds one line per name: each final value is written once, and the ids
and URLs are in the file right after each trigger (in a fan-out under BUILD_ID_<n> and
BUILD_URL_<n>; the lists BUILD_ID and BUILD_URL once no more children will start), so they
survive a cancel (README, "Outputs"; docs/output.md)."""

from __future__ import annotations

import os
import signal
from collections import Counter
from pathlib import Path

import pytest

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import Result, base_env, run_step

CASES = {
    "one child, success": {"PIPELINE_ID": "proj/ok", "CF_STEP_NAME": "go"},
    "one child, error": {"PIPELINE_ID": "proj/fail"},
    "one child, timeout terminated": {
        "PIPELINE_ID": "proj/slow",
        "TIMEOUT_MINS": "0.1",
        "TERMINATE_ON_TIMEOUT": "true",
    },
    "one child, detached": {"PIPELINE_ID": "proj/ok", "DETACH": "true", "CF_STEP_NAME": "go"},
    "fan-out, one at a time": {
        "PIPELINES": "[proj/ok, proj/ok, proj/ok]",
        "MAX_PARALLEL": "1",
        "CF_STEP_NAME": "go",
    },
    "fan-out, fail fast": {"PIPELINES": "[proj/slow, proj/fail, proj/ok]", "MAX_PARALLEL": "2"},
    "fan-out, no fail fast": {"PIPELINES": "[proj/fail, proj/ok]", "FAIL_FAST": "false"},
    "fan-out, detached": {"PIPELINES": "[proj/ok, proj/slow]", "DETACH": "true"},
    "fan-out, not propagated": {"PIPELINES": "[proj/fail, proj/ok]", "PROPAGATE_FAILURE": "no"},
}


def _duplicates(result: Result) -> list[str]:
    keys = Counter(line.partition("=")[0] for line in result.export_lines)
    return [key for key, count in keys.items() if count > 1]


@pytest.mark.parametrize("inputs", CASES.values(), ids=CASES.keys())
def test_every_key_is_written_once(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path, inputs: dict[str, str]
) -> None:
    json_path = tmp_path / "out.json"
    result = run_step(emu, base_env(emu, OUTPUT_JSON=str(json_path), **inputs), clock=fake_clock)

    assert result.export_lines, result.stderr
    assert _duplicates(result) == [], result.export_text
    assert result.output_json["outputs"] == result.exports


def test_a_cancelled_fan_out_writes_every_key_once(emu: Emulator, fake_clock: FakeClock) -> None:
    """SIGTERM while three children run, a fourth queued: the wind-down writes the lists,
    the statuses and the never-started child once each."""

    def stop(n: int) -> None:
        if n == 3:
            os.kill(os.getpid(), signal.SIGTERM)

    env = base_env(emu, PIPELINES="[proj/slow, proj/slow, proj/slow, proj/ok]", MAX_PARALLEL="3")
    result = run_step(emu, env, clock=fake_clock, on_sleep=stop)

    assert result.code == 143, result.stderr
    assert _duplicates(result) == [], result.export_text
    builds = emu.runs()
    assert result.exports["BUILD_ID"] == " ".join(b.id for b in builds)
    assert [result.exports[f"BUILD_STATUS_{n}"] for n in (1, 2, 3, 4)] == [
        "terminated",
        "terminated",
        "terminated",
        "skipped",
    ]


def test_a_fan_out_exports_each_id_right_after_its_trigger(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """One child at a time: child n's id and URL are in the file before the step waits for
    it; the list of all ids comes once, when the last child has started."""
    export = tmp_path / "env_vars_to_export"
    at_each_wait: list[dict[str, str]] = []

    def look(_n: int) -> None:
        text = export.read_text(encoding="utf-8")
        at_each_wait.append(dict(line.split("=", 1) for line in text.splitlines() if line))

    env = base_env(
        emu, PIPELINES="[proj/ok, proj/ok]", MAX_PARALLEL="1", CF_VOLUME_PATH=str(tmp_path)
    )
    result = run_step(emu, env, clock=fake_clock, on_sleep=look)

    assert result.code == 0, result.stderr
    first, second = emu.runs()
    assert at_each_wait[0] == {
        "BUILD_ID_1": first.id,
        "BUILD_URL_1": f"{emu.url}/build/{first.id}",
    }
    while_second_runs = next(seen for seen in at_each_wait if "BUILD_ID_2" in seen)
    assert while_second_runs["BUILD_ID"] == f"{first.id} {second.id}"
    assert _duplicates(result) == []
