"""The README is part of the contract: its inputs table and exit codes match the program."""

from __future__ import annotations

import re
from pathlib import Path

from cfstep.options import ENV_NAMES, OPTIONS

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
    codes = set(re.findall(r"^\| (\d+(?: / \d+)?) \|", README, re.MULTILINE))
    assert {"0", "1", "2", "3", "4", "5", "70", "130 / 143"} <= codes
