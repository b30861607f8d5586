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
