"""The entrypoint as a user runs it: `python -m cfstep`, --help, and a cfstep bug (exit 70)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cfstep.emulator import Emulator
from cfstep.inputs import options
from fakeclock import FakeClock
from harness import (
    API_KEY,
    RUN_PREFIX,
    SECRET,
    base_env,
    run_cli,
    run_step,
)
from scenarios import ODD_PIPELINE, ODD_PIPELINE_SEGMENT


def test_python_m_cfstep_triggers_follows_and_exports(real_emu: Emulator, tmp_path: Path) -> None:
    env = base_env(
        real_emu,
        PIPELINE_ID=ODD_PIPELINE,
        SECRETS=f"TOKEN={SECRET}",
        VARIABLE="- A=1, 2",
        CF_STEP_NAME="s",
    )
    result = run_cli(real_emu, env, ["--log-tail", "5"], volume=tmp_path)

    assert result.code == 0, result.stderr
    (build,) = real_emu.runs()
    assert [r.path for r in result.run_requests] == [f"{RUN_PREFIX}{ODD_PIPELINE_SEGMENT}"]
    assert result.body["variables"] == [
        {"key": "A", "value": "1, 2"},
        {"key": "TOKEN", "value": SECRET, "encrypted": True},
    ]
    url = f"{real_emu.url}/build/{build.id}"
    assert result.exports == {
        "BUILD_ID": build.id,
        "BUILD_URL": url,
        "s_CF_OUTPUT_URL": url,
        "BUILD_STATUS": "success",
        "BUILD_DURATION_SECONDS": "1",
    }
    assert f"Started build {build.id} of {ODD_PIPELINE}: {url}" in result.stderr


def test_help_lists_every_input_with_its_environment_name(tmp_path: Path) -> None:
    result = run_cli(None, {}, ["--help"], volume=tmp_path)

    assert result.code == 0
    text = " ".join(result.stdout.split())
    for option in options.OPTIONS:
        assert f"[{option.env}" in text, option.env
        for flag in option.flags:
            assert flag in text
    assert "[TIMEOUT_MINS; default 45]" in text
    assert result.requests == []


def test_help_in_process_returns_0_instead_of_raising(fake_clock: FakeClock) -> None:
    result = run_step(None, {}, ["--help"], clock=fake_clock)

    assert result.code == 0
    assert "PIPELINE_ID" in result.stdout


def test_version(tmp_path: Path) -> None:
    result = run_cli(None, {}, ["--version"], volume=tmp_path)

    assert result.code == 0
    assert re.fullmatch(r"cfstep \d+\.\d+\.\d+\n", result.stdout)


def test_an_unexpected_exception_exits_70_with_a_masked_traceback(
    emu: Emulator, fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> dict[str, object]:
        raise RuntimeError(f"boom: key {API_KEY} secret {SECRET}")

    monkeypatch.setattr("cfstep.codefresh.run_request.run_body", broken)
    env = base_env(emu, PIPELINE_ID="proj/ok", SECRETS=f"TOKEN={SECRET}")
    result = run_step(emu, env, clock=fake_clock)  # run_step asserts neither value leaked

    assert result.code == 70
    assert emu.requests == []
    assert "internal error (a bug in cfstep, not in your build)" in result.stderr
    assert "Traceback (most recent call last):" in result.stderr
    assert "RuntimeError: boom: key *** secret ***" in result.stderr
    assert len(result.stderr_lines) < 40  # a short traceback


def test_an_unexpected_exception_while_following_exits_70_not_a_child_failure(
    emu: Emulator, fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise ZeroDivisionError(f"while polling with {API_KEY}")

    monkeypatch.setattr("cfstep.run.follow.Follower._observe", broken)
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok"), clock=fake_clock)

    assert result.code == 70
    (build,) = emu.runs()
    assert result.exports["BUILD_ID"] == build.id
    assert "ZeroDivisionError: while polling with ***" in result.stderr
