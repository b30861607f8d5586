"""SIGTERM and SIGINT in each phase of a run (README "Exit codes"): no orphan build the user
cannot see — the id is exported the moment it is known, and the child is terminated when
TERMINATE_ON_CANCEL (the default); the step exits 143 / 130 itself. The cases run
`python -m cfstep` in a subprocess on real time, but for the few that only need the step's
own handling: those send the signal to this process before the step's n-th wait, on the
fake clock.

The other signal tests: `test_signal_phases.py` (a signal while a request is silent, drips
or is refused) and `test_fanout_signal.py` (several children).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from cfstep.emulator import Emulator, Fault
from harness import RUN_PREFIX, Result, Running

SIGNAL_FIGURE = "signal_cases"  # the `start` fixture counts into it
CODES = {signal.SIGTERM: 143, signal.SIGINT: 130}
SIGNALS = pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])


def _received(emu: Emulator, method: str, prefix: str) -> Callable[[], bool]:
    return lambda: any(r.method == method and r.path.startswith(prefix) for r in emu.requests)


def _assert_terminated(emu: Emulator, step: Running) -> None:
    (build,) = emu.runs()
    assert step.exports["BUILD_ID"] == build.id  # the user can see it
    assert build.terminated_at is not None  # and it does not run on


@SIGNALS
def test_before_the_trigger_nothing_is_started(
    signum: signal.Signals, real_emu: Emulator, start: Callable[..., Running]
) -> None:
    """Stopped while deciding whether to run: a condition whose regular expression takes
    its whole second. (Reading the inputs cannot block: a FIFO is refused at once.)"""
    step = start(CONDITION_ALL='match("' + "a" * 41 + '!", "(a|aa)+$", false)')
    step.wait_for(lambda: _loaded(step, "_regex"))  # the match is about to run
    time.sleep(0.05)  # into the match
    step.process.send_signal(signum)
    result = step.finish()
    assert result.code == CODES[signum], result.stderr
    assert f"stopped by {signum.name}" in result.stderr
    assert real_emu.requests == []
    assert "BUILD_ID" not in step.exports


def _loaded(step: Running, library: str) -> bool:
    """The step's process has mapped `library` (a C extension it imports when needed)."""
    try:
        return library in Path(f"/proc/{step.process.pid}/maps").read_text()
    except OSError:
        return False


BLOW_UP = 'match(SUBJECT, "(a|aa)+$", false)'  # backtracks for ever on a*b


def _handles_sigterm(pid: int) -> bool:
    """Whether the process has installed its SIGTERM handler (SigCgt in /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGTERM - 1)))
    return False


def test_sigterm_while_a_pattern_backtracks_is_honoured(
    real_emu: Emulator, start: Callable[..., Running]
) -> None:
    step = start(PIPELINE_ID="proj/ok", SUBJECT="a" * 80 + "b", CONDITION_ALL=BLOW_UP)
    step.wait_for(lambda: _handles_sigterm(step.process.pid), timeout=15)
    step.process.send_signal(signal.SIGTERM)
    result = step.finish(timeout=15)
    assert result.code == 143, result.stderr
    assert not result.sent("POST", RUN_PREFIX)
    assert "SIGTERM" in result.stderr


@SIGNALS
def test_during_the_run_request_the_build_is_exported_and_terminated(
    signum: signal.Signals, real_emu: Emulator, start: Callable[..., Running]
) -> None:
    """The signal is held until the run request answers: its id is learnt, exported, and
    the child terminated — never a build started behind the user's back."""
    real_emu.add_fault(Fault("POST", "/api/pipelines/run/", "delay", delay=1.0))
    step = start()
    step.wait_for(_received(real_emu, "POST", "/api/pipelines/run/"))
    step.process.send_signal(signum)
    result = step.finish()
    code, err = result.code, result.stderr
    assert code == CODES[signum], err
    assert len(result.run_requests) == 1  # not cut in half, not sent again
    _assert_terminated(real_emu, step)
    (build,) = real_emu.runs()
    assert [r.path for r in result.sent("DELETE")] == [f"/api/progress/{build.progress}"]
    assert step.exports["BUILD_STATUS"] == "terminated"


@SIGNALS
def test_while_following_the_child_is_terminated(
    signum: signal.Signals, real_emu: Emulator, start: Callable[..., Running]
) -> None:
    step = start()
    step.wait_for(_received(real_emu, "GET", "/api/builds/"))  # in the poll loop
    exported_before = step.export_path.read_text(encoding="utf-8")
    step.process.send_signal(signum)
    result = step.finish()
    code, err = result.code, result.stderr
    assert code == CODES[signum], err
    _assert_terminated(real_emu, step)
    (build,) = real_emu.runs()
    assert f"BUILD_ID={build.id}\n" in exported_before  # survives even a hard kill
    assert f"BUILD_URL={real_emu.url}/build/{build.id}\n" in exported_before
    assert result.export_text.startswith(exported_before)
    assert [r.path for r in result.sent("DELETE")] == [f"/api/progress/{build.progress}"]
    assert step.exports["BUILD_STATUS"] == "terminated"
    assert err.splitlines()[-1].startswith(f"cfstep: stopped by {signum.name} ")


