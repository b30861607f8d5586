"""The first hour's input mistakes, through the entrypoint: each one line that names the
input and says what to do (README, "Inputs")."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import API_KEY, base_env, run_step

SCENARIO = {
    "pipelines": {
        "demo/deploy": {"timeline": [{"status": "running", "seconds": 1}], "final": "success"},
    }
}


@pytest.fixture
def emu(emulator: Callable[..., Emulator], fake_clock: FakeClock) -> Emulator:
    return emulator(SCENARIO, clock=fake_clock, api_key=API_KEY)


def test_a_url_ending_in_api_is_corrected(emu: Emulator, fake_clock: FakeClock) -> None:
    """A CF_URL ending in `/api` once gave a 404 on `/api/api/…` and a message telling to
    check PIPELINE_ID."""
    env = base_env(emu, PIPELINE_ID="demo/deploy", CF_URL=f"{emu.url}/api/", DETACH="true")
    result = run_step(emu, env, clock=fake_clock)
    assert result.code == 0, result.stderr
    assert result.stderr_lines[0] == (
        f"CF_URL: '{emu.url}/api/' ends in '/api', which cfstep adds itself: using {emu.url}"
    )
    assert [r.path for r in result.run_requests] == ["/api/pipelines/run/demo%2Fdeploy"]


def test_a_page_of_codefresh_as_url_is_refused(emu: Emulator, fake_clock: FakeClock) -> None:
    env = base_env(emu, PIPELINE_ID="demo/deploy", CF_URL="https://g.codefresh.io/pipelines/demo")
    result = run_step(emu, env, clock=fake_clock)
    assert result.code == 5
    assert result.stderr_lines == [
        "cfstep: CF_URL: 'https://g.codefresh.io/pipelines/demo' has a path (/pipelines/demo) "
        "— give the address alone: https://g.codefresh.io"
    ]
    assert result.requests == []
