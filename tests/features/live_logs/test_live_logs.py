"""Live logs of the child (FOLLOW_LOGS), end to end against the emulator's log store.

Most runs share a fake clock with the emulator: the child's whole life passes at once and
its lines are shown while the step drains the stream after the final status, before the
summary. Runs that show lines *while* the child runs use real time (a child of 2.5 s).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cfstep.emulator import Emulator, LogFault
from fakeclock import FakeClock
from harness import API_KEY, SECRET, Result, base_env, run_step

CLONE = ["Cloning into 'app'...", "done"]
BUILD = [f"build line {n}" for n in range(1, 9)]
PUSH = ["pushing", f"token is {SECRET}", "pushed"]


def _pipeline(final: str = "success", seconds: float = 2.5) -> dict[str, Any]:
    return {
        "timeline": [{"status": "running", "seconds": seconds}],
        "final": final,
        "steps": [
            {"name": "Clone", "seconds": 0.4, "lines": CLONE},
            {"name": "Build", "seconds": 1.6, "lines": BUILD},
            {"name": "Push", "lines": PUSH},
        ],
    }


SCENARIO: dict[str, Any] = {
    "pipelines": {
        "live/ok": _pipeline(),
        "live/fail": _pipeline("error"),
        "live/other": {
            "timeline": [{"status": "running", "seconds": 2}],
            "final": "success",
            "steps": [{"name": "Test", "lines": ["test 1", "test 2"]}],
        },
        "live/slow": {
            "timeline": [{"status": "running"}],
            "steps": [{"name": "Soak", "lines": ["soaking"]}],
        },
    }
}

# What the child's log looks like in the step's log, secrets masked.
SHOWN = [
    "--- step: Clone ---",
    *CLONE,
    "--- step: Build ---",
    *BUILD,
    "--- step: Push ---",
    "pushing",
    "token is ***",
    "pushed",
]
SECRETS = f"TOKEN={SECRET}"


@pytest.fixture
def live_emu(emulator: Callable[..., Emulator], fake_clock: FakeClock) -> Emulator:
    return emulator(SCENARIO, clock=fake_clock, api_key=API_KEY)


@pytest.fixture
def real_live_emu(emulator: Callable[..., Emulator]) -> Emulator:
    return emulator(SCENARIO, api_key=API_KEY)


def child_lines(result: Result) -> list[str]:
    """The lines of stderr that are the child's log (not cfstep's own)."""
    own = ("Triggering ", "Started build ", "[", "live/", "cfstep: ", "returned ", "debug: ")
    return [line for line in result.stderr.splitlines() if not line.startswith(own)]


def position(result: Result, text: str) -> int:
    lines = result.stderr.splitlines()
    return next(i for i, line in enumerate(lines) if text in line)


def tokens(emu: Emulator) -> set[str]:
    return {t for r in emu.logstore.recorded() for t in r.query.get("auth", [])}


def test_the_childs_steps_and_lines_are_shown_once_in_order_before_the_summary(
    live_emu: Emulator, fake_clock: FakeClock
) -> None:
    env = base_env(live_emu, PIPELINE_ID="live/ok", SECRETS=SECRETS)
    result = run_step(live_emu, env, clock=fake_clock)

    assert result.code == 0
    assert child_lines(result) == SHOWN
    (build,) = live_emu.runs()
    assert position(result, "Started build") < position(result, "--- step: Clone ---")
    assert position(result, "pushed") < position(result, f"live/ok {build.id}: success after")
    # read the way Codefresh's clients read it: progress → firebaseAuth → the stream
    assert result.sent("GET", f"/api/progress/{build.progress}")
    assert result.sent("GET", "/api/user/firebaseAuth")
    (stream,) = live_emu.logstore.recorded()
    assert stream.path == f"/fb/build-logs/{build.progress}/steps.json"
    assert stream.headers["accept"] == "text/event-stream"
    assert "authorization" not in stream.headers


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "close-delimited"])
def test_lines_appear_while_the_child_runs(real_live_emu: Emulator, chunked: bool) -> None:
    real_live_emu.logstore.chunked = chunked
    env = base_env(real_live_emu, PIPELINE_ID="live/ok", SECRETS=SECRETS)
    result = run_step(real_live_emu, env)

    assert result.code == 0
    assert child_lines(result) == SHOWN
    # the first lines are printed before the poll that sees the child's end
    assert position(result, "build line 1") < position(result, "running → success")
    assert position(result, "pushed") < position(result, ": success after")


@pytest.mark.parametrize("new_structure", [False, True], ids=["build-logs root", "new structure"])
def test_the_log_root_follows_new_structure(
    live_emu: Emulator, fake_clock: FakeClock, new_structure: bool
) -> None:
    live_emu.logstore.new_structure = new_structure
    env = base_env(live_emu, PIPELINE_ID="live/ok", SECRETS=SECRETS)
    result = run_step(live_emu, env, clock=fake_clock)

    assert result.code == 0
    assert child_lines(result)[:3] == SHOWN[:3]
    (build,) = live_emu.runs()
    (stream,) = live_emu.logstore.recorded()
    root = "/fb" if new_structure else "/fb/build-logs"
    assert stream.path == f"{root}/{build.progress}/steps.json"


def test_a_307_is_followed_with_the_token_kept(live_emu: Emulator, fake_clock: FakeClock) -> None:
    live_emu.add_log_fault(LogFault("redirect"))
    env = base_env(live_emu, PIPELINE_ID="live/ok", SECRETS=SECRETS)
    result = run_step(live_emu, env, clock=fake_clock)

    assert child_lines(result) == SHOWN
    first, moved = live_emu.logstore.recorded()
    assert moved.path == "/moved" + first.path
    assert moved.query["auth"] == first.query["auth"]


@pytest.mark.parametrize("fault", ["drop", "auth_revoked"])
def test_no_line_twice_and_none_missing_across_a_reconnect(
    real_live_emu: Emulator, fault: str
) -> None:
    """The stream breaks mid-way (after the tree and two more events); the reconnect
    replays the whole tree, and only what was not shown yet is shown."""
    real_live_emu.add_log_fault(LogFault(fault, after=3))
    env = base_env(real_live_emu, PIPELINE_ID="live/ok", SECRETS=SECRETS)
    result = run_step(real_live_emu, env)

    assert result.code == 0
    assert child_lines(result) == SHOWN
    streams = real_live_emu.logstore.recorded()
    assert len(streams) == 2
    auth_requests = result.sent("GET", "/api/user/firebaseAuth")
    assert len(auth_requests) == (2 if fault == "auth_revoked" else 1)
    assert "live logs stopped" not in result.stderr


def test_token_and_database_url_never_appear_even_in_debug(
    live_emu: Emulator, fake_clock: FakeClock
) -> None:
    live_emu.add_log_fault(LogFault("auth_revoked", after=1))
    env = base_env(live_emu, PIPELINE_ID="live/fail", DEBUG="true", SECRETS=SECRETS)
    result = run_step(live_emu, env, clock=fake_clock)

    assert result.code == 1
    assert "debug: GET /api/user/firebaseAuth" in result.stderr
    issued = tokens(live_emu)
    assert len(issued) == 2
    for secret in (*issued, f"{live_emu.logstore.url}/fb", live_emu.logstore.url):
        assert secret not in result.stderr + result.stdout + result.export_text


def test_follow_logs_false_shows_no_child_line(live_emu: Emulator, fake_clock: FakeClock) -> None:
    env = base_env(live_emu, PIPELINE_ID="live/ok", FOLLOW_LOGS="false", SECRETS=SECRETS)
    result = run_step(live_emu, env, clock=fake_clock)

    assert result.code == 0
    assert child_lines(result) == []
    assert live_emu.logstore.recorded() == []
    assert result.sent("GET", "/api/user/firebaseAuth") == []


def test_with_live_logs_a_failure_shows_no_tail_again(
    live_emu: Emulator, fake_clock: FakeClock
) -> None:
    env = base_env(live_emu, PIPELINE_ID="live/fail", SECRETS=SECRETS)
    result = run_step(live_emu, env, clock=fake_clock)

    assert result.code == 1
    assert child_lines(result)[-1] == "pushed"
    assert "  | " not in result.stderr
    assert "see its log above" in result.stderr_lines[-1]


@pytest.mark.parametrize(
    ("fault", "why"),
    [
        ("cancel", "cancelled the stream"),
        ("bad_token", "refused a fresh token"),
        ("huge", "an event of more than 16 MB"),
    ],
)
@pytest.mark.parametrize(("pipeline", "code"), [("live/ok", 0), ("live/fail", 1)])
def test_a_broken_log_stream_is_one_line_and_leaves_the_exit_code_to_the_child(
    live_emu: Emulator, fake_clock: FakeClock, fault: str, why: str, pipeline: str, code: int
) -> None:
    live_emu.add_log_fault(LogFault(fault, times=-1))
    env = base_env(live_emu, PIPELINE_ID=pipeline, SECRETS=SECRETS)
    result = run_step(live_emu, env, clock=fake_clock)

    assert result.code == code
    stopped = [line for line in result.stderr_lines if line.startswith("live logs stopped")]
    assert len(stopped) == 1
    assert why in stopped[0]
    assert result.exports["BUILD_STATUS"] == ("success" if code == 0 else "error")
    if code and fault == "bad_token":  # the tail needs a token too: said, with the URL
        assert "could not read the child's log" in result.stderr
    elif code:  # the lines were not all shown live: the tail is
        assert "  | pushed" in result.stderr


def test_a_finished_build_archived_says_live_logs_are_not_available(
    live_emu: Emulator, fake_clock: FakeClock
) -> None:
    """Following (BUILD_ID) a build that ended and was archived: its log is in storage."""
    live_emu.logstore.archive_seconds = 0
    env = base_env(live_emu, PIPELINE_ID="live/fail", SECRETS=SECRETS, DETACH="true")
    build_id = run_step(live_emu, env, clock=fake_clock).exports["BUILD_ID"]
    fake_clock.advance(10)
    env = base_env(live_emu, BUILD_ID=build_id, SECRETS=SECRETS)
    result = run_step(live_emu, env, clock=fake_clock)

    assert result.code == 1
    stopped = [line for line in result.stderr_lines if line.startswith("live logs stopped")]
    assert stopped == [
        "live logs stopped: they are not available for this build (its log is kept at a "
        "'storage' location); the wait goes on"
    ]
    assert "  | pushed" in result.stderr  # the tail, from the storage link
    assert [r.path for r in live_emu.logstore.recorded()] == [
        f"/storage/{_progress(live_emu)}.json"
    ]


def _progress(emu: Emulator) -> str:
    (build,) = emu.runs()
    return build.progress


def test_two_children_followed_together_are_labelled(
    live_emu: Emulator, fake_clock: FakeClock
) -> None:
    env = base_env(live_emu, PIPELINES="[live/ok, live/other]", FOLLOW_LOGS="true", SECRETS=SECRETS)
    result = run_step(live_emu, env, clock=fake_clock)

    assert result.code == 0
    first = [line for line in result.stderr_lines if line.startswith("[#1 live/ok] ")]
    second = [line for line in result.stderr_lines if line.startswith("[#2 live/other] ")]
    assert [line.removeprefix("[#1 live/ok] ") for line in first] == SHOWN
    assert [line.removeprefix("[#2 live/other] ") for line in second] == [
        "--- step: Test ---",
        "test 1",
        "test 2",
    ]


def test_several_children_are_not_followed_by_default(
    live_emu: Emulator, fake_clock: FakeClock
) -> None:
    env = base_env(live_emu, PIPELINES="[live/ok, live/other]", SECRETS=SECRETS)
    result = run_step(live_emu, env, clock=fake_clock)

    assert result.code == 0
    assert live_emu.logstore.recorded() == []
    assert "--- step:" not in result.stderr


def test_detach_follows_nothing(live_emu: Emulator, fake_clock: FakeClock) -> None:
    env = base_env(
        live_emu, PIPELINE_ID="live/ok", DETACH="true", FOLLOW_LOGS="true", SECRETS=SECRETS
    )
    result = run_step(live_emu, env, clock=fake_clock)

    assert result.code == 0
    assert live_emu.logstore.recorded() == []
    assert result.sent("GET", "/api/progress/") == []


def test_follow_logs_takes_a_boolean_checked_before_anything_is_sent(
    live_emu: Emulator, fake_clock: FakeClock
) -> None:
    result = run_step(live_emu, base_env(live_emu, PIPELINE_ID="live/ok", FOLLOW_LOGS="maybe"))

    assert result.code == 5
    assert "FOLLOW_LOGS" in result.stderr_lines[-1]
    assert "'maybe'" in result.stderr_lines[-1]
    assert result.requests == []


def test_no_follow_logs_flag_wins_over_the_environment(
    live_emu: Emulator, fake_clock: FakeClock
) -> None:
    env = base_env(live_emu, PIPELINE_ID="live/ok", FOLLOW_LOGS="true", SECRETS=SECRETS)
    result = run_step(live_emu, env, ["--no-follow-logs"], clock=fake_clock)

    assert result.code == 0
    assert child_lines(result) == []
    assert live_emu.logstore.recorded() == []
