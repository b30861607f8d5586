"""The command line: one flag per input of `cfstep.inputs.OPTIONS`, parsed by argparse.

Imported only when there are arguments; a pipeline step passes its inputs as environment
variables and runs with none, so it never pays for argparse (issue 5).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from cfstep import __version__
from cfstep.errors import InputError
from cfstep.inputs import OPTIONS, Option

TYPE_CHECKING = False  # not from typing: a run never imports typing (issue 5)
if TYPE_CHECKING:
    from typing import Any, NoReturn


def parse_flags(argv: Sequence[str]) -> dict[str, Any]:
    """The flags given, by environment name (None where absent); InputError on a bad one."""
    return vars(build_parser().parse_args(list(argv)))


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad flag is an InputError (exit 5), not argparse's exit 2."""

    def error(self, message: str) -> NoReturn:
        # argparse echoes the arguments it did not recognise, and one may carry a secret
        # (`--secrets=TOKEN=…`, a misspelt -S): show what stands before an `=` (SPEC §8).
        head, sep, rest = message.partition("unrecognized arguments: ")
        if sep:
            shown = [a.partition("=")[0] + ("=…" if "=" in a else "") for a in rest.split()]
            message = head + sep + " ".join(shown)
        raise InputError(f"command line: {message} — see `cfstep --help`")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """argparse makes a formatter for every add_argument; the stock one imports shutil (and
    with it bz2 and lzma) only to ask the terminal's width, on every start (issue 5)."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=_terminal_columns() - 2)  # -2: as argparse does


def _terminal_columns() -> int:
    """What shutil.get_terminal_size() gives: $COLUMNS, else the terminal's width, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cfstep",
        description="Trigger a Codefresh pipeline, follow the child build, export its outputs. "
        "Every option is also read from the environment variable shown in brackets; "
        "a flag wins over the environment.",
        allow_abbrev=False,
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"cfstep {__version__}")
    for option in OPTIONS:
        _add(parser, option)
    return parser


def _add(parser: argparse.ArgumentParser, option: Option) -> None:
    default = f"; default {option.default}" if option.default is not None else ""
    choices = f" ({'|'.join(option.choices)})" if option.choices else ""
    help_text = f"{option.help}{choices} [{option.env}{default}]"
    if option.positional:
        parser.add_argument("positional_pipeline", nargs="?", metavar="PIPELINE", help=help_text)
    if option.kind == "bool":
        # --no-X turns off what is on by default, or on by default in some runs (no default)
        action: Any = "store_true" if option.default == "false" else argparse.BooleanOptionalAction
        parser.add_argument(
            *option.flags, dest=option.env, action=action, default=None, help=help_text
        )
    elif option.kind in ("list", "pairs", "conditions"):
        parser.add_argument(
            *option.flags,
            dest=option.env,
            action="append",
            default=None,
            metavar="VALUE",
            help=help_text,
        )
    else:
        parser.add_argument(
            *option.flags, dest=option.env, default=None, metavar="VALUE", help=help_text
        )
