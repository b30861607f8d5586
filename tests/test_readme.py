"""The README is part of the contract: its inputs table and exit codes match the program."""

from __future__ import annotations

import re
from pathlib import Path

from cfstep.inputs.options import ENV_NAMES, OPTIONS
from cfstep.model import ExitCode, Outcome

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_the_inputs_table_lists_every_input_with_its_flags_and_default() -> None:
    inputs = README[README.index("## Inputs") : README.index("## Outputs")]
    rows = {m[1]: m[0] for m in re.finditer(r"^\| `([A-Z_]+)` \|.*$", inputs, re.MULTILINE)}
    assert set(rows) >= set(ENV_NAMES)
    for option in OPTIONS:
        row = rows[option.env]
        for flag in option.flags:
            assert f"`{flag}`" in row, (option.env, flag)
        if option.default is not None:
            assert f"| {option.default} |" in row, option.env


def test_the_exit_code_table_has_every_code_the_program_uses() -> None:
    """Every ExitCode has a row (130 and 143 share one), and no row names another code."""
    table = README[README.index("## Exit codes") :]
    table = table[: table.index("\n## ")]
    rows = re.findall(r"^\| (\d+(?: / \d+)?) \|", table, re.MULTILINE)
    codes = {int(code) for row in rows for code in row.split(" / ")}
    assert codes == {int(code) for code in ExitCode}


def test_the_outputs_table_lists_every_build_status() -> None:
    row = re.search(r"^\| `BUILD_STATUS` \|(.*)$", README, re.MULTILINE)
    assert row is not None
    assert {str(outcome) for outcome in Outcome} <= set(re.findall(r"[a-z-]+", row[1]))