def test_sigterm_while_following_a_live_log_closes_the_stream(
    real_emu: Emulator, start: Callable[..., Running]
) -> None:
    real_emu.add_pipeline(
        "live/slow",
        {"timeline": [{"status": "running"}], "steps": [{"name": "Soak", "lines": ["soaking"]}]},
    )
    step = start(PIPELINE_ID="live/slow")
    step.wait_for(lambda: real_emu.logstore.open_streams > 0)
    step.process.send_signal(signal.SIGTERM)
    result = step.finish()
    assert result.code == 143, result.stderr
    _assert_terminated(real_emu, step)
    assert result.exports["BUILD_STATUS"] == "terminated"
    give_up = time.monotonic() + 5
    while real_emu.logstore.open_streams:
        assert time.monotonic() < give_up, "the log stream was left open"
        time.sleep(0.01)


@SIGNALS
def test_a_second_signal_during_terminate_does_not_cut_it_short(
    signum: signal.Signals, real_emu: Emulator, start: Callable[..., Running]
) -> None:
    real_emu.add_fault(Fault("DELETE", "/api/progress/", "delay", delay=1.0))
    step = start()
    step.wait_for(lambda: "BUILD_ID" in step.exports)
    step.process.send_signal(signum)
    step.wait_for(_received(real_emu, "DELETE", "/api/progress/"))
    step.process.send_signal(signal.SIGINT if signum == signal.SIGTERM else signal.SIGTERM)
    result = step.finish()
    code, err = result.code, result.stderr
    assert code == CODES[signum], err  # the first signal decides
    _assert_terminated(real_emu, step)
    assert step.exports["BUILD_STATUS"] == "terminated"


def test_a_signal_during_the_timeout_terminate(
    real_emu: Emulator, start: Callable[..., Running]
) -> None:
    """ON_TIMEOUT=terminate has sent its DELETE when SIGTERM arrives: exit 143, and the
    child is stopped all the same."""
    real_emu.add_fault(Fault("DELETE", "/api/progress/", "delay", delay=1.0))
    step = start(TIMEOUT_MINS="0.02", ON_TIMEOUT="terminate")
    step.wait_for(_received(real_emu, "DELETE", "/api/progress/"))
    step.process.send_signal(signal.SIGTERM)
    result = step.finish()
    code, err = result.code, result.stderr
    assert code == 143, err
    time.sleep(1.1)  # the DELETE the server holds is processed after its delay
    _assert_terminated(real_emu, step)


def test_terminate_on_cancel_false_leaves_the_child_visible(
    real_emu: Emulator, start: Callable[..., Running]
) -> None:
    step = start(TERMINATE_ON_CANCEL="false")
    step.wait_for(lambda: "BUILD_ID" in step.exports)
    step.process.send_signal(signal.SIGINT)
    result = step.finish()
    code, err = result.code, result.stderr
    assert code == 130, err
    (build,) = real_emu.runs()
    assert build.terminated_at is None  # as asked
    assert result.sent("DELETE") == []
    assert step.exports["BUILD_ID"] == build.id
    assert step.exports["BUILD_STATUS"] == "detached"
    assert f"leaving {build.id} running" in err
    assert "TERMINATE_ON_CANCEL=false" in err


# -- in this process, on the fake clock: the step's own handling ----------------------------


def _signal_at(signum: int, wait: int) -> Callable[[int], None]:
    """Sends this process `signum` before the step's n-th wait, as a runner would."""

    def on_sleep(n: int) -> None:
        if n == wait:
            os.kill(os.getpid(), signum)

    return on_sleep


def test_the_no_terminate_on_cancel_flag_leaves_the_child_running(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    result = run(
        "--no-terminate-on-cancel",
        PIPELINE_ID="proj/slow",
        on_sleep=_signal_at(signal.SIGTERM, 3),
    )
    assert result.code == 143
    assert result.sent("DELETE") == []
    (build,) = emu.runs()
    assert build.status == "running"
    assert result.exports["BUILD_STATUS"] == "detached"
    assert "TERMINATE_ON_CANCEL=false" in result.stderr


def test_sigint_in_process_terminates_and_restores_the_handler(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    before = signal.getsignal(signal.SIGINT)  # Python's own, or ignored in a background job
    result = run(PIPELINE_ID="proj/slow", on_sleep=_signal_at(signal.SIGINT, 2))
    assert result.code == 130
    (build,) = emu.runs()
    assert [r.path for r in result.sent("DELETE")] == [f"/api/progress/{build.progress}"]
    assert result.exports["BUILD_STATUS"] == "terminated"
    assert signal.getsignal(signal.SIGINT) is before  # restored


def test_a_refused_terminate_on_cancel_still_exits_143(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    emu.add_fault(Fault("DELETE", "/api/progress/", "status", status=403))
    result = run(PIPELINE_ID="proj/slow", on_sleep=_signal_at(signal.SIGTERM, 2))
    assert result.code == 143
    assert len(result.sent("DELETE")) == 1
    (build,) = emu.runs()
    assert f"{emu.url}/build/{build.id}" in result.stderr  # where to stop it by hand
