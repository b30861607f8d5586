"""Status words in colour when stderr is a terminal, never in a pipeline's log unless
FORCE_COLOR asks, never with NO_COLOR (docs/output.md)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import API_KEY, base_env, run_step
from scenarios import CLI_SCENARIO

GREEN_SUCCESS = "\x1b[32msuccess\x1b[0m"
RED_ERROR = "\x1b[31merror\x1b[0m"
CYAN_RUNNING = "\x1b[36mrunning\x1b[0m"


def test_force_colour_colours_the_status_words(emu: Emulator, fake_clock: FakeClock) -> None:
    env = base_env(emu, PIPELINES="[proj/ok, proj/fail]", FAIL_FAST="false", FORCE_COLOR="1")
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 1
    ok, failed = emu.runs()
    assert f"[  3.0s] #1 proj/ok {CYAN_RUNNING} → {GREEN_SUCCESS}" in result.stderr_lines
    assert f"#2 proj/fail {failed.id}: {RED_ERROR} after 1.0s" in result.stderr_lines
    row = next(line for line in result.stderr_lines if line.startswith("1 ") and ok.id in line)
    assert f"  {GREEN_SUCCESS}  " in row  # the summary's status, padded outside the colour
    assert "\x1b" not in result.stderr_lines[-1]  # the closing line is plain text
    assert "\x1b" not in result.export_text


@pytest.mark.parametrize(
    "extra", [{}, {"NO_COLOR": "1", "FORCE_COLOR": "1"}], ids=["a-pipe", "NO_COLOR"]
)
def test_no_colour_in_a_pipeline_log_or_with_no_color(
    emu: Emulator, fake_clock: FakeClock, extra: dict[str, str]
) -> None:
    env = base_env(emu, PIPELINES="[proj/ok, proj/fail]", FAIL_FAST="false", **extra)
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 1
    assert "\x1b" not in result.stderr


def _run_on_a_terminal(emu: Emulator, env: dict[str, str], tmp_path: Path) -> tuple[int, str]:
    """`python -m cfstep` with its stderr on a pseudo-terminal; its exit code and what the
    terminal showed."""
    leader, follower = pty.openpty()
    environ = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "TERM": "xterm",
        "CF_VOLUME_PATH": str(tmp_path),
        **env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "cfstep"],
        env=environ,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=follower,
    )
    os.close(follower)
    shown = bytearray()
    while True:
        ready, _, _ = select.select([leader], [], [], 20)
        if not ready:
            process.kill()
            raise AssertionError("cfstep wrote nothing for 20 s")
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the process closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    return process.wait(timeout=20), shown.decode("utf-8", "replace")


@pytest.mark.parametrize(("extra", "coloured"), [({}, True), ({"NO_COLOR": "1"}, False)])
def test_a_terminal_gets_colour_unless_no_color(
    emulator: Callable[..., Emulator], tmp_path: Path, extra: dict[str, str], coloured: bool
) -> None:
    emu = emulator(CLI_SCENARIO, api_key=API_KEY)  # on real time: cfstep runs in a process
    code, shown = _run_on_a_terminal(emu, base_env(emu, PIPELINE_ID="proj/fail", **extra), tmp_path)

    assert code == 1, shown
    assert (RED_ERROR in shown) is coloured, shown
    assert ("\x1b[" in shown) is coloured
