"""The suite-wide leak check is real: it fails on a leak, and debug output passes it.

Every `run_step` / `run_cli` of this suite calls `assert_no_leak` on its stdout, stderr,
export file and output JSON; these tests prove that check is not vacuous.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cfstep.emulator import Emulator, Fault
from fakeclock import FakeClock
from harness import API_KEY, SECRET, Result, assert_no_leak, base_env, run_step


@pytest.mark.parametrize("where", ["stdout", "stderr", "export_text"])
@pytest.mark.parametrize("value", [API_KEY, SECRET, f"x%2F{SECRET}"])
def test_the_check_catches_a_leak_anywhere(where: str, value: str) -> None:
    result = Result(code=0, stdout="", stderr="")
    setattr(result, where, f"some text {value} more")
    with pytest.raises(AssertionError, match="leaked"):
        assert_no_leak(result)


def test_the_check_reads_the_output_json() -> None:
    result = Result(code=0, stdout="", stderr="", output_json_text=json.dumps({"k": SECRET}))
    with pytest.raises(AssertionError, match="output JSON"):
        assert_no_leak(result)


def test_debug_output_shows_requests_but_no_key_or_secret(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    emu.add_fault(Fault("GET", "/api/builds/", "status", status=503))
    env = base_env(
        emu,
        PIPELINE_ID="proj/leaky-fail",
        SECRETS=f"TOKEN={SECRET}\nOTHER={SECRET}-2",
        VARIABLE=f"NOT_SECRET=contains {SECRET} too",
        DEBUG="true",
        OUTPUT_JSON=str(tmp_path / "o.json"),
        CF_STEP_NAME="s",
    )
    result = run_step(emu, env, ["--api-key", API_KEY], clock=fake_clock)

    assert result.code == 1
    assert "debug: POST /api/pipelines/run/proj%2Fleaky-fail" in result.stderr
    assert "-> 503" in result.stderr
    assert "token is ***" in result.stderr
