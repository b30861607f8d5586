"""Every non-zero exit ends with one closing line on stderr that says what happened, then
what to do: `cfstep: <what happened> — <what to do>` (README, "Exit codes")."""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Callable

import pytest

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import API_KEY, Result, base_env, run_step

# One line: the step's prefix, what happened, an em dash, what to do.
CLOSING = re.compile(r"cfstep: \S[^\n]* — \S[^\n]*")


def _signal_at_first_wait(signum: int) -> Callable[[int], None]:
    def send(n: int) -> None:
        if n == 1:
            os.kill(os.getpid(), signum)

    return send


def _bug(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError(f"a bug, with the key {API_KEY} in its message")


CASES: dict[int, dict[str, str]] = {
    1: {"PIPELINE_ID": "proj/fail", "LOG_TAIL": "0"},
    2: {"PIPELINE_ID": "proj/terminated"},
    3: {"PIPELINE_ID": "proj/slow", "TIMEOUT_MINS": "0.1"},
    4: {"PIPELINE_ID": "proj/no-such-pipeline"},
    5: {"PIPELINE_ID": "proj/ok", "DETACH": "ture"},
    70: {"PIPELINE_ID": "proj/ok"},
    130: {"PIPELINE_ID": "proj/slow"},
    143: {"PIPELINE_ID": "proj/slow"},
}


def _run(code: int, emu: Emulator, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Result:
    on_sleep = None
    if code == 70:
        monkeypatch.setattr("cfstep.run.follow.Follower._observe", _bug)
    if code in (130, 143):
        on_sleep = _signal_at_first_wait(signal.SIGINT if code == 130 else signal.SIGTERM)
    return run_step(emu, base_env(emu, **CASES[code]), clock=clock, on_sleep=on_sleep)


@pytest.mark.parametrize("code", sorted(CASES))
def test_the_last_line_says_what_happened_and_what_to_do(
    code: int, emu: Emulator, fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _run(code, emu, fake_clock, monkeypatch)

    assert result.code == code, result.stderr
    assert result.stderr.endswith("\n")
    closing = result.stderr.splitlines()[-1]
    assert CLOSING.fullmatch(closing), closing
