"""When live logs do not catch up by the end, the step says how many lines it missed and
shows the tail, as when live logs fail: with 10,000 steps of one line each only about
6,000 lines were shown, the drain gave up after 5 s, and that counted as "all shown"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cfstep.emulator import Emulator, LogFault
from cfstep.logs import stream as logstream
from harness import API_KEY, Result, base_env, run_step

STEPS = 10_000
FIRST = [f"first {n}" for n in range(10)]
SECOND = [f"second {n}" for n in range(20)]


def _lagging(final: str) -> dict[str, Any]:
    return {
        "pipelines": {
            "lag/run": {
                "timeline": [{"status": "running", "seconds": 2.5}],
                "final": final,
                "steps": [
                    {"name": "First", "seconds": 1.0, "lines": FIRST},
                    {"name": "Second", "lines": SECOND},
                ],
            }
        }
    }


def _child_lines(result: Result) -> list[str]:
    return [line for line in result.stderr_lines if line.startswith(("first ", "second "))]


@pytest.mark.parametrize(("final", "code"), [("error", 1), ("success", 0)])
def test_a_stream_that_goes_silent_says_how_many_lines_were_missed(
    emulator: Callable[..., Emulator], monkeypatch: pytest.MonkeyPatch, final: str, code: int
) -> None:
    """The log store sends the tree when the stream opens (about 1 s in), then nothing:
    the drain (0.5 s here) gives up, the log is counted once, and the step says how many
    of its 30 lines were not shown; a failed child's tail follows."""
    monkeypatch.setattr(logstream, "DRAIN_SECONDS", 0.5)
    emu = emulator(_lagging(final), api_key=API_KEY)
    emu.add_log_fault(LogFault("stall", after=1, times=-1))
    result = run_step(emu, base_env(emu, PIPELINE_ID="lag/run"))

    assert result.code == code
    shown = _child_lines(result)
    assert 0 < len(shown) < len(FIRST) + len(SECOND)
    missed = len(FIRST) + len(SECOND) - len(shown)
    assert f"live logs fell behind: {missed:,} lines of the log were not shown" in result.stderr
    assert "live logs stopped" not in result.stderr
    tail = [line for line in result.stderr_lines if line.startswith("  | ")]
    if code:
        assert tail[-3:] == [f"  | {line}" for line in SECOND[-3:]]
    else:
        assert tail == []


def test_a_stream_that_caught_up_says_nothing_more(
    emulator: Callable[..., Emulator], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed child whose lines all came live: no count, no tail."""
    emu = emulator(_lagging("error"), api_key=API_KEY)
    result = run_step(emu, base_env(emu, PIPELINE_ID="lag/run"))

    assert result.code == 1
    assert _child_lines(result) == FIRST + SECOND
    assert "fell behind" not in result.stderr
    assert "  | " not in result.stderr


def test_10000_steps_of_one_line_each_are_all_shown_in_order(
    emulator: Callable[..., Emulator],
) -> None:
    """As found: 10,000 steps written in 1 s while the stream is open, followed in real
    time. Every line shows, in the order of the steps, each after its banner."""
    steps = [{"name": "Wait", "seconds": 1.2, "lines": ["waiting"]}]
    steps += [{"name": f"s{n}", "seconds": 1 / STEPS, "lines": [f"line {n}"]} for n in range(STEPS)]
    steps.append({"name": "End", "lines": ["end"]})
    scenario = {
        "pipelines": {
            "many/run": {
                "timeline": [{"status": "running", "seconds": 3.0}],
                "final": "error",
                "steps": steps,
            }
        }
    }
    emu = emulator(scenario, api_key=API_KEY)
    result = run_step(emu, base_env(emu, PIPELINE_ID="many/run"))

    assert result.code == 1
    shown = [line for line in result.stderr_lines if line.startswith(("--- step: s", "line "))]
    expected = [text for n in range(STEPS) for text in (f"--- step: s{n} ---", f"line {n}")]
    assert shown == expected  # the status lines of cfstep may come in between
    assert "fell behind" not in result.stderr
    assert "  | " not in result.stderr
