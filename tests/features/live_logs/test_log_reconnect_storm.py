"""Whatever ends a live log's connection, the next one waits the backoff, and tokens are
asked for at most once per wait and four times in a row: a log store that answers every
connection with the tree and then `auth_revoked` drew about 4,000 token requests (each
carrying the API key) in 8 s."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cfstep.emulator import Emulator, LogFault
from cfstep.logs import stream as logstream
from cfstep.logs.reconnect import BACKOFF, IN_A_ROW, TOKENS
from fakeclock import FakeClock
from harness import API_KEY, Result, base_env, run_step

LINES = [f"build line {n}" for n in range(30)]
SCENARIO = {
    "pipelines": {
        "storm/run": {
            "timeline": [{"status": "running", "seconds": 3}],
            "final": "success",
            "steps": [{"name": "Build", "lines": LINES}],
        }
    }
}
FAULTS = {
    "tree, then auth_revoked": LogFault("auth_revoked", after=1, times=-1),
    "tree, then a drop": LogFault("drop", after=1, times=-1),
    "tree, then silence": LogFault("stall", after=1, times=-1),
    "every token refused": LogFault("bad_token", times=-1),
}


def _tokens(result: Result) -> int:
    return len(result.sent("GET", "/api/user/firebaseAuth"))


def _shown(result: Result) -> list[str]:
    return [line for line in result.stderr_lines if line.startswith("build line ")]


@pytest.mark.parametrize("fault", list(FAULTS))
def test_whatever_ends_a_connection_the_next_waits_a_backoff_step_and_tokens_are_bounded(
    fault: str,
    emulator: Callable[..., Emulator],
    fake_clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The stream's waits are recorded, not slept: the rule shows in how many
    connections and tokens each wait allows, not in seconds."""
    waits: list[float] = []
    monkeypatch.setattr(logstream.LogStream, "_wait", lambda _, s: waits.append(s), raising=False)
    monkeypatch.setattr(logstream, "SILENCE_SECONDS", 0.05)
    emu = emulator(SCENARIO, clock=fake_clock, api_key=API_KEY)
    emu.add_log_fault(FAULTS[fault])
    result = run_step(emu, base_env(emu, PIPELINE_ID="storm/run"), clock=fake_clock)

    assert result.code == 0
    connections = len(emu.logstore.recorded())
    assert 1 <= connections <= min(IN_A_ROW, 1 + len(waits)), (connections, waits)
    assert _tokens(result) <= min(TOKENS, 1 + len(waits)), (_tokens(result), waits)
    for step, wait in enumerate(waits):  # the one backoff, jittered by ±10 %
        assert 0.9 * BACKOFF.delay(step, 1.0) <= wait <= 1.1 * BACKOFF.delay(step, 1.0)
    stopped = [line for line in result.stderr_lines if line.startswith("live logs stopped")]
    assert len(stopped) <= 1
    if fault != "every token refused":
        assert _shown(result) == LINES  # the tree of the first connection, once


def test_a_stream_dropped_after_every_tree_is_reconnected_after_longer_waits(
    emulator: Callable[..., Emulator],
) -> None:
    """In real time: each connection gives the tree and is cut. Waits of 0.5 s, 1 s, 2 s
    (the last cut short when the child ends, so that its last lines come): five
    connections at most while the child's 3 s pass, where a connection that showed
    anything used to reset the wait to 0.2 s."""
    emu = emulator(SCENARIO, api_key=API_KEY)
    emu.add_log_fault(LogFault("drop", after=1, times=-1))
    result = run_step(emu, base_env(emu, PIPELINE_ID="storm/run"))

    assert result.code == 0
    assert len(emu.logstore.recorded()) <= 5
    assert _tokens(result) == 1
    assert _shown(result) == LINES


def test_the_storm_as_found_a_child_of_3_s_draws_four_tokens_not_thousands(
    emulator: Callable[..., Emulator],
) -> None:
    """In real time, as it was found: the tree and `auth_revoked` on every connection
    while the child runs. Tokens: 1 + one per wait (0.5 s, 1 s, 2 s), then live logs stop
    with one line, the lines shown once and the exit code the child's."""
    emu = emulator(SCENARIO, api_key=API_KEY)
    emu.add_log_fault(LogFault("auth_revoked", after=1, times=-1))
    result = run_step(emu, base_env(emu, PIPELINE_ID="storm/run"))

    assert result.code == 0
    assert _tokens(result) == TOKENS
    assert len(emu.logstore.recorded()) == TOKENS
    assert _shown(result) == LINES
    stopped = [line for line in result.stderr_lines if line.startswith("live logs stopped")]
    assert stopped == [
        "live logs stopped: the log store revoked a fresh token, 4 times in a row; the wait goes on"
    ]
