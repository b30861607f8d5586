"""Conditions through the real entrypoint and the emulator (README "Conditions")."""

from __future__ import annotations

import pytest

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import RUN_PREFIX, base_env, run_step

SEED_ALL = (
    'validateTargetBranch: \'"${{CF_PULL_REQUEST_TARGET}}" == "production"\'\n'
    "validatePRAction: \"'${{CF_PULL_REQUEST_ACTION}}' == 'opened'\"\n"
)


def _env(emu: Emulator, **extra: str) -> dict[str, str]:
    return base_env(emu, PIPELINE_ID="proj/ok", CONDITION_ALL=SEED_ALL, **extra)


def test_seed_condition_true_starts_one_build(emu: Emulator, fake_clock: FakeClock) -> None:
    env = _env(emu, CF_PULL_REQUEST_TARGET="production", CF_PULL_REQUEST_ACTION="opened")
    result = run_step(emu, env, clock=fake_clock)
    assert result.code == 0
    assert len(result.run_requests) == 1
    assert 'condition all.validateTargetBranch: "production" == "production" → true' in (
        result.stderr
    )
    assert result.exports["BUILD_STATUS"] == "success"


def test_seed_condition_false_skips_without_a_request(emu: Emulator, fake_clock: FakeClock) -> None:
    env = _env(emu, CF_PULL_REQUEST_TARGET="production", CF_PULL_REQUEST_ACTION="closed")
    result = run_step(emu, env, clock=fake_clock)
    assert result.code == 0
    assert result.requests == []
    assert result.exports == {"BUILD_STATUS": "skipped"}
    assert "validatePRAction" in result.stderr
    assert "'closed' == 'opened'" in result.stderr


def test_undefined_variable_stays_literal_and_is_false(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    """No PR variables at all (a push build): the literal text is compared, false."""
    result = run_step(emu, _env(emu), clock=fake_clock)
    assert result.code == 0
    assert '"${{CF_PULL_REQUEST_TARGET}}" == "production"' in result.stderr
    assert not result.sent("POST", RUN_PREFIX)


def test_invalid_condition_is_exit_5_with_name_text_and_reason(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    env = base_env(emu, PIPELINE_ID="proj/ok", CONDITION_ALL="isOne: '\"1\" == 1'")
    result = run_step(emu, env, clock=fake_clock)
    assert result.code == 5
    assert result.requests == []
    (line,) = result.stderr_lines
    assert "isOne" in line
    assert '"1" == 1' in line


def test_condition_error_skip_treats_the_error_as_false(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    env = base_env(
        emu, PIPELINE_ID="proj/ok", CONDITION_ALL="isOne: '\"1\" == 1'", CONDITION_ERROR="skip"
    )
    result = run_step(emu, env, clock=fake_clock)
    assert result.code == 0
    assert result.requests == []
    assert result.exports["BUILD_STATUS"] == "skipped"
    assert "CONDITION_ERROR=skip" in result.stderr


@pytest.mark.parametrize(
    ("any_text", "runs"),
    [
        pytest.param("- 'false'\n- '1 + 1 == 2'\n", 1, id="one-of-two-holds"),
        pytest.param("- 'false'\n- 'null'\n", 0, id="none-holds"),
    ],
)
def test_condition_any(emu: Emulator, fake_clock: FakeClock, any_text: str, runs: int) -> None:
    result = run_step(
        emu, base_env(emu, PIPELINE_ID="proj/ok", CONDITION_ANY=any_text), clock=fake_clock
    )
    assert result.code == 0
    assert len(result.run_requests) == runs


@pytest.mark.parametrize(
    ("only", "ignore", "branch", "runs"),
    [
        pytest.param("- main\n- /^release-/i\n", "", "Release-1.2", 1, id="only-regex-i"),
        pytest.param("main", "", "feature/x", 0, id="only-name-miss"),
        pytest.param("", "/^dependabot\\//", "dependabot/npm", 0, id="ignore-regex"),
    ],
)
def test_branch_filters(
    emu: Emulator, fake_clock: FakeClock, only: str, ignore: str, branch: str, runs: int
) -> None:
    env = base_env(
        emu, PIPELINE_ID="proj/ok", CF_BRANCH=branch, BRANCH_ONLY=only, BRANCH_IGNORE=ignore
    )
    result = run_step(emu, env, clock=fake_clock)
    assert result.code == 0
    assert len(result.run_requests) == runs


def test_when_flags_and_dry_run_show_results_and_send_nothing(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    result = run_step(
        emu,
        base_env(emu, PIPELINE_ID="proj/ok"),
        ["--when", "length('abc') == 3", "--dry-run"],
        clock=fake_clock,
    )
    assert result.code == 0
    assert result.requests == []
    assert "length('abc') == 3 → true" in result.stderr
    assert '"method": "POST"' in result.stdout


def test_attack_through_the_cli_is_exit_5(emu: Emulator, fake_clock: FakeClock) -> None:
    env = base_env(emu, PIPELINE_ID="proj/ok", CONDITION_ALL='"".__class__')
    result = run_step(emu, env, clock=fake_clock)
    assert result.code == 5
    assert result.requests == []
