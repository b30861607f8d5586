"""SIGTERM in every phase of a run, while the server is silent, drips, or refuses: the step
exits 143 within 5 s (Docker gives 10), the child terminated or named with its id — and
when the run request was abandoned before its answer, one line says the id is unknown and
where to look (README, "Exit codes"). Real subprocesses on real time; every wait bounded.
"""

from __future__ import annotations

import json
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from cfstep.emulator import Emulator, Fault
from harness import Running
from netkit import scripted_server

EXIT_WITHIN = 5.0  # real seconds from the signal to the step's exit
SILENT = 20.0  # a `delay` fault this long: the server says nothing while the step waits
SIGNAL_FIGURE = "signal phases"  # the `start` fixture counts into it
RUN = "/api/pipelines/run/"


def _in_flight(emu: Emulator, method: str, prefix: str) -> Callable[[], bool]:
    """A request of this kind has arrived and is not answered yet."""
    return lambda: any(
        r.method == method and r.path.startswith(prefix) and r.status is None for r in emu.requests
    )


def _sent(emu: Emulator, method: str, prefix: str) -> int:
    return sum(r.method == method and r.path.startswith(prefix) for r in emu.requests)


def _stop(step: Running, signum: signal.Signals = signal.SIGTERM) -> tuple[int, str]:
    step.process.send_signal(signum)
    result = step.finish(EXIT_WITHIN)  # TimeoutExpired if it takes longer
    return result.code, result.stderr


def _assert_id_unknown(err: str, url: str) -> None:
    line = next(x for x in err.splitlines() if "its id is unknown" in x)
    assert f"{url}/builds2" in line
    assert "reqId " in line


# -- the run request --------------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_a_silent_run_request_is_cut_and_no_second_one_is_sent(
    signum: signal.Signals, real_emu: Emulator, start: Callable[..., Running]
) -> None:
    real_emu.add_fault(Fault("POST", RUN, "delay", delay=SILENT, times=-1))
    step = start()
    step.wait_for(_in_flight(real_emu, "POST", RUN))
    code, err = _stop(step, signum)
    assert code == {signal.SIGTERM: 143, signal.SIGINT: 130}[signum], err
    assert _sent(real_emu, "POST", RUN) == 1  # no retry after the signal
    _assert_id_unknown(err, real_emu.url)
    assert "BUILD_ID" not in step.exports
    assert f"stopped by {signum.name}" in err.splitlines()[-1]


