"""The command line: one flag per input of `cfstep.inputs.options.OPTIONS`, parsed by argparse.

Imported only when there are arguments; a pipeline step passes its inputs as environment
variables and runs with none, so it never pays for argparse (docs/performance.md).
"""

from __future__ import annotations

import argparse
import os
import sys

from cfstep.errors import InputError
from cfstep.inputs.kinds import GROUPS, Kind
from cfstep.inputs.options import OPTIONS

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, NoReturn

    from cfstep.inputs.kinds import Option


def parse_flags(argv: Sequence[str]) -> dict[str, Any]:
    """The flags given, by environment name (None where absent); InputError on a bad one."""
    return vars(build_parser().parse_args(list(argv)))


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad flag is an InputError (exit 5), not argparse's exit 2."""

    def error(self, message: str) -> NoReturn:
        # argparse echoes the arguments it did not recognise, and one may carry a secret
        # (`--secrets=TOKEN=…`, `--apikey KEY`, a misspelt -S): show the flags only, up to
        # an `=`, and no value at all (docs/safety.md).
        head, sep, rest = message.partition("unrecognized arguments: ")
        fix = "see `cfstep --help`"
        if sep:
            unknown = rest.split(" ")
            message = head + sep + " ".join(_hide_values(unknown))
            fix = _suggestion(unknown) or fix
        raise InputError(f"command line: {message} — {fix}")


def _suggestion(unknown: list[str]) -> str:
    """`did you mean --branch?` for the nearest known flag of each misspelt one."""
    known = [flag for option in OPTIONS for flag in _all_flags(option) if flag.startswith("--")]
    pairs = []
    for arg in unknown:
        if arg.startswith("--"):
            given = arg.partition("=")[0]
            nearest = _nearest(given, known)
            if nearest:
                pairs.append((given, nearest))
    if not pairs:
        return ""
    if len(pairs) == 1:
        return f"did you mean {pairs[0][1]}? (`cfstep --help` lists every flag)"
    meant = ", ".join(f"{nearest} for {given}" for given, nearest in pairs)
    return f"did you mean {meant}? (`cfstep --help` lists every flag)"


def _nearest(given: str, known: list[str]) -> str | None:
    """The known flag a misspelt one most likely meant: the only flag it begins
    (`--timeout` → `--timeout-mins`), else the closest spelling (`--brnach` → `--branch`)."""
    import difflib  # only for a misspelt flag

    starting = [flag for flag in known if flag.startswith(given) and len(given) > 3]
    if len(starting) == 1:
        return starting[0]
    close = difflib.get_close_matches(given, known, n=1, cutoff=0.75)
    return close[0] if close else None


def _all_flags(option: Option) -> list[str]:
    """The option's flags, and the `--no-` form of a switch that is on by default."""
    if option.kind is Kind.BOOL and option.default != "false":
        return [*option.flags, *(f"--no-{f[2:]}" for f in option.flags if f.startswith("--"))]
    return list(option.flags)


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

    def _split_lines(self, text: str, width: int) -> list[str]:
        """As argparse wraps, but never inside a flag: `--no-propagate-failure` stays whole."""
        import textwrap  # only for --help, as argparse's own wrapping

        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)


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


_USAGE = "cfstep [OPTIONS] [PIPELINE]"
_DESCRIPTION = """\
Trigger a Codefresh pipeline, follow the child build to its end, and export its id, URL,
status and returned values to later steps. Every option is also read from the environment
variable in brackets (how a Codefresh step passes arguments); a flag wins over it."""
EXIT_CODES = (
    ("0", "the child succeeded; or skipped, detached, or PROPAGATE_FAILURE=false"),
    ("1", "the child failed (error, or a final status cfstep does not know)"),
    ("2", "the child was terminated (or ON_APPROVAL=fail met an approval)"),
    ("3", "the wait timed out (ON_TIMEOUT fail or terminate)"),
    ("4", "the Codefresh API refused or could not be reached"),
    ("5", "invalid input (a flag, value, condition or file); nothing was sent"),
    ("70", "a bug in cfstep (the traceback is printed)"),
    ("130, 143", "stopped by SIGINT, SIGTERM (the child terminated first)"),
)
"""`--help`'s last section: the README's exit codes, one line each."""


def _epilog() -> str:
    rows = "\n".join(f"  {code:<9} {meaning}" for code, meaning in EXIT_CODES)
    return f"exit codes:\n{rows}\n\nREADME: how each input is read, outputs, examples."


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cfstep",
        usage=_USAGE,
        description=_DESCRIPTION,
        epilog=_epilog(),
        allow_abbrev=False,
        formatter_class=_Formatter,
    )
    parser.add_argument("-V", "--version", action=_Version, help="show the version and exit")
    groups = {name: parser.add_argument_group(name) for name in GROUPS}
    for option in OPTIONS:
        _add(groups[option.group], option)
    return parser


def _add(group: argparse._ArgumentGroup, option: Option) -> None:
    default = f"; default {option.default}" if option.default is not None else ""
    listed = option.choices and "|" not in (option.metavar or "")
    choices = f" ({'|'.join(option.choices)})" if listed else ""
    repeat = " (repeat)" if option.kind.repeats else ""
    help_text = f"{option.help}{choices}{repeat} [{option.env}{default}]"
    metavar = option.metavar or "VALUE"
    if option.positional:
        group.add_argument("positional_pipeline", nargs="?", metavar="PIPELINE", help=help_text)
    if option.kind is Kind.BOOL:
        # --no-X turns off what is on by default, or on by default in some runs (no default)
        action: Any = "store_true" if option.default == "false" else argparse.BooleanOptionalAction
        group.add_argument(
            *option.flags, dest=option.env, action=action, default=None, help=help_text
        )
    elif option.kind.repeats:
        group.add_argument(
            *option.flags,
            dest=option.env,
            action="append",
            default=None,
            metavar=metavar,
            help=help_text,
        )
    else:
        group.add_argument(
            *option.flags, dest=option.env, default=None, metavar=metavar, help=help_text
        )
