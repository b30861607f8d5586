"""YAML that would expand or nest without end: exit 5 with one short line, nothing sent.

A VARIABLE_FILE may come from a pull request; a "billion laughs" file of a few hundred bytes
expands to 9^9 items, and thousands of `[` nest deeper than any parser's recursion. Both are
refused while the document is read (docs/safety.md), through the real entrypoint here.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import base_env, run_step

LEVELS = "abcdefghi"


def billion_laughs() -> str:
    """Nine anchors, each a list of nine aliases of the one before: 342 bytes, 9^9 items
    expanded."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for before, name in itertools.pairwise(LEVELS):
        lines.append(f"{name}: &{name} [{','.join([f'*{before}'] * 9)}]")
    return "\n".join(lines) + "\n"


def deep_list(depth: int = 50_000) -> str:
    return "[" * depth + "]" * depth


def deep_map(depth: int = 20_000) -> str:
    return "{a: " * depth + "1" + "}" * depth


def _run(emu: Emulator, clock: FakeClock, **env: str) -> list[str]:
    """Run with `env`; assert exit 5, nothing sent, no output but one line; return it."""
    environ = base_env(emu, PIPELINE_ID="proj/ok", **env)
    if "PIPELINES" in env:
        del environ["PIPELINE_ID"]
    result = run_step(emu, environ, clock=clock)
    assert result.code == 5, result.stderr
    assert emu.requests == []
    assert len(result.stderr_lines) == 1, result.stderr[:2000]
    assert result.stdout == ""
    assert "BUILD_ID" not in result.exports
    return result.stderr_lines


def test_an_alias_bomb_in_variable_file_is_exit_5(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    bomb = tmp_path / "vars.yaml"
    bomb.write_text(billion_laughs(), encoding="utf-8")

    (line,) = _run(emu, fake_clock, VARIABLE_FILE=str(bomb))

    assert line.startswith(f"cfstep: VARIABLE_FILE: {bomb} uses YAML aliases")
    assert " — " in line
    assert "lol" not in line  # the expanded structure is never rendered
    assert len(line) < 300


def test_an_alias_bomb_in_condition_all_is_exit_5(emu: Emulator, fake_clock: FakeClock) -> None:
    (line,) = _run(emu, fake_clock, CONDITION_ALL=billion_laughs())

    assert line.startswith("cfstep: CONDITION_ALL: the value uses YAML aliases")
    assert len(line) < 300


@pytest.mark.parametrize(
    ("name", "text"),
    [
        pytest.param("VARIABLE", deep_list(), id="variable-list"),
        pytest.param("SECRETS", deep_list(), id="secrets-list"),
        pytest.param("CONDITION_ALL", deep_list(), id="condition-all-list"),
        pytest.param("CONDITION_ALL", deep_map(), id="condition-all-map"),
        pytest.param("PIPELINES", deep_list(), id="pipelines-list"),
    ],
)
def test_deep_nesting_is_exit_5_not_a_crash(
    emu: Emulator, fake_clock: FakeClock, name: str, text: str
) -> None:
    (line,) = _run(emu, fake_clock, **{name: text})

    assert line.startswith(f"cfstep: {name}: the value is nested more than 64 levels deep")


def test_deep_nesting_in_variable_file_is_exit_5(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    deep = tmp_path / "vars.json"
    deep.write_text(deep_list(), encoding="utf-8")

    (line,) = _run(emu, fake_clock, VARIABLE_FILE=str(deep))

    assert line.startswith(f"cfstep: VARIABLE_FILE: {deep} is nested more than 64 levels deep")


def test_anchors_within_the_budget_still_work(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """An ordinary use of anchors and merge keys is read as before."""
    ok = tmp_path / "ok.yaml"
    ok.write_text("defaults: &d x\nA: *d\nB: *d\n", encoding="utf-8")

    result = run_step(
        emu, base_env(emu, PIPELINE_ID="proj/ok", VARIABLE_FILE=str(ok)), clock=fake_clock
    )

    assert result.code == 0, result.stderr
    assert {"key": "A", "value": "x"} in result.body["variables"]
