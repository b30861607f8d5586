"""Following the child: timeouts, approvals, transient trouble, BUILD_ID."""

from __future__ import annotations

import pytest

from cfstep.emulator import Emulator, Fault
from fakeclock import FakeClock
from harness import Result, base_env, run_step

BUILDS = "/api/builds/"


def _deletes(result: Result) -> list[str]:
    return [r.path for r in result.sent("DELETE")]


# -- timeout ---------------------------------------------------------------------------


def test_timeout_fail_exits_3_and_leaves_the_child_running(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    env = base_env(emu, PIPELINE_ID="proj/slow", TIMEOUT_MINS="0.1", ON_TIMEOUT="fail")
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 3
    (build,) = emu.runs()
    assert build.status == "running"
    assert _deletes(result) == []
    assert result.exports["BUILD_STATUS"] == "timeout"
    assert result.exports["BUILD_ID"] == build.id
    assert "did not end within TIMEOUT_MINS" in result.stderr_lines[-1]
    # The deadline is 6 s after the run request; no status request after it.
    assert max(r.time for r in result.sent("GET", BUILDS)) <= build.created + 6
    assert fake_clock.now() == pytest.approx(build.created + 6)


@pytest.mark.parametrize(
    "env",
    [
        {"ON_TIMEOUT": "terminate"},
        {"ON_TIMEOUT": "TERMINATE"},
        {"TERMINATE_ON_TIMEOUT": "true"},
        {"TERMINATE_ON_TIMEOUT": "yes", "ON_TIMEOUT": "terminate"},
    ],
    ids=["on-timeout", "upper-case", "terminate-on-timeout", "both"],
)
def test_timeout_terminate_exits_3_and_deletes_the_progress(
    emu: Emulator, fake_clock: FakeClock, env: dict[str, str]
) -> None:
    result = run_step(
        emu, base_env(emu, PIPELINE_ID="proj/slow", TIMEOUT_MINS="0.1", **env), clock=fake_clock
    )

    assert result.code == 3
    (build,) = emu.runs()
    assert _deletes(result) == [f"/api/progress/{build.progress}"]
    assert build.terminated_at is not None
    assert result.exports["BUILD_STATUS"] == "timeout"
    assert "terminating" in result.stderr


def test_timeout_terminate_by_flag(emu: Emulator, fake_clock: FakeClock) -> None:
    argv = ["--on-timeout", "terminate", "--timeout-mins", "0.1"]
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/slow"), argv, clock=fake_clock)

    assert result.code == 3
    (build,) = emu.runs()
    assert _deletes(result) == [f"/api/progress/{build.progress}"]


def test_timeout_detach_exits_0_with_a_warning(emu: Emulator, fake_clock: FakeClock) -> None:
    env = base_env(emu, PIPELINE_ID="proj/slow", TIMEOUT_MINS="0.1", ON_TIMEOUT="detach")
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 0
    (build,) = emu.runs()
    assert build.status == "running"
    assert _deletes(result) == []
    assert result.exports["BUILD_STATUS"] == "detached"
    assert "warning:" in result.stderr
    assert "ON_TIMEOUT=detach" in result.stderr


def test_decimal_timeout_is_honoured(emu: Emulator, fake_clock: FakeClock) -> None:
    env = base_env(emu, PIPELINE_ID="proj/slow", TIMEOUT_MINS="0.05")
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 3
    (build,) = emu.runs()
    assert fake_clock.now() == pytest.approx(build.created + 3)


# -- approval --------------------------------------------------------------------------


def test_approval_wait_keeps_waiting_until_the_timeout(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    env = base_env(emu, PIPELINE_ID="proj/approval", TIMEOUT_MINS="0.1")
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 3
    (build,) = emu.runs()
    assert build.status == "pending-approval"
    assert result.exports["BUILD_STATUS"] == "timeout"
    assert _deletes(result) == []
    assert "pending-approval" in result.stderr


def test_approval_succeed_exits_0_with_status_pending_approval(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    env = base_env(emu, PIPELINE_ID="proj/approval", ON_APPROVAL="succeed")
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 0
    assert result.exports["BUILD_STATUS"] == "pending-approval"
    assert _deletes(result) == []
    (build,) = emu.runs()
    assert build.status == "pending-approval"  # left for a person to approve
    assert fake_clock.now() < build.created + 5  # seen at the first poll after the pause


def test_approval_fail_exits_2(emu: Emulator, fake_clock: FakeClock) -> None:
    result = run_step(
        emu, base_env(emu, PIPELINE_ID="proj/approval"), ["--on-approval", "fail"], clock=fake_clock
    )

    assert result.code == 2
    assert result.exports["BUILD_STATUS"] == "pending-approval"
    assert "pending-approval" in result.stderr_lines[-1]


# -- transient trouble while following --------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        Fault("GET", BUILDS, "status", status=429, times=3, retry_after="2"),
        Fault("GET", BUILDS, "status", status=429, times=2),
        Fault("GET", BUILDS, "status", status=500, times=3),
        Fault("GET", BUILDS, "status", status=502, times=2),
        Fault("GET", BUILDS, "status", status=503, times=3),
        Fault("GET", BUILDS, "status", status=504, times=2),
        Fault("GET", BUILDS, "html", times=2),
        Fault("GET", BUILDS, "malformed_json", times=3),
        Fault("GET", BUILDS, "empty", times=2),
        Fault("GET", BUILDS, "drop_before", times=3),
        Fault("GET", BUILDS, "drop_after", times=3),
        Fault("GET", BUILDS, "malformed_json", times=2, body=b'{"status": 7}'),
    ],
    ids=lambda f: f"{f.kind}-{f.effective_status}x{f.times}",
)
def test_transient_trouble_while_following_never_ends_the_wait(
    emu: Emulator, fake_clock: FakeClock, fault: Fault
) -> None:
    emu.add_fault(fault)
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok"), clock=fake_clock)

    assert result.code == 0, result.stderr
    assert result.exports["BUILD_STATUS"] == "success"
    statuses = [r.fault for r in result.sent("GET", BUILDS)]
    assert statuses.count(fault.kind) == fault.times
    assert len(emu.runs()) == 1
    assert "status request failed" in result.stderr
    assert "the API answers again" in result.stderr


def test_retry_after_while_following_is_honoured(emu: Emulator, fake_clock: FakeClock) -> None:
    emu.add_fault(Fault("GET", BUILDS, "status", status=429, times=1, retry_after="7"))
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok"), clock=fake_clock)

    assert result.code == 0
    first, second = result.sent("GET", BUILDS)[:2]
    assert first.status == 429
    assert second.time - first.time == pytest.approx(7)


def test_transient_trouble_until_the_deadline_is_a_timeout(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    emu.add_fault(Fault("GET", BUILDS, "status", status=503, times=-1))
    env = base_env(emu, PIPELINE_ID="proj/ok", TIMEOUT_MINS="0.2")
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 3
    assert result.exports["BUILD_STATUS"] == "timeout"
    (build,) = emu.runs()
    gets = result.sent("GET", BUILDS)
    assert 3 <= len(gets) <= 12  # backed off, not hammered
    assert max(r.time for r in gets) <= build.created + 12


@pytest.mark.parametrize(
    ("status", "hint"),
    [(401, "CF_API_KEY"), (403, "scopes"), (404, "not found")],
)
def test_refusals_while_following_end_the_wait_exit_4(
    emu: Emulator, fake_clock: FakeClock, status: int, hint: str
) -> None:
    emu.add_fault(Fault("GET", BUILDS, "status", status=status, times=1))
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/slow"), clock=fake_clock)

    assert result.code == 4
    assert len(result.sent("GET", BUILDS)) == 1
    (build,) = emu.runs()
    assert result.exports["BUILD_ID"] == build.id  # known before the wait: kept
    assert str(status) in result.stderr_lines[-1]
    assert hint in result.stderr_lines[-1]


# -- the poll schedule and the log ---------------------------------------------------


def test_polls_follow_the_adaptive_schedule(emu: Emulator, fake_clock: FakeClock) -> None:
    """A sixth of the elapsed time, at least 1 s, at most POLL_MAX_SECONDS (jitter fixed)."""
    env = base_env(emu, PIPELINE_ID="proj/slow", TIMEOUT_MINS="0.75", POLL_MAX_SECONDS="4")
    result = run_step(emu, env, clock=fake_clock)

    (build,) = emu.runs()
    offsets = [r.time - build.created for r in result.sent("GET", BUILDS)]
    # 1 s while a sixth of the elapsed time is less; then elapsed/6; then the 4 s ceiling.
    expected = [1, 2, 3, 4, 5, 6, 7, 8.167, 9.528, 11.116, 12.968, 15.13, 17.651, 20.593]
    expected += [24.025, 28.025, 32.025, 36.025, 40.025, 44.025]  # until the 45 s deadline
    assert offsets == pytest.approx(expected, abs=0.001)
    assert result.code == 3


def test_status_changes_are_printed_with_elapsed_time(emu: Emulator, fake_clock: FakeClock) -> None:
    emu.add_pipeline(
        "proj/steps",
        {
            "timeline": [
                {"status": "pending", "seconds": 2},
                {"status": "running", "seconds": 4},
            ],
            "final": "success",
        },
    )
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/steps"), clock=fake_clock)

    assert result.code == 0
    lines = [line for line in result.stderr_lines if line.startswith("[")]
    assert lines == ["[  1.0s] pending", "[  2.0s] pending → running", "[  6.0s] running → success"]


def test_a_quiet_wait_prints_a_heartbeat_at_most_once_a_minute(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    env = base_env(emu, PIPELINE_ID="proj/slow", TIMEOUT_MINS="2.1", POLL_MAX_SECONDS="60")
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 3
    beats = [line for line in result.stderr_lines if line.endswith("] still running")]
    assert beats == ["[ 1m01s] still running", "[ 2m01s] still running"]


# -- following an existing build ----------------------------------------------------


def test_build_id_follows_an_existing_build_without_a_run_request(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    started = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok", DETACH="true"), clock=fake_clock)
    build_id = started.exports["BUILD_ID"]

    result = run_step(
        emu, base_env(emu, BUILD_ID=build_id, CF_STEP_NAME="follow"), clock=fake_clock
    )

    assert result.code == 0
    assert result.run_requests == []
    assert {r.path for r in result.sent("GET", BUILDS)} == {f"{BUILDS}{build_id}"}
    assert len(emu.runs()) == 1
    assert result.exports["BUILD_ID"] == build_id
    assert result.exports["BUILD_URL"] == f"{emu.url}/build/{build_id}"
    assert result.exports["follow_CF_OUTPUT_URL"] == f"{emu.url}/build/{build_id}"
    assert result.exports["BUILD_STATUS"] == "success"
    assert result.exports["VERSION"] == "1.2.3"


def test_build_id_by_flag_of_a_failing_build_exits_1(emu: Emulator, fake_clock: FakeClock) -> None:
    started = run_step(emu, base_env(emu, PIPELINE_ID="proj/fail", DETACH="1"), clock=fake_clock)
    build_id = started.exports["BUILD_ID"]

    argv = ["--build-id", build_id, "--log-tail", "2", "--no-follow-logs"]  # the tail, not live
    result = run_step(emu, base_env(emu), argv, clock=fake_clock)

    assert result.code == 1
    assert result.run_requests == []
    assert result.exports["BUILD_STATUS"] == "error"
    assert "  | line 100" in result.stderr


def test_build_id_timeout_starts_when_following_starts(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    started = run_step(emu, base_env(emu, PIPELINE_ID="proj/slow", DETACH="1"), clock=fake_clock)
    fake_clock.advance(600)
    begin = fake_clock.now()

    env = base_env(emu, BUILD_ID=started.exports["BUILD_ID"], TIMEOUT_MINS="0.1")
    result = run_step(emu, env, ["--on-timeout", "terminate"], clock=fake_clock)

    assert result.code == 3
    assert fake_clock.now() == pytest.approx(begin + 6)
    (build,) = emu.runs()
    assert [r.path for r in result.sent("DELETE")] == [f"/api/progress/{build.progress}"]


def test_unknown_build_id_exits_4_with_a_clear_message(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    result = run_step(emu, base_env(emu, BUILD_ID="ffffffffffffffffffffffff"), clock=fake_clock)

    assert result.code == 4
    assert len(result.requests) == 1
    assert "404" in result.stderr_lines[-1]
    assert "check BUILD_ID" in result.stderr_lines[-1]


def test_a_build_id_with_a_trailing_line_break_is_followed_without_it(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    started = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok", DETACH="true"), clock=fake_clock)
    build_id = started.exports["BUILD_ID"]
    result = run_step(emu, base_env(emu, BUILD_ID=build_id + "\n"), clock=fake_clock)
    assert result.code == 0, result.stderr
    assert result.exports["BUILD_ID"] == build_id
    assert result.exports["BUILD_URL"] == f"{emu.url}/build/{build_id}"
    assert result.exports["BUILD_STATUS"] == "success"


def test_a_timeout_before_any_status_never_says_status_none(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    emu.add_fault(Fault("GET", "/api/builds/", "status", times=-1, status=503))
    env = base_env(emu, PIPELINE_ID="proj/ok", TIMEOUT_MINS="0.1")
    result = run_step(emu, env, clock=fake_clock)
    assert result.code == 3, result.stderr
    assert result.exports["BUILD_STATUS"] == "timeout"
    assert "None" not in result.stderr
    assert "no status read: the last 3 status answers could not be read" in result.stderr_lines[-1]
