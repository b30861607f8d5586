"""Every early way out answers for the children still running (cfstep.run.wind_down): a
cancel, an error, a bug; each terminates or names them as the policy says, within one
budget, then writes the summary."""

from __future__ import annotations

from pathlib import Path

import pytest
from runparts import FakeFollower, Parts

from cfstep.errors import ApiError, Cancelled
from cfstep.model import ExitCode
from cfstep.run import wind_down
from cfstep.run.scheduler import Scheduler


def _running(parts: Parts, follower: FakeFollower) -> Scheduler:
    """Every child of the list started and running."""
    scheduler = parts.scheduler(follower)
    for index, spec in enumerate(parts.config.children, start=1):
        scheduler._trigger(index, spec)
    return scheduler


CANCEL = Cancelled("stopped by SIGTERM", ExitCode.SIGTERM)


def test_a_cancel_terminates_every_running_child(tmp_path: Path) -> None:
    parts = Parts(tmp_path, PIPELINES="[a/a, a/b]")
    follower = FakeFollower()
    wind_down.after(_running(parts, follower), CANCEL)

    assert [index for index, _ in follower.terminated] == [1, 2]
    assert [parts.exports[f"BUILD_STATUS_{n}"] for n in (1, 2)] == ["terminated", "terminated"]
    assert parts.exports["BUILD_STATUS"] == "terminated"
    assert any(line.startswith("#  pipeline") for line in parts.lines)  # the summary


def test_a_cancel_without_terminate_on_cancel_leaves_them_named(tmp_path: Path) -> None:
    parts = Parts(tmp_path, PIPELINES="[a/a, a/b]", TERMINATE_ON_CANCEL="false")
    follower = FakeFollower()
    scheduler = _running(parts, follower)
    wind_down.after(scheduler, CANCEL)

    assert follower.terminated == []
    first = parts.state.child(1)
    assert first is not None
    assert f"leaving {first.build_id} running (TERMINATE_ON_CANCEL=false): {first.url}" in (
        parts.lines
    )
    assert parts.exports["BUILD_STATUS_1"] == "detached"


def test_a_refused_termination_is_named_with_its_url(tmp_path: Path) -> None:
    parts = Parts(tmp_path, PIPELINES="[a/a, a/b]")
    follower = FakeFollower(raises={1: ApiError("401 Unauthorized")}, accepts={2: False})
    wind_down.after(_running(parts, follower), CANCEL)

    first, second = parts.state.child(1), parts.state.child(2)
    assert first is not None
    assert second is not None
    assert f"could not terminate {first.build_id}: 401 Unauthorized; stop it at {first.url}" in (
        parts.lines
    )
    assert (first.outcome, second.outcome) == ("detached", "detached")


def test_one_budget_for_all_the_terminations(tmp_path: Path) -> None:
    """The first DELETE takes the whole budget (the clock moves while it waits): the others
    are named with their URL, not waited for."""
    parts = Parts(tmp_path, PIPELINES="[a/a, a/b, a/c]")

    class Slow(FakeFollower):
        def terminate(self, child: object, budget: float) -> bool:
            parts.clock.advance(budget)
            return super().terminate(child, budget)  # type: ignore[arg-type]

    follower = Slow()
    wind_down.after(_running(parts, follower), CANCEL)

    assert len(follower.terminated) == 1
    assert sum(line.startswith("no time left to terminate") for line in parts.lines) == 2


def test_an_error_in_a_fan_out_stops_the_others_under_fail_fast(tmp_path: Path) -> None:
    parts = Parts(tmp_path, PIPELINES="[a/a, a/b]")
    follower = FakeFollower()
    wind_down.after(_running(parts, follower), ApiError("404 from GET /api/builds/x"))

    assert [index for index, _ in follower.terminated] == [1, 2]
    assert "stopping: terminating the other children (FAIL_FAST)" in parts.lines


def test_an_error_about_a_single_child_leaves_it_and_writes_the_json(tmp_path: Path) -> None:
    parts = Parts(tmp_path, OUTPUT_JSON=str(tmp_path / "o.json"))
    follower = FakeFollower()
    wind_down.after(_running(parts, follower), ApiError("401 Unauthorized"))

    assert follower.terminated == []
    assert (tmp_path / "o.json").exists()


@pytest.mark.parametrize(
    ("env", "rule"),
    [({"PIPELINES": "[a/a, a/b]"}, "FAIL_FAST"), ({}, "TERMINATE_ON_CANCEL")],
)
def test_a_bug_terminates_as_the_policy_says(
    tmp_path: Path, env: dict[str, str], rule: str
) -> None:
    parts = Parts(tmp_path, **env)
    follower = FakeFollower()
    bug = RuntimeError("a bug")
    wind_down.after(_running(parts, follower), bug)

    assert follower.terminated
    assert f"stopping on an internal error: terminating what runs ({rule})" in parts.lines


def test_a_signal_during_the_wind_down_of_a_bug_becomes_a_cancel(tmp_path: Path) -> None:
    parts = Parts(tmp_path, PIPELINES="[a/a, a/b]")
    follower = FakeFollower(raises={1: CANCEL})
    scheduler = _running(parts, follower)

    with pytest.raises(Cancelled):
        wind_down.after(scheduler, RuntimeError("a bug"))
    assert parts.state.active == []  # the cancel's wind-down answered for both
    assert [index for index, _ in follower.terminated] == [1, 1, 2]


def test_a_failing_wind_down_is_a_note_on_the_bug(tmp_path: Path) -> None:
    parts = Parts(tmp_path, PIPELINES="[a/a, a/b]")
    follower = FakeFollower(raises={1: ValueError("broken too")})
    bug = RuntimeError("a bug")
    wind_down.after(_running(parts, follower), bug)

    assert bug.__notes__ == ["and winding the run down failed too: ValueError('broken too')"]
