"""Memory bounded by what is kept, not by the number of lines: the log tail of a stored log
of millions of empty lines (1,082 MB peak for 4.4 million), and one stream event of
500,000 one-character lines (270 MB for 15.9 MB). Each case runs `python -m cfstep` against
the emulator in real time and reads its peak RSS; the step itself costs about 30 MB."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from peakrss import run_measured

from cfstep.emulator import Emulator
from harness import API_KEY, base_env

TAIL_MB = 60.0  # the target for a 32 MB log of 5 million lines (bench/logs.py)
EVENT_MB = 100.0


def _failing(steps: list[dict[str, Any]], seconds: float = 0.3) -> dict[str, Any]:
    return {
        "pipelines": {
            "mem/run": {
                "timeline": [{"status": "running", "seconds": seconds}],
                "final": "error",
                "steps": steps,
            }
        }
    }


@pytest.mark.parametrize(
    ("form", "lines"),
    [("storage JSON", 2_000_000), ("storage text", 2_000_000), ("log database", 1_000_000)],
)
def test_the_tail_of_millions_of_empty_lines_keeps_only_the_tail(
    emulator: Callable[..., Emulator], tmp_path: Path, form: str, lines: int
) -> None:
    """A failed child, live logs off: the tail is read from its storage link (JSON or
    text), or once from the log database (its push ids make it 29 bytes a line, so 1
    million lines stay under the 32 MB cap)."""
    steps = [
        {"name": "Quiet", "seconds": 0.1, "lines": ["started"]},
        {"name": "Loud", "lines": [""] * lines},
    ]
    emu = emulator(_failing(steps), api_key=API_KEY)
    emu.logstore.live = form == "log database"
    emu.logstore.storage_form = "text" if form == "storage text" else "json"
    env = base_env(emu, PIPELINE_ID="mem/run", FOLLOW_LOGS="false", LOG_TAIL="5")
    result, peak_mb = run_measured(emu, env, volume=tmp_path)

    assert result.code == 1
    tail = result.stderr_lines[
        result.stderr_lines.index("last 5 log lines of " + _id(result) + ":") :
    ]
    assert tail[1:6] == ["  | "] * 5
    assert peak_mb <= TAIL_MB, f"{peak_mb:.1f} MB"


def test_one_event_of_500000_short_lines_is_printed_without_holding_them(
    emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    """The child printed a dot at a time, 500,000 times, before the stream opened: its
    first event (the tree) is one put of about 16 MB."""
    steps = [
        {"name": "Dots", "seconds": 0, "lines": ["."] * 500_000},
        {"name": "End", "lines": ["end"]},
    ]
    emu = emulator(_failing(steps, seconds=2.5), api_key=API_KEY)
    env = base_env(emu, PIPELINE_ID="mem/run")
    result, peak_mb = run_measured(emu, env, volume=tmp_path)

    dots = result.stderr_lines.count(".")
    assert dots == 500_000
    assert "live logs" not in result.stderr
    assert peak_mb <= EVENT_MB, f"{peak_mb:.1f} MB"


def _id(result: Any) -> str:
    return str(result.exports["BUILD_ID"])
