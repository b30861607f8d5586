"""A fan-out stopped from outside (docs/fanout.md): SIGTERM terminates every running child and
exits 143; an API error that ends the step early does not leave children behind."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable

from cfstep.emulator import Emulator, Fault
from harness import (
    Result,
    Running,
    deleted_progress,
    run_posts,
)


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        time.sleep(0.02)


def test_sigterm_during_fan_out_terminates_every_running_child_and_exits_143(
    real_emu: Emulator, start: Callable[..., Running]
) -> None:
    step = start(PIPELINES="[fan/slow, fan/slow, fan/slow]", MAX_PARALLEL="2")
    # Both running children started and answered: the step is in its poll loop.
    step.wait_for(lambda: len([r for r in run_posts(real_emu) if r.status == 200]) == 2)
    time.sleep(0.3)
    step.process.send_signal(signal.SIGTERM)
    result = step.finish()
    assert result.code == 143
    builds = real_emu.runs()
    assert len(builds) == 2  # the third was never started
    assert sorted(deleted_progress(real_emu)) == sorted(b.progress for b in builds)
    assert all(b.terminated_at is not None for b in builds)
    exports = result.exports
    assert exports["BUILD_ID"] == " ".join(b.id for b in builds)
    assert exports["BUILD_STATUS_1"] == exports["BUILD_STATUS_2"] == "terminated"
    assert exports["BUILD_STATUS_3"] == "skipped"
    assert exports["BUILD_STATUS"] == "terminated"
    lines = result.stderr.splitlines()
    assert lines[-1].startswith("cfstep: stopped by SIGTERM ")
    assert any(line.split()[:3] == ["3", "fan/slow", "-"] for line in lines)  # summary


def test_sigterm_while_a_child_is_being_triggered_terminates_that_child_too(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    """The signal is held until the run request answers; the child it started is then
    terminated with the others, not left running with an id nobody follows."""
    emu.add_fault(Fault("POST", "/api/pipelines/run/fan%2Fc", "delay", delay=0.5))

    def send_sigterm_once_the_request_arrives() -> None:
        wait_for(lambda: len(run_posts(emu)) == 2)
        os.kill(os.getpid(), signal.SIGTERM)

    sender = threading.Thread(target=send_sigterm_once_the_request_arrives)
    sender.start()
    try:
        result = run(PIPELINES="[fan/slow, fan/c, fan/b]")
    finally:
        sender.join(timeout=10)
    assert result.code == 143
    slow, started_during_signal = emu.runs()
    assert deleted_progress(emu) == [slow.progress, started_during_signal.progress]
    assert result.exports["BUILD_ID_2"] == started_during_signal.id
    assert result.exports["BUILD_STATUS_2"] == "terminated"
    assert result.exports["BUILD_STATUS_3"] == "skipped"


def test_sigterm_with_terminate_on_cancel_false_leaves_the_children_running(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    def runner_cancels(wait: int) -> None:
        if wait == 1:
            os.kill(os.getpid(), signal.SIGTERM)

    result = run(
        PIPELINES="[fan/slow, fan/slow]", TERMINATE_ON_CANCEL="false", on_sleep=runner_cancels
    )
    assert result.code == 143
    assert deleted_progress(emu) == []
    assert all(b.status == "running" for b in emu.runs())
    assert result.exports["BUILD_STATUS_1"] == result.exports["BUILD_STATUS_2"] == "detached"
    assert sum("TERMINATE_ON_CANCEL=false" in line for line in result.stderr_lines) == 2


def test_sigint_exits_130_after_terminating_the_children(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    def interrupted(wait: int) -> None:
        if wait == 3:  # polls at 1 s and 2 s done; fan/b ended at 2 s
            os.kill(os.getpid(), signal.SIGINT)

    result = run(PIPELINES="[fan/slow, fan/b, fan/slow]", on_sleep=interrupted)
    assert result.code == 130
    slow1, _, slow3 = emu.runs()
    assert deleted_progress(emu) == [slow1.progress, slow3.progress]  # fan/b had ended
    assert result.exports["BUILD_STATUS_2"] == "success"


# -- an API error ends the step early -------------------------------------------------------


def test_a_refused_trigger_terminates_the_children_already_running(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    """Child 3's pipeline does not exist (404, exit 4): under FAIL_FAST the two started
    children are terminated rather than left running with nobody following them."""
    result = run(PIPELINES="[fan/slow, fan/slow, fan/missing, fan/b]")
    assert result.code == 4
    builds = emu.runs()
    assert len(builds) == 2  # child 4 never started
    assert deleted_progress(emu) == [b.progress for b in builds]
    assert "pipeline 'fan/missing' not found" in result.stderr_lines[-1]
    assert result.exports["BUILD_STATUS_1"] == result.exports["BUILD_STATUS_2"] == "terminated"
    assert result.exports["BUILD_STATUS_4"] == "skipped"


def test_without_fail_fast_a_refused_trigger_leaves_the_others_running_and_says_where(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    result = run(PIPELINES="[fan/slow, fan/missing]", FAIL_FAST="false")
    assert result.code == 4
    (slow,) = emu.runs()
    assert deleted_progress(emu) == []
    assert slow.status == "running"
    assert any(slow.id in line and "FAIL_FAST=false" in line for line in result.stderr_lines)
    assert result.exports["BUILD_STATUS_1"] == "detached"


def test_a_refused_status_request_terminates_the_others_and_exits_4(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    """401 while following ends the wait; the step still stops what it started."""

    def key_revoked(wait: int) -> None:
        if wait == 1:
            first = emu.runs()[0]
            emu.add_fault(Fault("GET", f"/api/builds/{first.id}", "status", status=401))

    result = run(PIPELINES="[fan/slow, fan/slow]", on_sleep=key_revoked)
    assert result.code == 4
    assert "401" in result.stderr_lines[-1]
    assert sorted(deleted_progress(emu)) == sorted(b.progress for b in emu.runs())
