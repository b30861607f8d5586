"""One label for a child everywhere in a fan-out: its status lines, its log lines, the
lines of its start and end all name it `#<n> <pipeline>` (docs/output.md)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import API_KEY, base_env, run_step

SCENARIO: dict[str, Any] = {
    "pipelines": {
        "shop/deploy-eu": {
            "timeline": [{"status": "running", "seconds": 2}],
            "final": "success",
            "steps": [{"name": "Deploy", "lines": ["deploying eu"]}],
        },
        "shop/deploy-us": {
            "timeline": [{"status": "running", "seconds": 3}],
            "final": "success",
            "steps": [{"name": "Deploy", "lines": ["deploying us"]}],
        },
    }
}


def test_status_lines_and_log_lines_label_a_child_alike(
    emulator: Callable[..., Emulator], fake_clock: FakeClock
) -> None:
    emu = emulator(SCENARIO, clock=fake_clock, api_key=API_KEY)
    env = base_env(emu, PIPELINES="[shop/deploy-eu, shop/deploy-us]", FOLLOW_LOGS="true")
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 0, result.stderr
    eu, us = emu.runs()
    lines = result.stderr_lines
    assert "[#1 shop/deploy-eu] deploying eu" in lines
    assert "[#2 shop/deploy-us] deploying us" in lines
    assert "[  2.0s] #1 shop/deploy-eu running → success" in lines
    assert f"Started build {us.id} of #2 shop/deploy-us: {emu.url}/build/{us.id}" in lines
    assert any(line.startswith(f"#1 shop/deploy-eu {eu.id}: success") for line in lines)
    # Whatever the line, a child is named one way: never `[1 shop/…]` or `1 shop/…` alone.
    other_forms = [line for line in lines if re.search(r"(?<!#)\b[12] shop/deploy", line)]
    assert other_forms == []
