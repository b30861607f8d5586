"""The run's state, its one owner: children started, running, done with, skipped, and the
first failure (cfstep.run.state)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from runparts import child

from cfstep.codefresh.answers import Build
from cfstep.run.state import RunState, label


@pytest.mark.parametrize(("many", "name"), [(True, "#2 shop/deploy-us"), (False, "shop/deploy-us")])
def test_one_label_for_a_child(many: bool, name: str) -> None:
    assert label(2, "shop/deploy-us", many=many) == name
    assert RunState(planned=2 if many else 1, started_at=0).name(2, "shop/deploy-us") == name


def test_a_child_goes_from_started_to_done() -> None:
    state = RunState(planned=3, started_at=0.0)
    first, second = child(1, many=True), child(2, many=True)
    state.started(second, followed=True)
    state.started(first, followed=True)
    assert [c.index for c in state.children] == [1, 2]  # list order, not start order
    assert state.active == [second, first]
    first.outcome = "success"
    state.done(first, 12.4)
    assert state.active == [second]
    assert state.durations == {1: 12.4}
    assert state.ended == [first]
    assert state.never_started() == [3]


def test_a_detached_child_is_started_but_not_followed() -> None:
    state = RunState(planned=1, started_at=0.0)
    state.started(child(), followed=False)
    assert state.active == []
    assert state.child(1) is not None


def test_only_the_first_failure_is_kept() -> None:
    state = RunState(planned=2, started_at=0.0)
    first, second = child(1, many=True), child(2, many=True)
    assert state.failed(first) is True
    assert state.failed(second) is False
    assert state.first_failure is first


def test_children_decided_not_to_run() -> None:
    state = RunState(planned=3, started_at=0.0)
    state.skip(2, "nothing changed")
    assert state.skip_reason(2) == "nothing changed"
    assert state.skip_reason(1) is None
    assert state.never_started() == [1, 3]  # a skipped child is not "never started"
    assert state.all_skipped is False
    state.skip(1, "a")
    state.skip(3, "b")
    assert state.all_skipped is True


@pytest.mark.parametrize("index", [0, 4, -1])
def test_skipping_a_child_that_is_not_in_the_list_is_a_bug(index: int) -> None:
    with pytest.raises(ValueError, match="no child"):
        RunState(planned=3, started_at=0.0).skip(index, "why")


def test_a_single_child_run_is_not_many() -> None:
    assert RunState(planned=1, started_at=0.0).many is False
    assert RunState(planned=2, started_at=0.0).many is True


def test_a_childs_duration_is_codefreshs_when_known_else_the_steps() -> None:
    followed = child(started_at=100.0)
    assert followed.duration(142.0) == 42.0
    created = datetime(2024, 1, 1, tzinfo=UTC)
    followed.build = Build(
        followed.build_id, "success", None, created, created + timedelta(seconds=90)
    )
    assert followed.duration(142.0) == 90.0


def test_the_status_text_is_never_none() -> None:
    assert child().status_text() == "not read yet"
    assert child(status="running").status_text() == "running"
