"""A single child's run ends with a line naming the build and its URL: after success (the
summary), after a failure (before the closing line), and after DETACH (docs/output.md)."""

from __future__ import annotations

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import base_env, run_step


def test_the_success_summary_carries_the_childs_url(emu: Emulator, fake_clock: FakeClock) -> None:
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok"), clock=fake_clock)

    assert result.code == 0, result.stderr
    (build,) = emu.runs()
    url = f"{emu.url}/build/{build.id}"
    assert result.stderr_lines[-1] == f"proj/ok {build.id}: success after 3.0s — {url}"


def test_a_failed_childs_end_line_carries_its_url_too(emu: Emulator, fake_clock: FakeClock) -> None:
    env = base_env(emu, PIPELINE_ID="proj/fail", LOG_TAIL="0")
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 1
    (build,) = emu.runs()
    url = f"{emu.url}/build/{build.id}"
    assert result.stderr_lines[-2] == f"proj/fail {build.id}: error after 1.0s — {url}"


def test_detach_ends_with_a_line_naming_the_build_and_its_url(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok", DETACH="true"), clock=fake_clock)

    assert result.code == 0, result.stderr
    (build,) = emu.runs()
    url = f"{emu.url}/build/{build.id}"
    assert result.stderr_lines[-1] == (
        f"proj/ok {build.id}: detached, not followed (DETACH) — {url}"
    )


def test_detach_of_an_existing_build_ends_with_its_url(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    started = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok", DETACH="true"), clock=fake_clock)
    build_id = started.exports["BUILD_ID"]
    env = base_env(emu, BUILD_ID=build_id, DETACH="true")
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 0, result.stderr
    url = f"{emu.url}/build/{build_id}"
    assert result.stderr_lines[-1] == f"build {build_id}: detached, not followed (DETACH) — {url}"
