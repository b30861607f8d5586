"""How the child ends decides the exit code and BUILD_STATUS (README "Outputs", "Exit codes")."""

from __future__ import annotations

import pytest

from cfstep.emulator import Emulator, Fault
from fakeclock import FakeClock
from harness import SECRET, base_env, run_step
from scenarios import FAIL_LOG_LINES


def test_success_exits_0_and_exports_id_url_status_duration(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok"), clock=fake_clock)

    assert result.code == 0
    (build,) = emu.runs()
    assert build.status == "success"
    assert [r.path for r in result.run_requests] == ["/api/pipelines/run/proj%2Fok"]
    assert result.sent("DELETE") == []
    assert result.exports == {
        "BUILD_ID": build.id,
        "BUILD_URL": f"{emu.url}/build/{build.id}",
        "BUILD_STATUS": "success",
        "BUILD_DURATION_SECONDS": "3",
        "VERSION": "1.2.3",  # the child's cfstep_out_VERSION annotation
    }
    assert f"Started build {build.id} of proj/ok: {emu.url}/build/{build.id}" in result.stderr
    assert "running → success" in result.stderr
    assert result.stdout == ""


def test_error_exits_1_and_shows_the_last_log_tail_lines(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    env = base_env(emu, PIPELINE_ID="proj/fail", LOG_TAIL="5", FOLLOW_LOGS="false")
    emu.logstore.archive_seconds = 0  # the log is in storage the moment the build ends
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 1
    (build,) = emu.runs()
    assert result.exports["BUILD_STATUS"] == "error"
    assert result.exports["BUILD_ID"] == build.id
    # Where Codefresh's clients read it: the progress names a storage link, fetched keyless.
    assert result.sent("GET", f"/api/progress/{build.progress}")
    (stored,) = emu.logstore.recorded()
    assert stored.path == f"/storage/{build.progress}.json"
    assert "authorization" not in stored.headers
    assert "x-access-token" not in stored.headers
    shown = [line.strip() for line in result.stderr.splitlines() if line.startswith("  | ")]
    assert shown == [f"| {line}" for line in FAIL_LOG_LINES[-5:]]
    assert "line 95" not in result.stderr
    assert (
        f"ended in error — see its log above or at {emu.url}/build/{build.id}"
        in (result.stderr_lines[-1])
    )


def test_error_log_tail_defaults_to_50_lines(emu: Emulator, fake_clock: FakeClock) -> None:
    env = base_env(emu, PIPELINE_ID="proj/fail", FOLLOW_LOGS="false")
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 1
    shown = [line for line in result.stderr.splitlines() if line.startswith("  | ")]
    assert shown == [f"  | {line}" for line in FAIL_LOG_LINES[-50:]]


def test_log_tail_0_shows_no_log_and_downloads_nothing(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    env = base_env(emu, PIPELINE_ID="proj/fail", LOG_TAIL="0", FOLLOW_LOGS="false")
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 1
    assert result.sent("GET", "/api/progress/") == []
    assert emu.logstore.recorded() == []
    assert "  | " not in result.stderr


def test_a_log_that_cannot_be_read_is_said_with_the_url(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    emu.add_fault(Fault("GET", "/api/progress/", "status", status=500))
    result = run_step(
        emu, base_env(emu, PIPELINE_ID="proj/fail", FOLLOW_LOGS="false"), clock=fake_clock
    )

    assert result.code == 1
    (build,) = emu.runs()
    assert "could not read the child's log" in result.stderr
    assert f"{emu.url}/build/{build.id}" in result.stderr
    assert result.exports["BUILD_STATUS"] == "error"


def test_secret_values_in_the_childs_log_are_masked(emu: Emulator, fake_clock: FakeClock) -> None:
    env = base_env(
        emu, PIPELINE_ID="proj/leaky-fail", SECRETS=f"TOKEN={SECRET}", FOLLOW_LOGS="false"
    )
    result = run_step(emu, env, clock=fake_clock)  # run_step itself asserts the secret is absent

    assert result.code == 1
    assert "  | token is ***" in result.stderr


def test_terminated_child_exits_2(emu: Emulator, fake_clock: FakeClock) -> None:
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/terminated"), clock=fake_clock)

    assert result.code == 2
    (build,) = emu.runs()
    assert result.exports["BUILD_STATUS"] == "terminated"
    assert result.exports["BUILD_ID"] == build.id
    assert result.sent("DELETE") == []  # someone else stopped it; cfstep does not
    assert "ended terminated" in result.stderr_lines[-1]


def test_unknown_final_status_is_a_failure_exit_1_exported_raw(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/unknown"), clock=fake_clock)

    assert result.code == 1
    assert result.exports["BUILD_STATUS"] == "weird-status"
    assert "] weird-status" in result.stderr


@pytest.mark.parametrize(
    ("env", "argv"),
    [({"DETACH": "true"}, []), ({}, ["--detach"]), ({}, ["-d"])],
    ids=["env", "long-flag", "short-flag"],
)
def test_detach_exits_0_without_reading_the_build(
    emu: Emulator, fake_clock: FakeClock, env: dict[str, str], argv: list[str]
) -> None:
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/slow", **env), argv, clock=fake_clock)

    assert result.code == 0
    (build,) = emu.runs()
    assert len(result.run_requests) == 1
    assert result.sent("GET", "/api/builds/") == []
    assert result.sent("DELETE") == []
    assert result.exports["BUILD_ID"] == build.id
    assert result.exports["BUILD_STATUS"] == "detached"
    assert fake_clock.sleeps == []


@pytest.mark.parametrize(
    ("pipeline", "status"),
    [("proj/fail", "error"), ("proj/terminated", "terminated"), ("proj/unknown", "weird-status")],
)
def test_propagate_failure_false_reports_the_failure_and_exits_0(
    emu: Emulator, fake_clock: FakeClock, pipeline: str, status: str
) -> None:
    env = base_env(emu, PIPELINE_ID=pipeline, PROPAGATE_FAILURE="false")
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 0
    assert result.exports["BUILD_STATUS"] == status
    assert "not failing this step (PROPAGATE_FAILURE=false)" in result.stderr


def test_duration_is_finished_minus_created_from_the_api(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    """proj/ok runs 3 s; cfstep sees its end late (a 429 asks it to wait 10 s): the
    exported duration is still the API's 3 s, not the wall time."""
    emu.add_fault(Fault("GET", "/api/builds/", "status", status=429, retry_after="10"))
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok"), clock=fake_clock)

    assert result.code == 0
    (build,) = emu.runs()
    assert fake_clock.now() - build.created >= 10
    assert result.exports["BUILD_DURATION_SECONDS"] == "3"


def test_without_timestamps_the_duration_is_wall_time(emu: Emulator, fake_clock: FakeClock) -> None:
    emu.add_fault(
        Fault(
            "GET",
            "/api/builds/",
            "malformed_json",
            times=-1,
            body=b'{"status": "success", "progress": "p"}',
        )
    )
    clock_start = fake_clock.now()
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/slow"), clock=fake_clock)

    assert result.code == 0
    assert result.exports["BUILD_STATUS"] == "success"
    assert fake_clock.now() - clock_start == 1
    assert result.exports["BUILD_DURATION_SECONDS"] == "1"
