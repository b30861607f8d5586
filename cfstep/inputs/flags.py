"""The command line: one flag per input of `cfstep.inputs.options.OPTIONS`, parsed by argparse.

Imported only when there are arguments; a pipeline step passes its inputs as environment
variables and runs with none, so it never pays for argparse (docs/performance.md).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from cfstep.errors import InputError
from cfstep.inputs.options import OPTIONS, Kind, Option

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from typing import Any, NoReturn


def parse_flags(argv: Sequence[str]) -> dict[str, Any]:
    """The flags given, by environment name (None where absent); InputError on a bad one."""
    return vars(build_parser().parse_args(list(argv)))


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad flag is an InputError (exit 5), not argparse's exit 2."""

    def error(self, message: str) -> NoReturn:
        # argparse echoes the arguments it did not recognise, and one may carry a secret
        # (`--secrets=TOKEN=…`, `--apikey KEY`, a misspelt -S): show the flags only, up to
        # an `=`, and no value at all (README, "Safety").
        head, sep, rest = message.partition("unrecognized arguments: ")
        if sep:
            message = head + sep + " ".join(_hide_values(rest.split(" ")))
        raise InputError(f"command line: {message} — see `cfstep --help`")


def _hide_values(args: list[str]) -> list[str]:
    """Unknown flags up to an `=`; a word after an unknown flag may be its value (a key)
    and is hidden; an extra word on its own (a second pipeline) is shown."""
    shown = []
    after_flag = False
    for arg in args:
        if arg.startswith("-") and len(arg) > 1:
            shown.append(arg.partition("=")[0] + ("=…" if "=" in arg else ""))
            after_flag = "=" not in arg
        else:
            shown.append("(its value, hidden)" if after_flag else arg)
            after_flag = False
    return shown


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """argparse makes a formatter for every add_argument; the stock one imports shutil (and
    with it bz2 and lzma) only to ask the terminal's width, on every start (docs/performance.md)."""

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


class _Version(argparse.Action):
    """argparse's version action, but the version is read (from the installed metadata) only
    when --version is given, not on every start that has arguments."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        import cfstep  # the version is read only when --version is given

        print(f"cfstep {cfstep.__version__}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cfstep",
        description="Trigger a Codefresh pipeline, follow the child build, export its outputs. "
        "Every option is also read from the environment variable shown in brackets; "
        "a flag wins over the environment.",
        allow_abbrev=False,
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action=_Version, help="show the version and exit")
    for option in OPTIONS:
        _add(parser, option)
    return parser


def _add(parser: argparse.ArgumentParser, option: Option) -> None:
    default = f"; default {option.default}" if option.default is not None else ""
    choices = f" ({'|'.join(option.choices)})" if option.choices else ""
    help_text = f"{option.help}{choices} [{option.env}{default}]"
    if option.positional:
        parser.add_argument("positional_pipeline", nargs="?", metavar="PIPELINE", help=help_text)
    if option.kind is Kind.BOOL:
        # --no-X turns off what is on by default, or on by default in some runs (no default)
        action: Any = "store_true" if option.default == "false" else argparse.BooleanOptionalAction
        parser.add_argument(
            *option.flags, dest=option.env, action=action, default=None, help=help_text
        )
    elif option.kind.repeats:
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
