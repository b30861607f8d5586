"""docs/transcript.md is what a user sees: each `$ command` of it runs here through the real
entrypoint against the emulator's demo scenario, and prints exactly the output written
under it, once what must vary from run to run is named the same way on both sides:

- build ids (24 hex digits) become `<id1>`, `<id2>`, … in the order they first appear;
- request ids (`reqId`, a UUID) become `<reqId1>`, …;
- the emulator's address (`http://127.0.0.1:<port>`) becomes `<emulator>`.

Anything else that changes in the output fails with a diff. Waits take no time: the
emulator and the step share a fake clock that moves in small steps and lets the live log
catch up after each, so a line the child wrote before a poll is printed before the status
line of that poll, as on a terminal, in the same order on every run.
"""

from __future__ import annotations

import difflib
import io
import re
import shlex
import sys
import time
from dataclasses import dataclass

import pytest

from cfstep.emulator import Emulator
from cfstep.emulator.__main__ import demo_scenario
from fakeclock import FakeClock
from harness import run_step
from readmekit import ROOT, blocks, headings

TRANSCRIPT = ROOT / "docs" / "transcript.md"
COLUMNS = "100"  # the terminal's width the help is written for
_EXIT = re.compile(r"\(exit (\d+)\)$")
_ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_BUILD_ID = re.compile(r"\b[0-9a-f]{24}\b")


@dataclass(frozen=True)
class Shown:
    """One `$ command` of the transcript and what it shows."""

    title: str
    command: str
    output: str
    code: int


def shown() -> list[Shown]:
    text = TRANSCRIPT.read_text(encoding="utf-8")
    consoles = [b for b in blocks(text) if b.lang == "console"]
    titles = [title for level, title in headings(text) if level == 2]
    assert len(titles) == len(consoles), "one ```console block under each `##` heading"
    found = []
    for title, block in zip(titles, consoles, strict=True):
        first, _, output = block.text.partition("\n")
        assert first.startswith("$ "), f"{title}: the block starts with `$ command`"
        code = _EXIT.search(title)
        assert code is not None, f"{title}: the heading ends with its exit code, `(exit N)`"
        found.append(Shown(title, first[2:], output, int(code[1])))
    return found


def normalised(text: str) -> str:
    """What must vary, named alike on both sides: the emulator's address, then request ids
    and build ids by order of appearance."""
    text = re.sub(r"http://127\.0\.0\.1:\d+", "<emulator>", text)
    return _in_order(_BUILD_ID, "id", _in_order(_UUID, "reqId", text))


def _in_order(pattern: re.Pattern[str], kind: str, text: str) -> str:
    """Each distinct match of `pattern` becomes `<kind1>`, `<kind2>`, … as it first appears."""
    order: dict[str, str] = {}
    return pattern.sub(lambda m: order.setdefault(m[0], f"<{kind}{len(order) + 1}>"), text)


class SettlingClock(FakeClock):
    """The fake clock of one run whose waits move time in steps of STEP seconds; after
    each, the live log is given time (real time, bounded) to print every line the emulator
    has written by then, so the order of the output does not depend on thread timing."""

    STEP = 0.1
    PATIENCE = 10.0  # seconds of real time for all the waits of one run

    def __init__(self, *, follows_logs: bool) -> None:
        super().__init__()
        self.emulator: Emulator | None = None
        self._follows_logs = follows_logs
        self._patience = self.PATIENCE

    def sleep(self, seconds: float) -> None:
        left = max(seconds, 0.0)
        while True:
            step = min(self.STEP, left)
            super().sleep(step)
            left -= step
            self._settle()
            if left <= 0:
                return

    def _settle(self) -> None:
        started = time.monotonic()
        while self._patience > 0 and not self._caught_up():
            time.sleep(0.002)
            self._patience -= time.monotonic() - started
            started = time.monotonic()

    def _caught_up(self) -> bool:
        """The live log of every build the step has polled is open, and every line written
        by now is on stderr (the step's: run_step captures it in sys.stderr
        while the step runs)."""
        if self.emulator is None or not self._follows_logs:
            return True
        assert isinstance(sys.stderr, io.StringIO)
        printed = sys.stderr.getvalue()
        asked = {r.path for r in self.emulator.requests}
        streamed = {r.path for r in self.emulator.logstore.recorded()}
        for build in self.emulator.builds.values():
            if f"/api/builds/{build.id}" not in asked:
                continue  # not polled yet: its live log starts once a poll gives the progress
            if not any(build.progress in path for path in streamed):
                return False
            for step in self.emulator.logstore.steps_of(build.progress) or []:
                lines = [f"--- step: {step.name} ---", *step.spec.lines[: step.written]]
                if any(line not in printed for line in lines):
                    return False
        return True


def run(entry: Shown, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    """The command through the real entrypoint, against the demo scenario: its exit code
    and what it printed (stdout, then stderr: each command here writes to one of them)."""
    words = shlex.split(entry.command)
    given = {}
    while words and _ASSIGNMENT.match(words[0]):
        name, _, value = words.pop(0).partition("=")
        given[name] = value
    assert words[0] == "cfstep", entry.command
    monkeypatch.setenv("COLUMNS", COLUMNS)
    clock = SettlingClock(follows_logs="--no-follow-logs" not in words)
    with Emulator(demo_scenario(), clock=clock) as emu:
        clock.emulator = emu
        # A shell on a laptop after the quick start's eval: CF_URL and CF_API_KEY, no volume.
        env = {"CF_URL": emu.url, "CF_API_KEY": emu.api_key, "CF_VOLUME_PATH": "", **given}
        result = run_step(emu, env, words[1:], clock)
    assert not (result.stdout and result.stderr), "both streams: their order is not known"
    return result.code, result.stdout + result.stderr


def test_the_transcript_shows_the_four_commands() -> None:
    commands = [entry.command for entry in shown()]
    assert commands[0] == "cfstep --help"
    assert [entry.code for entry in shown()] == [0, 0, 1, 0]  # help, success, failure, skip
    assert "--no-follow-logs" in commands[2]  # the failure's log tail, not its live log
    assert "--when" in commands[3]


@pytest.mark.parametrize("entry", shown(), ids=lambda e: e.title)
def test_each_command_prints_what_the_transcript_shows(
    entry: Shown, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output = run(entry, monkeypatch)
    expected, actual = normalised(entry.output), normalised(output)
    diff = "\n".join(
        difflib.unified_diff(
            expected.splitlines(), actual.splitlines(), "docs/transcript.md", "cfstep", lineterm=""
        )
    )
    assert actual == expected, f"{entry.command}\n{diff}"
    assert code == entry.code
