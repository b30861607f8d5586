"""A failed child whose live log was not shown whole (the stream fell behind or missed
lines: `LiveLogs.shown_whole` false, though it never failed) gets its log tail, as when
live logs fail; one shown whole does not (README, "Live logs of the child")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cfstep.emulator import Emulator
from cfstep.logs import live
from fakeclock import FakeClock
from harness import API_KEY, base_env, run_step

SCENARIO: dict[str, Any] = {
    "pipelines": {
        "live/fail": {
            "timeline": [{"status": "running", "seconds": 2}],
            "final": "error",
            "steps": [{"name": "Test", "lines": ["test 1", "boom: the tests failed"]}],
        }
    }
}


@pytest.mark.parametrize("whole", [False, True], ids=["fell-behind", "shown-whole"])
def test_the_tail_follows_a_live_log_that_was_not_shown_whole(
    emulator: Callable[..., Emulator],
    fake_clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    whole: bool,
) -> None:
    emu = emulator(SCENARIO, clock=fake_clock, api_key=API_KEY)
    asked: list[int] = []

    def shown_whole(self: live.LiveLogs, index: int) -> bool:
        asked.append(index)
        return whole

    monkeypatch.setattr(live.LiveLogs, "shown_whole", shown_whole)
    result = run_step(emu, base_env(emu, PIPELINE_ID="live/fail"), clock=fake_clock)

    assert result.code == 1
    assert asked == [1]
    (build,) = emu.runs()
    lines = result.stderr_lines
    assert "boom: the tests failed" in lines  # shown live
    tail = f"last 3 log lines of {build.id}:"
    assert (tail in lines) is not whole
    if not whole:
        assert lines.index("boom: the tests failed") < lines.index(tail)
        assert lines[lines.index(tail) + 3] == "  | boom: the tests failed"
