"""The policy as tables: decisions only, from the inputs and the run's state; no HTTP, no
console (cfstep.run.policy)."""

from __future__ import annotations

import pytest
from runparts import child, config

from cfstep.inputs import config as inputs
from cfstep.model import Config, ExitCode, Outcome
from cfstep.run.policy import (
    CANCEL_TERMINATE_BUDGET_SECONDS,
    TERMINATE_BUDGET_SECONDS,
    OnTimeout,
    Policy,
    Stopping,
    timeout_rule,
)
from cfstep.run.state import Child, RunState


def _state(*children: Child, planned: int | None = None) -> RunState:
    state = RunState(planned=planned or max(len(children), 1), started_at=0.0)
    for c in children:
        state.started(c, followed=c.outcome is None)
    return state


@pytest.mark.parametrize(
    ("env", "action", "outcome", "rule"),
    [
        ({}, OnTimeout.LEAVE, Outcome.TIMEOUT, "ON_TIMEOUT=fail"),
        ({"ON_TIMEOUT": "terminate"}, OnTimeout.TERMINATE, Outcome.TIMEOUT, "ON_TIMEOUT=terminate"),
        ({"ON_TIMEOUT": "detach"}, OnTimeout.DETACH, Outcome.DETACHED, "ON_TIMEOUT=detach"),
        (
            {"TERMINATE_ON_TIMEOUT": "true"},
            OnTimeout.TERMINATE,
            Outcome.TIMEOUT,
            "TERMINATE_ON_TIMEOUT=true",
        ),
    ],
    ids=["fail", "terminate", "detach", "TERMINATE_ON_TIMEOUT"],
)
def test_what_a_timeout_does(
    env: dict[str, str], action: OnTimeout, outcome: str, rule: str
) -> None:
    policy = Policy(config(**env))
    assert policy.on_timeout() is action
    assert policy.outcome_after_timeout(action) == outcome
    assert timeout_rule(policy.config) == rule


@pytest.mark.parametrize(("accepted", "outcome"), [(True, "terminated"), (False, "detached")])
def test_a_stopped_child_is_terminated_only_once_codefresh_accepted(
    accepted: bool, outcome: str
) -> None:
    assert Policy.outcome_after_stop(accepted) == outcome


@pytest.mark.parametrize(
    ("status", "stopped", "drains"),
    [
        ("success", False, True),
        ("error", False, True),
        ("running", False, False),
        ("error", True, False),
    ],
)
def test_the_live_log_is_drained_for_a_child_that_ended_on_its_own(
    status: str, stopped: bool, drains: bool
) -> None:
    assert Policy.drains_live_log(child(status=status, stopped=stopped)) is drains


@pytest.mark.parametrize(
    ("outcome", "stopped", "shown_whole", "env", "shows"),
    [
        ("error", False, False, {}, True),
        ("terminated", False, False, {}, True),
        ("weird-status", False, False, {}, True),
        ("error", False, True, {}, False),  # every line was shown live
        ("error", True, False, {}, False),  # the step stopped it itself
        ("error", False, False, {"LOG_TAIL": "0"}, False),
        ("success", False, False, {}, False),
        ("timeout", False, False, {}, False),
        ("detached", False, False, {}, False),
        ("pending-approval", False, False, {}, False),
    ],
)
def test_which_log_tail_is_worth_showing(
    outcome: str, stopped: bool, shown_whole: bool, env: dict[str, str], shows: bool
) -> None:
    ended = child(status="error", outcome=outcome, stopped=stopped)
    assert Policy(config(**env)).shows_log_tail(ended, shown_whole=shown_whole) is shows


@pytest.mark.parametrize(
    ("status", "env", "reads"),
    [
        ("success", {}, True),
        ("error", {}, True),
        ("terminated", {}, True),
        ("running", {}, False),  # a timeout or a detached child: not ended
    ],
)
def test_values_back_are_read_from_a_child_that_ended(
    status: str, env: dict[str, str], reads: bool
) -> None:
    assert Policy(config(**env)).reads_returned_values(child(status=status)) is reads


@pytest.mark.parametrize(("fail_fast", "stopped"), [("true", [2, 3]), ("false", [])])
def test_the_first_failure_stops_the_others_only_with_fail_fast(
    fail_fast: str, stopped: list[int]
) -> None:
    policy = Policy(config(PIPELINES="[a/a, a/b, a/c]", FAIL_FAST=fail_fast))
    failed = child(1, many=True, status="error", outcome="error")
    state = _state(failed, child(2, many=True), child(3, many=True))
    state.done(failed, 1.0)
    assert state.failed(failed)
    assert [c.index for c in policy.to_stop_after_failure(state)] == stopped
    assert policy.starts_more(state) is (fail_fast == "false")


