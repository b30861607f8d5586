"""A bug is still a way out of a run: the children it started are terminated as a cancel or
FAIL_FAST would (README, "Exit codes"), the exports and the output JSON written, and the
step exits 70 with a masked traceback."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from cfstep.emulator import Emulator, Fault
from cfstep.run import follow, report, state
from harness import SECRET, Result, base_env

Run = Callable[..., Result]

FAN_OUT = json.dumps(["proj/slow", "proj/slow", "proj/ok"])
SECRETS = {"SECRETS": f"TOKEN={SECRET}"}  # the injected bugs' messages carry it: masked


def _bug_on_call(n: int, original: Callable[..., object]) -> Callable[..., object]:
    """`original`, raising a RuntimeError (carrying the secret, to be masked) on call n."""
    calls = 0

    def wrapped(*args: object) -> object:
        nonlocal calls
        calls += 1
        if calls == n:
            raise RuntimeError(f"injected bug (token {SECRET})")
        return original(*args)

    return wrapped


def test_a_bug_mid_fan_out_terminates_the_children_and_exports(
    run: Run, emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fourth status seen raises: children 1 and 2 run, 3 may have started; every one
    that runs is terminated (FAIL_FAST, the default), each status exported."""
    observe = follow.Follower._observe
    monkeypatch.setattr(follow.Follower, "_observe", _bug_on_call(4, observe))
    env = base_env(emu, PIPELINES=FAN_OUT, **SECRETS)
    result = run(**env, secrets=[SECRET])
    assert result.code == 70, result.stderr
    assert "internal error" in result.stderr
    assert "injected bug" in result.stderr
    started = emu.runs()
    assert len(started) == 3
    for index, build in enumerate(started, start=1):
        assert result.exports[f"BUILD_ID_{index}"] == build.id
        if not build.is_final:
            assert build.terminated_at is not None, f"child {index} left running"
            assert result.exports[f"BUILD_STATUS_{index}"] == "terminated"
    document = result.output_json
    assert [c["build_id"] for c in document["children"]] == [b.id for b in started]
    assert "stopping on an internal error: terminating what runs (FAIL_FAST)" in result.stderr


def test_a_bug_with_fail_fast_false_names_the_children_left_running(
    run: Run, emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(follow.Follower, "_observe", _bug_on_call(2, follow.Follower._observe))
    result = run(PIPELINES=FAN_OUT, FAIL_FAST="false", **SECRETS, secrets=[SECRET])
    assert result.code == 70, result.stderr
    for index, build in enumerate(emu.runs(), start=1):
        assert build.terminated_at is None  # as FAIL_FAST=false asks
        if not build.is_final:
            assert result.exports[f"BUILD_STATUS_{index}"] == "detached"
            assert f"leaving {build.id} running (FAIL_FAST=false): {emu.url}/build/{build.id}" in (
                result.stderr
            )
    assert result.output_json["children"]


def test_a_bug_following_one_child_terminates_it(
    run: Run, emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A single child: TERMINATE_ON_CANCEL (the default) decides, as if the step was stopped."""
    monkeypatch.setattr(follow.Follower, "_observe", _bug_on_call(2, follow.Follower._observe))
    result = run(PIPELINE_ID="proj/slow", **SECRETS, secrets=[SECRET])
    assert result.code == 70, result.stderr
    (build,) = emu.runs()
    assert build.terminated_at is not None
    assert result.exports["BUILD_ID"] == build.id
    assert result.exports["BUILD_STATUS"] == "terminated"
    assert result.output_json["children"][0]["status"] == "terminated"


def test_a_bug_in_the_wind_down_still_reports_the_first_bug(
    run: Run, emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report itself is broken: the original bug is what is reported (exit 70), the
    wind-down's failure a note under it."""
    monkeypatch.setattr(follow.Follower, "_observe", _bug_on_call(2, follow.Follower._observe))

    def ended(self: report.Report, child: state.Child, collected: object) -> None:
        raise RuntimeError("the report is broken too")

    monkeypatch.setattr(report.Report, "ended", ended)
    result = run(PIPELINES=FAN_OUT, **SECRETS, secrets=[SECRET])
    assert result.code == 70, result.stderr
    assert "injected bug" in result.stderr
    assert "winding the run down failed too" in result.stderr


def test_an_api_error_following_one_child_still_writes_the_json(run: Run, emu: Emulator) -> None:
    """The status request refused (404) after the trigger: exit 4; the child's id was
    exported at its start, and the output JSON is written with it."""
    emu.add_fault(Fault("GET", "/api/builds/", "status", status=404, times=-1))
    result = run(PIPELINE_ID="proj/ok", **SECRETS, secrets=[SECRET])
    assert result.code == 4, result.stderr
    (build,) = emu.runs()
    assert result.exports["BUILD_ID"] == build.id
    assert result.output_json["children"][0]["build_id"] == build.id
