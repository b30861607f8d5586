"""A line the child's logger wrote in pieces (two `put`s, a `put` then a `patch`, three
pieces) is printed once it is whole, so the secret in it is masked: it came out on two
lines, each half in clear (`deploying with token HUNTER2-S` / `PLIT-SECRET-77 done`), and
the API key the same way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cfstep.emulator import Emulator
from cfstep.logs import stream as logstream
from harness import API_KEY, Result, base_env, run_step

TOKEN = "HUNTER2-SPLIT-SECRET-77"  # noqa: S105 - the finding's value
# Pushes as the logger wrote them: a line ends only where "\r\n" is.
PUSHES = [
    "deploying with token HUNTER2-S",
    "PLIT-SECRET-77 done\r\n",
    f"calling the API with {API_KEY[:6]}",
    f"{API_KEY[6:]}\r\n",
    "three pieces: HUNT",
    "ER2-SPLIT-SEC",
    "RET-77 end\r\n",
]
SHOWN = ["deploying with token *** done", "calling the API with ***", "three pieces: *** end"]


def _scenario(seconds: float) -> dict[str, Any]:
    """The pieces spread over `seconds` of real time: each is its own event."""
    return {
        "pipelines": {
            "split/run": {
                "timeline": [{"status": "running", "seconds": 1.2 + seconds + 0.5}],
                "final": "success",
                "steps": [
                    {"name": "Wait", "seconds": 1.2, "lines": ["waiting\r\n"]},
                    {"name": "Deploy", "seconds": seconds, "lines": PUSHES},
                    {"name": "End", "lines": ["end\r\n"]},
                ],
            }
        }
    }


def _run(emu: Emulator) -> Result:
    env = base_env(emu, PIPELINE_ID="split/run", SECRETS=f"TOKEN={TOKEN}")
    return run_step(emu, env, secrets=[TOKEN])


def _assert_masked_whole(result: Result) -> None:
    assert result.code == 0
    lines = result.stderr_lines
    start = lines.index("--- step: Deploy ---")
    assert lines[start + 1 : start + 4] == SHOWN
    for half in ("HUNTER2-S", "PLIT-SECRET-77", "HUNT", "SEC", API_KEY[:6], API_KEY[6:]):
        assert half not in result.stderr, half


@pytest.mark.parametrize("line_events", ["patch", "put"], ids=["put then patch", "two puts"])
def test_a_line_in_pieces_is_printed_whole_and_masked(
    emulator: Callable[..., Emulator], monkeypatch: pytest.MonkeyPatch, line_events: str
) -> None:
    """The pieces come 0.2 s apart, well inside the flush time (made long here, so that
    a slow machine cannot turn this into the case below)."""
    monkeypatch.setattr(logstream, "FLUSH_SECONDS", 30.0, raising=False)
    emu = emulator(_scenario(1.4), api_key=API_KEY)
    emu.logstore.raw_pushes = True
    emu.logstore.line_events = line_events
    _assert_masked_whole(_run(emu))


def test_pieces_slower_than_the_flush_time_are_shown_early_and_still_masked(
    emulator: Callable[..., Emulator], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pieces 0.3 s apart, the flush time 0.05 s: each piece is shown when it has waited,
    ending in `…`; the rest of its line follows after a `…`, masked with what was shown.
    No half of a secret of three characters or more is ever printed."""
    monkeypatch.setattr(logstream, "FLUSH_SECONDS", 0.05, raising=False)
    emu = emulator(_scenario(2.1), api_key=API_KEY)
    emu.logstore.raw_pushes = True
    result = _run(emu)

    assert result.code == 0
    for half in ("HUNTER2-S", "PLIT-SECRET-77", "HUNT", "ER2-SPLIT-SEC", "RET-77"):
        assert half not in result.stderr, half
    lines = result.stderr_lines
    start = lines.index("--- step: Deploy ---")
    assert lines[start + 1 : start + 3] == ["deploying with token ***…", "… done"]


def test_a_piece_at_the_end_of_a_step_is_its_last_line(
    emulator: Callable[..., Emulator],
) -> None:
    """A step whose last push has no line ending: the line is shown when the step ends,
    before the next step's banner, not lost and not held for ever."""
    scenario = _scenario(0.5)
    scenario["pipelines"]["split/run"]["steps"][1]["lines"] = ["last words, no end"]
    emu = emulator(scenario, api_key=API_KEY)
    emu.logstore.raw_pushes = True
    result = _run(emu)

    lines = result.stderr_lines
    start = lines.index("--- step: Deploy ---")
    assert lines[start + 1 : start + 3] == ["last words, no end", "--- step: End ---"]
