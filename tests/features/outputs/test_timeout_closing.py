"""The closing line of a timeout names the option the user set and what the step last
knew of the child, including status answers it could not read (docs/output.md)."""

from __future__ import annotations

import re

import pytest

from cfstep.emulator import Emulator, Fault
from fakeclock import FakeClock
from harness import base_env, run_step

BUILDS = "/api/builds/"


def test_terminate_on_timeout_is_named_as_the_user_set_it(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    env = base_env(emu, PIPELINE_ID="proj/slow", TIMEOUT_MINS="0.1", TERMINATE_ON_TIMEOUT="true")
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 3
    closing = result.stderr_lines[-1]
    assert "TERMINATE_ON_TIMEOUT=true asked Codefresh to terminate it" in closing
    assert re.search(r"(?<!TERMINATE_)ON_TIMEOUT", closing) is None, closing
    assert "(TERMINATE_ON_TIMEOUT=true)" in result.stderr  # the line of the moment too


def test_on_timeout_terminate_is_named_as_the_user_set_it(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    env = base_env(emu, PIPELINE_ID="proj/slow", TIMEOUT_MINS="0.1", ON_TIMEOUT="terminate")
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 3
    closing = result.stderr_lines[-1]
    assert "ON_TIMEOUT=terminate asked Codefresh to terminate it" in closing
    assert "TERMINATE_ON_TIMEOUT" not in closing


def test_a_timeout_left_running_says_which_options_would_change_that(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    env = base_env(emu, PIPELINE_ID="proj/slow", TIMEOUT_MINS="0.1")
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 3
    (build,) = emu.runs()
    assert result.stderr_lines[-1] == (
        f"cfstep: child build {build.id} of proj/slow did not end within TIMEOUT_MINS "
        "(6.0s; status running), left running — raise TIMEOUT_MINS, or set "
        "ON_TIMEOUT=terminate to stop it or ON_TIMEOUT=detach to leave it and exit 0; "
        f"see {emu.url}/build/{build.id}"
    )


def test_unreadable_status_answers_are_counted_in_the_closing_line(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    """Codefresh answers every status request 503 until the timeout: the step waited, as
    it should, and its last line says how many answers it could not read, and why."""
    emu.add_fault(Fault("GET", BUILDS, "status", times=-1, status=503))
    env = base_env(emu, PIPELINE_ID="proj/ok", TIMEOUT_MINS="0.1")
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 3
    tried = len(result.sent("GET", BUILDS))
    assert tried >= 2
    closing = result.stderr_lines[-1]
    assert (
        f"(6.0s; no status read: the last {tried} status answers could not be read: "
        "503 Service Unavailable from GET "
    ) in closing
    assert "not read yet" not in closing


@pytest.mark.parametrize("kind", ["malformed_json", "drop_before"])
def test_answers_unreadable_after_a_status_keep_that_status(
    emu: Emulator, fake_clock: FakeClock, kind: str
) -> None:
    """The child was seen running, then every answer was unreadable: both are said."""

    def break_the_api(n: int) -> None:
        if n == 2:
            emu.add_fault(Fault("GET", BUILDS, kind, times=-1))

    env = base_env(emu, PIPELINE_ID="proj/slow", TIMEOUT_MINS="0.1")
    result = run_step(emu, env, clock=fake_clock, on_sleep=break_the_api)

    assert result.code == 3
    closing = result.stderr_lines[-1]
    assert "(6.0s; last status running; the last " in closing
    assert " status answers could not be read: " in closing
