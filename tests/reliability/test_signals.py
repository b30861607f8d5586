"""SIGTERM and SIGINT at each phase, in a real subprocess (README "Exit codes"): no orphan build the
user cannot see — the id is exported the moment it is known, and the child is terminated
when TERMINATE_ON_CANCEL (the default); the step exits 143 / 130 itself."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from cfstep.emulator import Emulator, Fault
from harness import Running

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
    signum: signal.Signals, live: Emulator, start: Callable[..., Running]
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
    assert live.requests == []
    assert "BUILD_ID" not in step.exports


def _loaded(step: Running, library: str) -> bool:
    """The step's process has mapped `library` (a C extension it imports when needed)."""
    try:
        return library in Path(f"/proc/{step.process.pid}/maps").read_text()
    except OSError:
        return False


@SIGNALS
def test_during_the_run_request_the_build_is_exported_and_terminated(
    signum: signal.Signals, live: Emulator, start: Callable[..., Running]
) -> None:
    """The signal is held until the run request answers: its id is learnt, exported, and
    the child terminated — never a build started behind the user's back."""
    live.add_fault(Fault("POST", "/api/pipelines/run/", "delay", delay=1.0))
    step = start()
    step.wait_for(_received(live, "POST", "/api/pipelines/run/"))
    step.process.send_signal(signum)
    result = step.finish()
    code, err = result.code, result.stderr
    assert code == CODES[signum], err
    _assert_terminated(live, step)
    assert step.exports["BUILD_STATUS"] == "terminated"


@SIGNALS
def test_while_following_the_child_is_terminated(
    signum: signal.Signals, live: Emulator, start: Callable[..., Running]
) -> None:
    step = start()
    step.wait_for(lambda: "BUILD_ID" in step.exports)
    step.process.send_signal(signum)
    result = step.finish()
    code, err = result.code, result.stderr
    assert code == CODES[signum], err
    _assert_terminated(live, step)
    assert step.exports["BUILD_STATUS"] == "terminated"
    assert f"stopped by {signum.name}" in err.splitlines()[-1]


@SIGNALS
def test_a_second_signal_during_terminate_does_not_cut_it_short(
    signum: signal.Signals, live: Emulator, start: Callable[..., Running]
) -> None:
    live.add_fault(Fault("DELETE", "/api/progress/", "delay", delay=1.0))
    step = start()
    step.wait_for(lambda: "BUILD_ID" in step.exports)
    step.process.send_signal(signum)
    step.wait_for(_received(live, "DELETE", "/api/progress/"))
    step.process.send_signal(signal.SIGINT if signum == signal.SIGTERM else signal.SIGTERM)
    result = step.finish()
    code, err = result.code, result.stderr
    assert code == CODES[signum], err  # the first signal decides
    _assert_terminated(live, step)
    assert step.exports["BUILD_STATUS"] == "terminated"


def test_a_signal_during_the_timeout_terminate(
    live: Emulator, start: Callable[..., Running]
) -> None:
    """ON_TIMEOUT=terminate has sent its DELETE when SIGTERM arrives: exit 143, and the
    child is stopped all the same."""
    live.add_fault(Fault("DELETE", "/api/progress/", "delay", delay=1.0))
    step = start(TIMEOUT_MINS="0.02", ON_TIMEOUT="terminate")
    step.wait_for(_received(live, "DELETE", "/api/progress/"))
    step.process.send_signal(signal.SIGTERM)
    result = step.finish()
    code, err = result.code, result.stderr
    assert code == 143, err
    time.sleep(1.1)  # the DELETE the server holds is processed after its delay
    _assert_terminated(live, step)


def test_terminate_on_cancel_false_leaves_the_child_visible(
    live: Emulator, start: Callable[..., Running]
) -> None:
    step = start(TERMINATE_ON_CANCEL="false")
    step.wait_for(lambda: "BUILD_ID" in step.exports)
    step.process.send_signal(signal.SIGINT)
    result = step.finish()
    code, err = result.code, result.stderr
    assert code == 130, err
    (build,) = live.runs()
    assert build.terminated_at is None  # as asked
    assert step.exports["BUILD_ID"] == build.id
    assert step.exports["BUILD_STATUS"] == "detached"
    assert f"leaving {build.id} running" in err
