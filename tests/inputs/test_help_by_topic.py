"""`cfstep --help` reads by topic: groups from the option table, meaningful value names, the
switches that turn a default off, and the exit codes at the end."""

from __future__ import annotations

import contextlib
import io
import re

import pytest

from cfstep import cli
from cfstep.inputs import flags
from cfstep.inputs.kinds import GROUPS, Kind
from cfstep.inputs.options import OPTIONS
from cfstep.model import ExitCode


@pytest.fixture(scope="module")
def help_text() -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        flags.build_parser().parse_args(["--help"])
    return out.getvalue()


def _section(help_text: str, title: str) -> str:
    start = help_text.index(f"\n{title}:\n")
    end = help_text.find("\n\n", start + 1)
    return help_text[start:end]


def test_every_option_names_a_group_of_help() -> None:
    assert {option.group for option in OPTIONS} <= set(GROUPS)


def test_the_groups_come_in_their_order(help_text: str) -> None:
    shown = [g for g in GROUPS if f"\n{g}:\n" in help_text]
    positions = [help_text.index(f"\n{g}:\n") for g in shown]
    assert positions == sorted(positions)
    assert {"what to run", "conditions", "waiting for the child", "several children"} <= set(shown)
    assert {"pipeline specs", "Codefresh and the network", "output"} <= set(shown)


@pytest.mark.parametrize("option", OPTIONS, ids=lambda o: o.env)
def test_each_option_is_listed_under_its_group(help_text: str, option: object) -> None:
    assert option.flags[-1] in _section(help_text, option.group)  # type: ignore[attr-defined]


def test_values_have_meaningful_names(help_text: str) -> None:
    assert " VALUE" not in help_text
    for flag, metavar in [
        ("--timeout-mins", "MINUTES"),
        ("--variable", "KEY=VALUE"),
        ("--when", "EXPR"),
        ("--pipeline-spec", "PATH|GLOB"),
        ("--on-timeout", "fail|terminate|detach"),
        ("--url", "URL"),
    ]:
        assert f"{flag} {metavar}" in help_text


@pytest.mark.parametrize(
    "switch", ["--no-propagate-failure", "--no-fail-fast", "--no-terminate-on-cancel"]
)
def test_the_switches_that_turn_a_default_off_are_shown(help_text: str, switch: str) -> None:
    assert f", {switch}\n" in help_text
    assert f"({switch}: " in " ".join(help_text.split())  # and what it does


def test_the_exit_codes_end_the_help(help_text: str) -> None:
    tail = help_text[help_text.index("\nexit codes:\n") :]
    codes = {int(c) for c in re.findall(r"^  (\d+)", tail, re.MULTILINE)}
    codes |= {int(c) for c in re.findall(r", (\d+) ", tail)}
    assert codes == {int(code) for code in ExitCode}


def test_usage_is_one_short_line(help_text: str) -> None:
    assert help_text.startswith("usage: cfstep [OPTIONS] [PIPELINE]\n\n")


@pytest.mark.parametrize("argv", [["-V"], ["--version"]])
def test_the_version(argv: list[str]) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(argv, {}) == 0
    assert re.fullmatch(r"cfstep \d+\.\d+\.\d+\S*\n", out.getvalue())


@pytest.mark.parametrize(
    ("argv", "meant"),
    [
        (["--brnach", "main"], "did you mean --branch?"),
        (["--timeout", "30"], "did you mean --timeout-mins?"),
        (["--pipline", "a/b"], "did you mean --pipeline?"),
        (["--no-fail-fst"], "did you mean --no-fail-fast?"),
        (["--secrets=TOKEN=hunter2"], "did you mean --secret?"),
        (["--brnach", "x", "--dry-rn"], "did you mean --branch for --brnach, --dry-run for"),
        (["--zzzz-unheard-of"], "— see `cfstep --help`"),
    ],
)
def test_a_misspelt_flag_suggests_the_nearest(argv: list[str], meant: str) -> None:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = cli.main(argv, {"CF_API_KEY": "k" * 57})
    assert code == 5
    (line,) = err.getvalue().splitlines()
    assert line.startswith("cfstep: command line: unrecognized arguments: ")
    assert meant in line
    assert "hunter2" not in line


def test_every_kind_of_value_has_a_name() -> None:
    unnamed = [o.env for o in OPTIONS if o.kind is not Kind.BOOL and o.metavar is None]
    assert unnamed == []
