"""The live log path under faults: whatever the log stream does (cut, silent, unreadable,
huge, cancelled, refused), the step ends when its child does or at its deadline, with the
child's exit code, one line saying live logs stopped at most, and no credential of the log
store (its token, its address) in any output.

Each case runs in a thread that must end within HANG_SECONDS of real time: a case that
hangs fails rather than blocking the suite.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from cfstep.emulator import Emulator, LogFault
from cfstep.logs import stream as logstream
from fakeclock import FakeClock
from harness import Figures, MatrixRow, Result, base_env, find_leaks

HANG_SECONDS = 60.0
FAULTS = [
    "drop",
    "stall",
    "garbage",
    "huge",
    "no_keepalive",
    "cancel",
    "auth_revoked",
    "bad_token",
    "redirect",
]
# pipeline, extra inputs, the exit code its child decides
CHILDREN: dict[str, tuple[str, dict[str, str], int]] = {
    "succeeds": ("proj/ok", {}, 0),
    "fails": ("proj/fail", {}, 1),
    "outlives the deadline": ("proj/slow", {"TIMEOUT_MINS": "0.05"}, 3),
}


@pytest.fixture(autouse=True)
def quick_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    """Silence is noticed after 0.3 s (not 60) and the drain lasts 1 s (not 5): the same
    paths, in a fraction of the time."""
    monkeypatch.setattr(logstream, "SILENCE_SECONDS", 0.3)
    monkeypatch.setattr(logstream, "DRAIN_SECONDS", 1.0)


def _run_bounded(run: Callable[..., Result], env: dict[str, str]) -> Result:
    done: dict[str, Any] = {}

    def target() -> None:
        try:
            done["result"] = run(**env)
        except BaseException as exc:  # handed to the test thread
            done["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(HANG_SECONDS)
    assert not thread.is_alive(), "the step hung on a faulty log stream"
    if "error" in done:
        raise done["error"]
    result: Result = done["result"]
    return result


@pytest.mark.parametrize("child", list(CHILDREN))
@pytest.mark.parametrize("fault", FAULTS)
def test_a_faulty_log_stream_never_hangs_nor_decides_the_exit_code(
    fault: str,
    child: str,
    emu: Emulator,
    fake_clock: FakeClock,
    run: Callable[..., Result],
    figures: Figures,
) -> None:
    pipeline, extra, code = CHILDREN[child]
    emu.add_log_fault(LogFault(fault, after=1, times=-1))
    started = fake_clock.now()
    passed = False
    try:
        res = _run_bounded(run, base_env(emu, PIPELINE_ID=pipeline, **extra))
        assert res.code == code, res.stderr
        assert sum(line.startswith("live logs stopped") for line in res.stderr.splitlines()) <= 1
        if code == 3:
            assert fake_clock.now() - started <= 0.05 * 60 + 20  # the deadline, then terminate
        credentials = {t for r in emu.logstore.recorded() for t in r.query.get("auth", [])}
        credentials.add(emu.logstore.url)
        assert not find_leaks(res.texts, sorted(credentials))
        figures.counts["log stream faults"] += 1
        passed = True
    finally:
        figures.matrix.append(
            MatrixRow(f"log stream: {child}", fault, f"exit {code}", passed, 1, 0)
        )
