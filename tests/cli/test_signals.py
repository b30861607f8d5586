"""SIGTERM / SIGINT: terminate the child (TERMINATE_ON_CANCEL), export, exit 143/130."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from cfstep.emulator import Emulator, Fault
from fakeclock import FakeClock
from harness import RUN_PREFIX, base_env, run_step, start_cli


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["TERM", "INT"]
)
def test_a_signal_while_waiting_terminates_the_child_and_exits_128_plus_n(
    real_emu: Emulator, tmp_path: Path, signum: int, code: int
) -> None:
    env = base_env(real_emu, PIPELINE_ID="proj/slow", CF_STEP_NAME="chain")
    running = start_cli(real_emu, env, volume=tmp_path)
    build_id = running.wait_for_export("BUILD_ID")
    exported_before = running.export_path.read_text(encoding="utf-8")
    give_up = time.monotonic() + 10
    while not any(r.path.startswith("/api/builds/") for r in real_emu.requests):
        assert time.monotonic() < give_up, "cfstep never started waiting"
        time.sleep(0.01)

    running.process.send_signal(signum)
    result = running.finish()

    assert result.code == code, result.stderr
    (build,) = real_emu.runs()
    assert build.id == build_id
    assert f"BUILD_ID={build.id}\n" in exported_before  # survives even a hard kill
    assert f"BUILD_URL={real_emu.url}/build/{build.id}\n" in exported_before
    assert [r.path for r in result.sent("DELETE")] == [f"/api/progress/{build.progress}"]
    assert build.terminated_at is not None
    assert result.exports["BUILD_STATUS"] == "terminated"
    assert result.export_text.startswith(exported_before)
    name = signal.Signals(signum).name
    assert result.stderr_lines[-1].startswith(f"cfstep: stopped by {name} ")


def test_sigterm_during_the_run_request_still_learns_and_stops_the_build(
    real_emu: Emulator, tmp_path: Path
) -> None:
    """The run request is not cut in half: its answer is read, the id exported, the child
    terminated."""
    real_emu.add_fault(Fault("POST", RUN_PREFIX, "delay", delay=1.0))
    running = start_cli(real_emu, base_env(real_emu, PIPELINE_ID="proj/slow"), volume=tmp_path)
    give_up = time.monotonic() + 10
    while not real_emu.requests and time.monotonic() < give_up:
        time.sleep(0.01)
    assert real_emu.requests, "the run request never arrived"

    running.process.send_signal(signal.SIGTERM)
    result = running.finish()

    assert result.code == 143, result.stderr
    (build,) = real_emu.runs()
    assert len(result.run_requests) == 1
    assert result.exports["BUILD_ID"] == build.id
    assert [r.path for r in result.sent("DELETE")] == [f"/api/progress/{build.progress}"]
    assert result.exports["BUILD_STATUS"] == "terminated"


def _signal_at(signum: int, wait: int) -> Callable[[int], None]:
    """Sends this process `signum` before the step's n-th wait, as a runner would."""

    def on_sleep(n: int) -> None:
        if n == wait:
            os.kill(os.getpid(), signum)

    return on_sleep


@pytest.mark.parametrize(
    ("env", "argv"),
    [({"TERMINATE_ON_CANCEL": "false"}, []), ({}, ["--no-terminate-on-cancel"])],
    ids=["env", "flag"],
)
def test_terminate_on_cancel_false_leaves_the_child_running(
    emu: Emulator, clock: FakeClock, env: dict[str, str], argv: list[str]
) -> None:
    on_sleep = _signal_at(signal.SIGTERM, 3)
    result = run_step(
        emu, base_env(emu, PIPELINE_ID="proj/slow", **env), argv, clock=clock, on_sleep=on_sleep
    )

    assert result.code == 143
    assert result.sent("DELETE") == []
    (build,) = emu.runs()
    assert build.status == "running"
    assert result.exports["BUILD_ID"] == build.id
    assert result.exports["BUILD_STATUS"] == "detached"
    assert "TERMINATE_ON_CANCEL=false" in result.stderr


def test_sigint_in_process_terminates_and_exits_130(emu: Emulator, clock: FakeClock) -> None:
    on_sleep = _signal_at(signal.SIGINT, 2)
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/slow"), clock=clock, on_sleep=on_sleep)

    assert result.code == 130
    (build,) = emu.runs()
    assert [r.path for r in result.sent("DELETE")] == [f"/api/progress/{build.progress}"]
    assert result.exports["BUILD_STATUS"] == "terminated"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored


def test_a_refused_terminate_on_cancel_still_exits_143(emu: Emulator, clock: FakeClock) -> None:
    emu.add_fault(Fault("DELETE", "/api/progress/", "status", status=403))
    on_sleep = _signal_at(signal.SIGTERM, 2)
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/slow"), clock=clock, on_sleep=on_sleep)

    assert result.code == 143
    assert len(result.sent("DELETE")) == 1
    (build,) = emu.runs()
    assert f"{emu.url}/build/{build.id}" in result.stderr  # where to stop it by hand
