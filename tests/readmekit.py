"""Reading the README and docs/ as a reader's tools do, and running their shell blocks.

- `blocks(text)`: the fenced code blocks, each with the headings it sits under;
- `headings(text)` and `anchor(heading)`: the headings outside code blocks and the anchors
  GitHub gives them (`## Monorepos: only what changed` → `#monorepos-only-what-changed`);
- `run_block(...)`: a README `sh` block run by bash, as a reader pastes it, with the lines
  that ask the reader for a value (`export CF_API_KEY=<your API key>`) left to the test;
- `ended(pid, within=…)`: whether a process the README started in the background is gone.

Import it by name, like `harness`: `from readmekit import README, blocks`.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

_FENCE = re.compile(r"^```(\S*)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)
_HEADING = re.compile(r"^(#{1,6}) (.+)$", re.MULTILINE)
# A line that asks the reader for a value: `export NAME=<what to put here>   # comment`.
_PLACEHOLDER = re.compile(r"^export ([A-Z_]+)=<[^>\n]+>(?:\s+#.*)?$")


@dataclass(frozen=True)
class Block:
    """A fenced code block: its language, its text, and the headings above it."""

    lang: str
    text: str
    section: str  # the `##` heading it sits under ("" above the first one)
    subsection: str  # the `###` heading under that section ("" when none)


def outside_code(text: str) -> str:
    """The text with every fenced block blanked out, every offset kept."""
    return _FENCE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def headings(text: str) -> list[tuple[int, str]]:
    """(level, title) of every heading outside code blocks, in order."""
    return [(level, title) for _, level, title in _placed_headings(text)]


def _placed_headings(text: str) -> list[tuple[int, int, str]]:
    """(offset, level, title) of every heading outside code blocks."""
    return [(m.start(), len(m[1]), m[2].strip()) for m in _HEADING.finditer(outside_code(text))]


def anchor(title: str) -> str:
    """The anchor GitHub makes of a heading: lower case, punctuation dropped, spaces → `-`."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every anchor of a document; a repeated heading gets `-1`, `-2`, … as on GitHub."""
    seen: dict[str, int] = {}
    found = set()
    for _, title in headings(text):
        base = anchor(title)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def blocks(text: str) -> list[Block]:
    placed = _placed_headings(text)
    found = []
    for match in _FENCE.finditer(text):
        section = subsection = ""
        for offset, level, title in placed:
            if offset > match.start():
                break
            if level == 2:
                section, subsection = title, ""
            elif level == 3:
                subsection = title
        found.append(Block(match[1], match[2], section, subsection))
    return found


def sh_blocks(section: str, subsection: str = "") -> list[str]:
    """The README's `sh` blocks under one heading, in order."""
    return [
        b.text
        for b in blocks(README)
        if b.lang == "sh" and (b.section, b.subsection) == (section, subsection)
    ]


def placeholders(block: str) -> dict[str, str]:
    """The lines of a block that ask the reader for a value, by the name they set."""
    return {m[1]: m[0] for line in block.splitlines() if (m := _PLACEHOLDER.match(line))}


@dataclass(frozen=True)
class Ran:
    code: int
    stdout: str
    stderr: str
    emulator_pid: int | None  # CFSTEP_EMULATOR_PID as the block left it
    emulator_left_running: bool  # the block did not stop it (this module did)


def run_block(
    block: str, *, cwd: Path, env: Mapping[str, str], given: set[str], timeout: float
) -> Ran:
    """The block run by bash (`set -e`: the first failing command ends it), in `cwd`, with
    `env`. Each line asking for a value must set one of `given`, a name `env` holds: that
    line is left out. An emulator the block started and did not stop is stopped here."""
    asked = placeholders(block)
    assert set(asked) <= given, f"the README asks for {sorted(set(asked) - given)}"
    lines = [line for line in block.splitlines() if line not in asked.values()]
    pid_file = cwd / ".cfstep-emulator-pid"
    pid_file.unlink(missing_ok=True)
    script = "\n".join(
        [
            "set -eo pipefail",
            f"trap 'echo \"${{CFSTEP_EMULATOR_PID:-}}\" > {pid_file}' EXIT",
            *lines,
        ]
    )
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    left = pid_file.read_text().strip() if pid_file.exists() else ""
    pid_file.unlink(missing_ok=True)
    pid = int(left) if left else None
    left_running = pid is not None and not ended(pid, within=5.0)
    if pid is not None and left_running:
        os.kill(pid, signal.SIGKILL)
    return Ran(done.returncode, done.stdout, done.stderr, pid, left_running)


def ended(pid: int, *, within: float) -> bool:
    """Whether the process is gone (or a zombie waiting to be reaped) within `within` s."""
    give_up = time.monotonic() + within
    while True:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            return True
        if stat.rpartition(")")[2].split()[0] == "Z":
            return True
        if time.monotonic() > give_up:
            return False
        time.sleep(0.05)
