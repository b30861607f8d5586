"""Hostile and unlucky inputs through the real entrypoint and the emulator: ordinary regular
expressions run, a blow-up is stopped by time, every output key is a name, returned values
are filtered, and no secret reaches any output whatever the shape of the error."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from cfstep.emulator import Emulator
from cli.helpers import RUN_PREFIX, base_env, run_step, start_cli
from fakeclock import FakeClock

# -- regular expressions: bounded by time, not by shape -----------------------------------

COMMIT_325 = "feat(api): " + "add the thing that was asked for " * 9 + "[deploy] now"


def test_an_ordinary_match_on_a_long_commit_message_runs(emu: Emulator, clock: FakeClock) -> None:
    assert len(COMMIT_325) >= 300
    env = base_env(
        emu,
        PIPELINE_ID="proj/ok",
        CF_COMMIT_MESSAGE=COMMIT_325,
        CONDITION_ALL="deploy: 'match(CF_COMMIT_MESSAGE, \"^feat.*\\\\[deploy\\\\].*$\", false)'",
    )
    result = run_step(emu, env, clock=clock)
    assert result.code == 0, result.stderr
    assert result.exports["BUILD_STATUS"] == "success"
    assert len(result.run_requests) == 1


def test_a_prefix_match_on_a_4_kb_commit_message_runs(emu: Emulator, clock: FakeClock) -> None:
    message = "fix: " + "a long explanation of the fix. " * 150
    assert len(message) > 4500
    env = base_env(
        emu,
        PIPELINE_ID="proj/ok",
        CF_COMMIT_MESSAGE=message,
        CONDITION_ALL='match(CF_COMMIT_MESSAGE, "^fix.*", false)',
    )
    result = run_step(emu, env, clock=clock)
    assert result.code == 0, result.stderr
    assert result.exports["BUILD_STATUS"] == "success"


def test_a_branch_only_regex_with_a_repetition_inside_a_repetition_runs(
    emu: Emulator, clock: FakeClock
) -> None:
    branch = "feature/abc-123-login-page-v2"
    assert len(branch) >= 28
    env = base_env(
        emu,
        PIPELINE_ID="proj/ok",
        CF_BRANCH=branch,
        BRANCH_ONLY="/^(feature|bugfix)\\/([a-z0-9]+-?)+$/",
    )
    result = run_step(emu, env, clock=clock)
    assert result.code == 0, result.stderr
    assert result.exports["BUILD_STATUS"] == "success"
    # ... and it still refuses what it does not match, quickly: no backtracking blow-up
    env["CF_BRANCH"] = "feature/" + "abc-" * 20 + "X"
    result = run_step(emu, env, clock=clock)
    assert result.code == 0, result.stderr
    assert result.exports == {"BUILD_STATUS": "skipped"}


BLOW_UP = 'match(SUBJECT, "(a|aa)+$", false)'


def test_a_pattern_that_backtracks_for_ever_is_a_limit_error(
    emu: Emulator, clock: FakeClock
) -> None:
    env = base_env(emu, PIPELINE_ID="proj/ok", SUBJECT="a" * 80 + "b", CONDITION_ALL=BLOW_UP)
    result = run_step(emu, env, clock=clock)
    assert result.code == 5
    assert result.requests == []
    assert result.exports == {}
    (line,) = result.stderr_lines
    assert "regex limit" in line
    assert "1 s" in line


def _handles_sigterm(pid: int) -> bool:
    """Whether the process has installed its SIGTERM handler (SigCgt in /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGTERM - 1)))
    return False


def test_sigterm_while_a_pattern_backtracks_is_honoured(real_emu: Emulator, tmp_path: Path) -> None:
    env = base_env(real_emu, PIPELINE_ID="proj/ok", SUBJECT="a" * 80 + "b", CONDITION_ALL=BLOW_UP)
    running = start_cli(real_emu, env, volume=tmp_path)
    give_up = time.monotonic() + 15
    while not _handles_sigterm(running.process.pid) and time.monotonic() < give_up:
        time.sleep(0.01)
    running.process.send_signal(signal.SIGTERM)
    result = running.finish(timeout=15)
    assert result.code == 143, result.stderr
    assert not result.sent("POST", RUN_PREFIX)
    assert "SIGTERM" in result.stderr


# -- returned values: a documented rule, one warning per refusal --------------------------

HOSTILE_RETURNS = {
    "cfstep_out_PATH": "/tmp/evil:/usr/bin",
    "cfstep_out_LD_PRELOAD": "/tmp/evil.so",
    "cfstep_out_HOME": "/tmp/evil",
    "cfstep_out_CF_API_KEY": "stolen",
    "cfstep_out_CF_BRANCH": "main",
    "cfstep_out_PYTHONPATH": "/tmp/evil",
    "cfstep_out_BUILD_STATUS": "success",
    "cfstep_out_go_CF_OUTPUT_URL": "https://evil.example.com",
    "cfstep_out_https_proxy": "http://evil.example.com:3128",
    "cfstep_out_HUGE": "x" * 300_000,
    "cfstep_out_NUL": "a\x00b",
    "cfstep_out_ESC": "\x1b[31mred",
    "cfstep_out_VERSION": "1.2.3",
    "cfstep_out_NOTES": "line one\nline two",
}


def test_returned_values_are_filtered_by_the_documented_rule(
    emu: Emulator, clock: FakeClock
) -> None:
    emu.add_pipeline(
        "proj/hostile-returns",
        {
            "timeline": [{"status": "running", "seconds": 1}],
            "final": "success",
            "annotations": HOSTILE_RETURNS,
        },
    )
    env = base_env(emu, PIPELINE_ID="proj/hostile-returns", CF_STEP_NAME="go")
    result = run_step(emu, env, clock=clock)
    assert result.code == 0, result.stderr
    (build,) = emu.runs()
    assert result.exports == {
        "BUILD_ID": build.id,
        "BUILD_URL": f"{emu.url}/build/{build.id}",
        "go_CF_OUTPUT_URL": f"{emu.url}/build/{build.id}",
        "BUILD_STATUS": "success",
        "BUILD_DURATION_SECONDS": "1",
        "VERSION": "1.2.3",
        "NOTES": "line one line two",
    }
    refusals = [line for line in result.stderr_lines if "not returned" in line]
    assert len(refusals) == len(HOSTILE_RETURNS) - 2  # one line each
    assert all(len(line) < 400 for line in refusals)  # the 300 KB value is not shown
    assert "\x00" not in result.stderr
    assert "\x1b" not in result.stderr
    assert "\x00" not in result.export_text
    assert "\x1b" not in result.export_text


# -- output keys: one validator for every key written --------------------------------------


def test_a_step_name_with_a_line_break_writes_no_extra_line(
    emu: Emulator, clock: FakeClock
) -> None:
    env = base_env(emu, PIPELINE_ID="proj/fail", CF_STEP_NAME="go\nBUILD_STATUS=success\nx")
    result = run_step(emu, env, clock=clock)
    assert result.code == 1
    (build,) = emu.runs()
    assert result.exports == {
        "BUILD_ID": build.id,
        "BUILD_URL": f"{emu.url}/build/{build.id}",
        "BUILD_STATUS": "error",
        "BUILD_DURATION_SECONDS": "1",
    }
    assert all("=" in line for line in result.export_text.splitlines())
    warnings = [line for line in result.stderr_lines if "CF_STEP_NAME" in line]
    assert len(warnings) == 1
    assert "not exported" in warnings[0]
