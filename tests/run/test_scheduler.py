"""Driving the run (cfstep.run.scheduler) around fakes: children start in list order, at
most MAX_PARALLEL at once; each end is decided, acted on, collected, then told; FAIL_FAST
stops the rest and starts nothing more."""

from __future__ import annotations

from pathlib import Path

import pytest
from runparts import FakeClient, FakeCollector, FakeFollower, Parts

from cfstep.errors import ChildFailed, WaitTimedOut
from cfstep.model import ExitCode


def test_children_start_in_order_at_most_max_parallel_at_once(tmp_path: Path) -> None:
    parts = Parts(tmp_path, PIPELINES="[a/a, a/b, a/c]", MAX_PARALLEL="2")
    client = FakeClient()
    follower = FakeFollower(outcomes=[(2, "success"), (1, "success"), (3, "success")])
    scheduler = parts.scheduler(follower, client=client)

    scheduler.start_and_follow()

    assert client.started == ["a/a", "a/b", "a/c"]
    triggering = [line.split(" [")[0] for line in parts.lines if line.startswith("Triggering")]
    assert triggering == ["Triggering #1 a/a", "Triggering #2 a/b", "Triggering #3 a/c"]
    # Child 3 starts only once child 2 made room: its trigger comes after child 2's end.
    position = {line.split(" [")[0]: n for n, line in enumerate(parts.lines)}
    ended_2 = next(n for n, line in enumerate(parts.lines) if line.startswith("#2 a/b b"))
    assert ended_2 < position["Triggering #3 a/c"]
    assert scheduler.finish() == ExitCode.OK


def test_a_childs_status_is_exported_before_it_is_collected_and_told(tmp_path: Path) -> None:
    parts = Parts(tmp_path)
    collector = FakeCollector(returned={1: {"DIGEST": "sha256:1"}})
    scheduler = parts.scheduler(FakeFollower(outcomes=[(1, "success")]), collector)

    scheduler.start_and_follow()

    ((index, exports_when_collected),) = collector.collected
    assert index == 1
    assert exports_when_collected["BUILD_STATUS"] == "success"  # exported first
    assert "DIGEST" not in exports_when_collected  # told after
    assert parts.exports["DIGEST"] == "sha256:1"
    assert parts.state.returned == {1: {"DIGEST": "sha256:1"}}


def test_fail_fast_terminates_the_running_and_starts_nothing_more(tmp_path: Path) -> None:
    parts = Parts(tmp_path, PIPELINES="[a/a, a/b, a/c]", MAX_PARALLEL="2")
    client = FakeClient()
    follower = FakeFollower(outcomes=[(2, "error")])
    scheduler = parts.scheduler(follower, client=client)

    scheduler.start_and_follow()

    assert client.started == ["a/a", "a/b"]
    assert [index for index, _ in follower.terminated] == [1]
    first = parts.state.child(1)
    assert first is not None
    assert (first.outcome, first.stopped_by_step) == ("terminated", True)
    assert "#2 a/b failed: terminating the other children (FAIL_FAST)" in parts.lines
    with pytest.raises(ChildFailed):
        scheduler.finish()
    assert parts.exports["BUILD_STATUS_3"] == "skipped"
    assert parts.exports["BUILD_STATUS"] == "error"


def test_without_fail_fast_a_failure_stops_nothing(tmp_path: Path) -> None:
    parts = Parts(tmp_path, PIPELINES="[a/a, a/b, a/c]", MAX_PARALLEL="2", FAIL_FAST="false")
    client = FakeClient()
    follower = FakeFollower(outcomes=[(2, "error"), (1, "success"), (3, "success")])
    scheduler = parts.scheduler(follower, client=client)

    scheduler.start_and_follow()

    assert client.started == ["a/a", "a/b", "a/c"]
    assert follower.terminated == []


@pytest.mark.parametrize(
    ("env", "terminated", "outcome"),
    [({}, [], "timeout"), ({"ON_TIMEOUT": "terminate"}, [1], "timeout")],
)
def test_a_timeout_is_decided_then_acted_on(
    tmp_path: Path, env: dict[str, str], terminated: list[int], outcome: str
) -> None:
    parts = Parts(tmp_path, **env)
    follower = FakeFollower(outcomes=[(1, "timeout")])
    scheduler = parts.scheduler(follower)

    scheduler.start_and_follow()

    assert [index for index, _ in follower.terminated] == terminated
    assert parts.exports["BUILD_STATUS"] == outcome
    with pytest.raises(WaitTimedOut):
        scheduler.finish()


def test_on_timeout_detach_exits_0(tmp_path: Path) -> None:
    parts = Parts(tmp_path, ON_TIMEOUT="detach")
    scheduler = parts.scheduler(FakeFollower(outcomes=[(1, "timeout")]))

    scheduler.start_and_follow()

    assert parts.exports["BUILD_STATUS"] == "detached"
    assert scheduler.finish() == ExitCode.OK


def test_detach_starts_every_child_and_follows_none(tmp_path: Path) -> None:
    parts = Parts(tmp_path, PIPELINES="[a/a, a/b]", DETACH="true", MAX_PARALLEL="1")
    client = FakeClient()
    follower = FakeFollower()
    scheduler = parts.scheduler(follower, client=client)

    scheduler.start_and_follow()

    assert client.started == ["a/a", "a/b"]
    assert parts.state.active == []
    assert [parts.exports[f"BUILD_STATUS_{n}"] for n in (1, 2)] == ["detached", "detached"]
    assert scheduler.finish() == ExitCode.OK


def test_skipped_children_are_never_triggered(tmp_path: Path) -> None:
    parts = Parts(tmp_path, PIPELINES="[a/a, a/b]")
    parts.state.skip(1, "nothing changed")
    client = FakeClient()
    scheduler = parts.scheduler(FakeFollower(outcomes=[(2, "success")]), client=client)

    scheduler.start_and_follow()

    assert client.started == ["a/b"]
    assert not [line for line in parts.lines if line.startswith("#1 ")]  # its decider said it
    assert parts.exports["BUILD_STATUS_1"] == "skipped"
    assert scheduler.finish() == ExitCode.OK
