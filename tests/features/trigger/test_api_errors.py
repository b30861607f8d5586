"""The run request against a refusing or flaky API: exit 4, and retries reuse the reqId."""

from __future__ import annotations

import pytest

from cfstep.emulator import Emulator, Fault
from fakeclock import FakeClock
from harness import RUN_PREFIX, Result, base_env, closed_url, run_step

WRONG_KEY = "wrong-SENSITIVE-789"


def _req_ids(result: Result) -> list[str]:
    return [r.query["reqId"][0] for r in result.run_requests]


# -- refusals: exit 4 at once, one request ------------------------------------------------


def test_a_bad_key_exits_4_with_a_clear_message_after_one_request(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    env = base_env(emu, PIPELINE_ID="proj/ok", CF_API_KEY=WRONG_KEY)
    result = run_step(emu, env, clock=fake_clock, secrets=[WRONG_KEY])

    assert result.code == 4
    assert len(result.requests) == 1
    assert result.requests[0].status == 401
    assert emu.runs() == []
    (line,) = result.stderr_lines[-1:]
    assert line.startswith("cfstep: 401 ")
    assert f"{emu.url}{RUN_PREFIX}proj%2Fok" in line
    assert "check that CF_API_KEY is set and valid" in line
    assert "BUILD_ID" not in result.exports


def test_an_unknown_pipeline_exits_4_naming_it(emu: Emulator, fake_clock: FakeClock) -> None:
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/nope"), clock=fake_clock)

    assert result.code == 4
    assert len(result.requests) == 1
    assert emu.runs() == []
    line = result.stderr_lines[-1]
    assert "404" in line
    assert "pipeline 'proj/nope' not found: check PIPELINE_ID" in line


def test_a_bad_branch_exits_4_with_codefresh_s_message(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    result = run_step(
        emu, base_env(emu, PIPELINE_ID="proj/strict", BRANCH="nope"), clock=fake_clock
    )

    assert result.code == 4
    assert len(result.requests) == 1
    assert emu.runs() == []
    line = result.stderr_lines[-1]
    assert "400" in line
    assert "incorrect branch / revision" in line
    assert "check BRANCH" in line


def test_a_bad_trigger_exits_4(emu: Emulator, fake_clock: FakeClock) -> None:
    env = base_env(emu, PIPELINE_ID="proj/strict", TRIGGER_ID="other")
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 4
    assert len(result.requests) == 1
    assert "Trigger other not found" in result.stderr_lines[-1]


def test_403_exits_4_naming_the_permission(emu: Emulator, fake_clock: FakeClock) -> None:
    emu.add_fault(Fault("POST", RUN_PREFIX, "status", status=403))
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok"), clock=fake_clock)

    assert result.code == 4
    assert len(result.requests) == 1
    assert "403" in result.stderr_lines[-1]
    assert "permissions" in result.stderr_lines[-1]


def test_a_500_on_the_run_request_is_not_retried(emu: Emulator, fake_clock: FakeClock) -> None:
    emu.add_fault(Fault("POST", RUN_PREFIX, "status", status=500))
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok"), clock=fake_clock)

    assert result.code == 4
    assert len(result.requests) == 1
    assert fake_clock.sleeps == []
    line = result.stderr_lines[-1]
    assert "500" in line
    assert "not retried" in line


def test_a_redirect_is_not_followed_so_the_key_stays_home(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    emu.add_fault(Fault("POST", RUN_PREFIX, "redirect", location="http://elsewhere.invalid/api/x"))
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok"), clock=fake_clock)

    assert result.code == 4
    assert len(result.requests) == 1
    assert "elsewhere.invalid" in result.stderr_lines[-1]
    assert "set CF_URL" in result.stderr_lines[-1]


# -- retried with the same reqId: still one build ------------------------------------------


def test_503_twice_then_success_starts_one_build_with_one_req_id(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    emu.add_fault(Fault("POST", RUN_PREFIX, "status", status=503, times=2))
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok"), clock=fake_clock)

    assert result.code == 0, result.stderr
    assert [r.status for r in result.run_requests] == [503, 503, 200]
    assert len(set(_req_ids(result))) == 1
    (build,) = emu.runs()
    assert build.req_id == _req_ids(result)[0]
    assert result.exports["BUILD_ID"] == build.id
    assert result.exports["BUILD_STATUS"] == "success"


@pytest.mark.parametrize(
    "fault",
    [
        Fault("POST", RUN_PREFIX, "drop_after"),
        Fault("POST", RUN_PREFIX, "drop_before"),
        Fault("POST", RUN_PREFIX, "malformed_json"),
        Fault("POST", RUN_PREFIX, "empty"),
        Fault("POST", RUN_PREFIX, "html", status=502),
        Fault("POST", RUN_PREFIX, "status", status=504),
        Fault("POST", RUN_PREFIX, "status", status=429),
        Fault("POST", RUN_PREFIX, "drop_after", times=3),
    ],
    ids=lambda f: f"{f.kind}-{f.effective_status}x{f.times}",
)
def test_a_retried_run_request_never_starts_a_second_build(
    emu: Emulator, fake_clock: FakeClock, fault: Fault
) -> None:
    """drop_after and a 200 without a readable id: the build WAS created; the retry with
    the same reqId must get the same build back, not a second one."""
    emu.add_fault(fault)
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok"), clock=fake_clock)

    assert result.code == 0, result.stderr
    assert len(result.run_requests) == fault.times + 1
    assert len(set(_req_ids(result))) == 1
    (build,) = emu.runs()
    assert result.exports["BUILD_ID"] == build.id


def test_retry_after_on_the_run_request_is_honoured(emu: Emulator, fake_clock: FakeClock) -> None:
    emu.add_fault(Fault("POST", RUN_PREFIX, "status", status=429, retry_after="3"))
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok", DETACH="1"), clock=fake_clock)

    assert result.code == 0
    first, second = result.run_requests
    assert second.time - first.time == pytest.approx(3)


def test_a_run_request_that_keeps_failing_gives_up_within_60_s(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    emu.add_fault(Fault("POST", RUN_PREFIX, "status", status=503, times=-1))
    start = fake_clock.now()
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok"), clock=fake_clock)

    assert result.code == 4
    assert emu.runs() == []
    assert 3 <= len(result.run_requests) <= 15
    assert len(set(_req_ids(result))) == 1
    assert fake_clock.now() - start <= 60
    assert "could not start 'proj/ok'" in result.stderr_lines[-1]


def test_an_unreachable_api_exits_4_within_60_s(fake_clock: FakeClock) -> None:
    env = base_env(None, PIPELINE_ID="proj/ok", CF_URL=closed_url())
    result = run_step(None, env, clock=fake_clock)

    assert result.code == 4
    assert sum(fake_clock.sleeps) <= 60
    assert len(fake_clock.sleeps) >= 3  # retried with backoff
    assert "connection refused" in result.stderr_lines[-1]
    assert "check CF_URL" in result.stderr_lines[-1]


# -- proxies: from the step's own environment -----------------------------------------------


def test_the_steps_proxy_setting_is_used(emu: Emulator, fake_clock: FakeClock) -> None:
    proxy = closed_url()
    env = base_env(emu, PIPELINE_ID="proj/ok", HTTP_PROXY=proxy)
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 4
    assert emu.requests == []  # everything went to the (dead) proxy
    assert "connection refused" in result.stderr_lines[-1]


def test_no_proxy_bypasses_the_proxy(emu: Emulator, fake_clock: FakeClock) -> None:
    proxy = closed_url()
    env = base_env(emu, PIPELINE_ID="proj/ok", HTTP_PROXY=proxy, NO_PROXY="127.0.0.1", DETACH="1")
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 0
    assert len(result.run_requests) == 1


def test_the_callers_own_proxy_does_not_leak_into_main(
    emu: Emulator, fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", closed_url())
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok", DETACH="1"), clock=fake_clock)

    assert result.code == 0
    assert len(result.run_requests) == 1