@pytest.mark.parametrize(
    ("env", "many", "cancel", "error", "bug"),
    [
        (
            {},
            True,
            Stopping(True, "TERMINATE_ON_CANCEL", CANCEL_TERMINATE_BUDGET_SECONDS),
            Stopping(True, "FAIL_FAST", TERMINATE_BUDGET_SECONDS),
            Stopping(True, "FAIL_FAST", TERMINATE_BUDGET_SECONDS),
        ),
        (
            {"FAIL_FAST": "false", "TERMINATE_ON_CANCEL": "false"},
            True,
            Stopping(False, "TERMINATE_ON_CANCEL", CANCEL_TERMINATE_BUDGET_SECONDS),
            Stopping(False, "FAIL_FAST", TERMINATE_BUDGET_SECONDS),
            Stopping(False, "FAIL_FAST", TERMINATE_BUDGET_SECONDS),
        ),
        (
            {},
            False,
            Stopping(True, "TERMINATE_ON_CANCEL", CANCEL_TERMINATE_BUDGET_SECONDS),
            None,  # a single child's error is about that child: it is left as it is
            Stopping(True, "TERMINATE_ON_CANCEL", TERMINATE_BUDGET_SECONDS),
        ),
        (
            {"TERMINATE_ON_CANCEL": "false"},
            False,
            Stopping(False, "TERMINATE_ON_CANCEL", CANCEL_TERMINATE_BUDGET_SECONDS),
            None,
            Stopping(False, "TERMINATE_ON_CANCEL", TERMINATE_BUDGET_SECONDS),
        ),
    ],
    ids=["fan-out", "fan-out, nothing terminated", "one child", "one child, left running"],
)
def test_how_a_run_that_ends_early_treats_what_runs(
    env: dict[str, str],
    many: bool,
    cancel: Stopping,
    error: Stopping | None,
    bug: Stopping,
) -> None:
    if many:
        env = {"PIPELINES": "[a/a, a/b]", **env}
    policy = Policy(config(**env))
    state = RunState(planned=2 if many else 1, started_at=0.0)
    assert policy.on_cancel() == cancel
    assert policy.on_error(state) == error
    assert policy.on_bug(state) == bug


def _ended(*outcomes: str, stopped: tuple[int, ...] = ()) -> list[Child]:
    return [
        child(i, many=True, status="error", outcome=o, stopped=i in stopped)
        for i, o in enumerate(outcomes, start=1)
    ]


@pytest.mark.parametrize(
    ("outcomes", "stopped", "first_failure", "fail_fast", "worst"),
    [
        (("success", "success"), (), None, "true", 1),
        (("success", "error", "timeout", "terminated"), (), None, "false", 3),
        (("error", "error"), (), None, "false", 1),  # a tie: the first in the list
        (("terminated", "error"), (1,), None, "false", 2),  # stopped by the step: not counted
        (("terminated", "terminated"), (1, 2), None, "false", 1),  # ... unless nothing else
        (("terminated", "error"), (1,), 2, "true", 2),  # FAIL_FAST: the first failure
        (("timeout", "error"), (), 2, "true", 2),
    ],
)
def test_the_worst_result(
    outcomes: tuple[str, ...],
    stopped: tuple[int, ...],
    first_failure: int | None,
    fail_fast: str,
    worst: int,
) -> None:
    policy = Policy(config(PIPELINES="[a/a, a/b, a/c, a/d]", FAIL_FAST=fail_fast))
    children = _ended(*outcomes, stopped=stopped)
    state = _state(*children, planned=4)
    if first_failure is not None:
        state.failed(children[first_failure - 1])
    found = policy.worst(state)
    assert found is not None
    assert found.index == worst


def test_nothing_ended_has_no_worst_and_exits_0() -> None:
    policy = Policy(config())
    verdict = policy.verdict(_state())
    assert (verdict.code, verdict.worst, verdict.forgiven) == (ExitCode.OK, None, False)


@pytest.mark.parametrize(
    ("outcome", "env", "code", "forgiven"),
    [
        ("error", {}, ExitCode.CHILD_FAILED, False),
        ("error", {"PROPAGATE_FAILURE": "false"}, ExitCode.OK, True),
        ("terminated", {"PROPAGATE_FAILURE": "false"}, ExitCode.OK, True),
        ("timeout", {"PROPAGATE_FAILURE": "false"}, ExitCode.TIMED_OUT, False),
        ("success", {"PROPAGATE_FAILURE": "false"}, ExitCode.OK, False),
        ("detached", {"PROPAGATE_FAILURE": "false"}, ExitCode.OK, False),
        ("pending-approval", {"ON_APPROVAL": "fail"}, ExitCode.CHILD_TERMINATED, False),
    ],
)
def test_the_verdict(outcome: str, env: dict[str, str], code: ExitCode, forgiven: bool) -> None:
    policy = Policy(config(**env))
    verdict = policy.verdict(_state(child(status="error", outcome=outcome)))
    assert (verdict.code, verdict.forgiven) == (code, forgiven)
    assert verdict.worst is not None


def _parsed(**env: str) -> Config:
    return inputs.parse([], {"CF_API_KEY": "k", "PIPELINE_ID": "p", **env})


@pytest.mark.parametrize(
    ("outcome", "env", "code"),
    [
        pytest.param("success", {}, 0, id="success"),
        pytest.param("detached", {}, 0, id="detached"),
        pytest.param("error", {}, 1, id="error"),
        pytest.param("weird-status", {}, 1, id="unknown-final"),
        pytest.param("terminated", {}, 2, id="terminated"),
        pytest.param("timeout", {}, 3, id="timeout"),
        pytest.param("pending-approval", {"ON_APPROVAL": "succeed"}, 0, id="approval-succeed"),
        pytest.param("pending-approval", {"ON_APPROVAL": "fail"}, 2, id="approval-fail"),
        pytest.param("error", {"PROPAGATE_FAILURE": "false"}, 0, id="error-not-propagated"),
        pytest.param("timeout", {"PROPAGATE_FAILURE": "false"}, 3, id="timeout-still-3"),
    ],
)
def test_exit_code(outcome: str, env: dict[str, str], code: int) -> None:
    assert Policy(_parsed(**env)).exit_code(outcome) == code