def test_a_dripping_run_answer_is_cut(
    tmp_path: Path, start: Callable[..., Running], real_emu: Emulator
) -> None:
    """The run answer's headers, then one byte every 0.2 s of the 1000 promised."""

    def drip(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        for _ in range(1000):
            conn.sendall(b"x")
            time.sleep(0.2)

    with scripted_server(drip) as url:
        step = start(CF_URL=url)
        time.sleep(1.0)  # the request is sent and dripping
        code, err = _stop(step)
    assert code == 143, err
    _assert_id_unknown(err, url)


def test_a_signal_between_run_retries_stops_them(
    real_emu: Emulator, start: Callable[..., Running]
) -> None:
    """503 with Retry-After: 30: the step waits 30 s before the next attempt; the signal
    ends the wait, and no run request is sent after it."""
    real_emu.add_fault(Fault("POST", RUN, "status", status=503, retry_after="30", times=-1))
    step = start()
    step.wait_for(
        lambda: _sent(real_emu, "POST", RUN) == 1 and not _in_flight(real_emu, "POST", RUN)()
    )
    time.sleep(0.2)  # into the wait
    code, err = _stop(step)
    assert code == 143, err
    assert _sent(real_emu, "POST", RUN) == 1
    _assert_id_unknown(err, real_emu.url)


def test_an_answer_that_arrives_after_the_signal_still_terminates_the_child(
    real_emu: Emulator, start: Callable[..., Running]
) -> None:
    """The server answers 1 s after the signal, within the 2.5 s the step gives it: the id
    is learnt, exported, and the child terminated."""
    real_emu.add_fault(Fault("POST", RUN, "delay", delay=1.2))
    step = start()
    step.wait_for(_in_flight(real_emu, "POST", RUN))
    code, err = _stop(step)
    assert code == 143, err
    (build,) = real_emu.runs()
    assert step.exports["BUILD_ID"] == build.id
    assert build.terminated_at is not None
    assert "its id is unknown" not in err


# -- following, terminating, reading ----------------------------------------------------------


def test_a_silent_status_request(real_emu: Emulator, start: Callable[..., Running]) -> None:
    step = start()
    step.wait_for_export("BUILD_ID")
    real_emu.add_fault(Fault("GET", "/api/builds/", "delay", delay=SILENT))
    step.wait_for(_in_flight(real_emu, "GET", "/api/builds/"))
    code, err = _stop(step)
    assert code == 143, err
    (build,) = real_emu.runs()
    assert build.terminated_at is not None
    assert step.exports["BUILD_STATUS"] == "terminated"


@pytest.mark.parametrize("refusals", [2, -1], ids=["refused twice", "refused for ever"])
def test_fail_fast_terminate_refused_then_a_signal(
    refusals: int, real_emu: Emulator, start: Callable[..., Running]
) -> None:
    """FAIL_FAST: the first child fails, the DELETE of the second is refused with 503, and
    SIGTERM comes 0.2 s later. The second child is still the step's to answer for: it is
    terminated, or (refused for ever) reported left running with its URL."""
    real_emu.add_fault(Fault("DELETE", "/api/progress/", "status", status=503, times=refusals))
    step = start(PIPELINES=json.dumps(["proj/fail", "proj/slow"]), FOLLOW_LOGS="false")
    step.wait_for(lambda: _sent(real_emu, "DELETE", "/api/progress/") >= 1, timeout=15)
    time.sleep(0.2)
    code, err = _stop(step)
    assert code == 143, err
    second = real_emu.runs("proj/slow")[0]
    assert step.exports["BUILD_ID_2"] == second.id
    if refusals == -1:
        assert second.terminated_at is None
        assert step.exports["BUILD_STATUS_2"] == "detached"
        assert f"stop it at {real_emu.url}/build/{second.id}" in err
    else:
        assert second.terminated_at is not None
        assert step.exports["BUILD_STATUS_2"] == "terminated"
    assert step.exports["BUILD_STATUS_1"] == "error"


@pytest.mark.parametrize("refusals", [2, -1], ids=["refused twice", "refused for ever"])
def test_timeout_terminate_refused_then_a_signal(
    refusals: int, real_emu: Emulator, start: Callable[..., Running]
) -> None:
    real_emu.add_fault(Fault("DELETE", "/api/progress/", "status", status=503, times=refusals))
    step = start(TIMEOUT_MINS="0.02", ON_TIMEOUT="terminate")
    step.wait_for(lambda: _sent(real_emu, "DELETE", "/api/progress/") >= 1, timeout=15)
    time.sleep(0.2)
    code, err = _stop(step)
    assert code == 143, err
    (build,) = real_emu.runs()
    assert step.exports["BUILD_ID"] == build.id
    if refusals == -1:
        assert build.terminated_at is None
        assert step.exports["BUILD_STATUS"] == "detached"
        assert f"stop it at {real_emu.url}/build/{build.id}" in err
    else:
        assert build.terminated_at is not None
        assert step.exports["BUILD_STATUS"] == "terminated"


def test_a_silent_terminate(real_emu: Emulator, start: Callable[..., Running]) -> None:
    """Every DELETE unanswered: the cancel's terminate has 3 s for all, then says where to
    stop the child."""
    real_emu.add_fault(Fault("DELETE", "/api/progress/", "delay", delay=SILENT, times=-1))
    step = start()
    step.wait_for_export("BUILD_ID")
    code, err = _stop(step)
    assert code == 143, err
    (build,) = real_emu.runs()
    assert step.exports["BUILD_STATUS"] == "detached"
    assert f"stop it at {real_emu.url}/build/{build.id}" in err


def test_a_silent_log_read_keeps_the_status(
    real_emu: Emulator, start: Callable[..., Running]
) -> None:
    """The failed child's status is exported before its log is read."""
    real_emu.add_fault(Fault("GET", "/api/progress/", "delay", delay=SILENT))
    step = start(PIPELINE_ID="proj/fail", FOLLOW_LOGS="false")
    step.wait_for(_in_flight(real_emu, "GET", "/api/progress/"))
    code, err = _stop(step)
    assert code == 143, err
    assert step.exports["BUILD_STATUS"] == "error"
    assert json.loads((step.json_path or Path()).read_text())["children"][0]["status"] == "error"


def test_a_silent_annotations_read(real_emu: Emulator, start: Callable[..., Running]) -> None:
    real_emu.add_fault(Fault("GET", "/api/annotations", "delay", delay=SILENT))
    step = start(PIPELINE_ID="proj/ok")
    step.wait_for(_in_flight(real_emu, "GET", "/api/annotations"), timeout=15)
    code, err = _stop(step)
    assert code == 143, err
    assert step.exports["BUILD_STATUS"] == "success"


@pytest.mark.parametrize(
    ("method", "prefix"),
    [("GET", "/api/pipelines/"), ("POST", "/api/pipelines")],
    ids=["spec read", "spec write"],
)
def test_a_silent_pipeline_spec_request(
    method: str, prefix: str, real_emu: Emulator, start: Callable[..., Running], tmp_path: Path
) -> None:
    """PIPELINE_SPEC, before anything is triggered: nothing is started after the signal."""
    spec = tmp_path / "spec.yaml"
    spec.write_text("version: '1.0'\nkind: pipeline\nmetadata:\n  name: team-a/deploy\n")
    real_emu.add_fault(Fault(method, prefix, "delay", delay=SILENT))
    step = start(PIPELINE_SPEC=str(spec), PIPELINE_ID="team-a/deploy")
    step.wait_for(_in_flight(real_emu, method, prefix))
    code, err = _stop(step)
    assert code == 143, err
    assert _sent(real_emu, "POST", RUN) == 0
    assert "stopped by SIGTERM" in err.splitlines()[-1]


def test_live_logs_stuck_in_silent_requests_do_not_hold_the_exit(
    real_emu: Emulator, start: Callable[..., Running]
) -> None:
    """Five children, each one's live log waiting on a silent firebaseAuth: the signal
    waits for the live logs 1 s in all, not 1 s each, and terminates the five."""
    real_emu.add_fault(Fault("GET", "/api/user/firebaseAuth", "delay", delay=SILENT, times=-1))
    step = start(PIPELINES=json.dumps(["proj/slow"] * 5), FOLLOW_LOGS="true")
    step.wait_for(lambda: _sent(real_emu, "GET", "/api/user/firebaseAuth") >= 5, timeout=15)
    code, err = _stop(step)
    assert code == 143, err
    builds = real_emu.runs()
    assert len(builds) == 5
    assert all(b.terminated_at is not None for b in builds), err
