"""The Console: terminal safety, the closing line, durations."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cfstep.console import MASK, Console, duration, escaped, safe_for_terminal


def test_durations_read_as_people_write_them() -> None:
    assert [duration(s) for s in (1.25, 42, 185, 3725)] == ["1.2s", "42s", "3m05s", "1h02m"]


# -- terminal safety ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "printed"),
    [
        ("\x1b[1;31mred\x1b[0m", "\x1b[1;31mred\x1b[0m"),  # SGR colour: kept
        ("\x1b[38;5;208morange\x1b[m", "\x1b[38;5;208morange\x1b[m"),
        ("a\x1b]52;c;ZWNobyBwd25lZA==\x07b", "ab"),  # OSC 52: writes the clipboard
        ("a\x1b]0;title\x1b\\b", "ab"),  # OSC with ST
        ("a\x1b[2J\x1b[Hb", "ab"),  # clear the screen, cursor home
        ("a\x1b[10;5Hb\x1b[3Ac", "abc"),  # cursor moves
        ("a\x1bP1$r0m\x1b\\b", "ab"),  # DCS
        ("a\x9b2Jb\x9d0;t\x07c", "abc"),  # 8-bit CSI and OSC
        ("a\x1b7b\x1b8c\x1bc", "abc"),  # save/restore cursor, reset
        ("bell\x07 nul\x00 del\x7f", "bell\\x07 nul\\x00 del\\x7f"),
        ("lone \x1b", "lone \\x1b"),
        ("fake\rreal", "fake\\rreal"),  # a CR would overwrite the line
        ("windows\r\nline", "windows\nline"),  # a CR ending a line: dropped
        ("tab\there\nnext", "tab\there\nnext"),
        ("back\bspace", "back\\x08space"),
        ("rtl \u202e override", "rtl \\u202e override"),
        ("a\x1b]52;c;unterminated", "a52;c;unterminated"),
    ],
    ids=lambda v: repr(v)[:24],
)
def test_only_colour_reaches_the_terminal(raw: str, printed: str) -> None:
    err = io.StringIO()
    Console(err=err).say(raw)
    assert err.getvalue() == printed + "\n"


def test_every_printing_method_is_made_safe() -> None:
    out, err = io.StringIO(), io.StringIO()
    console = Console(out=out, err=err)
    console.say("a\x1b[2Jb")
    console.say_lines(["c\x1b]52;c;eA==\x07d", "e\x07"])
    console.data("f\x1b[Hg")
    assert err.getvalue() == "ab\ncd\ne\\x07\n"
    assert out.getvalue() == "fg\n"


def test_a_secret_split_by_a_dropped_sequence_is_masked() -> None:
    """Safety first, then masking: `HUN<clear line>TER2` shows as HUNTER2."""
    console = Console()
    console.add_secrets(["HUNTER2-secret"])
    assert console.mask(safe_for_terminal("x HUN\x1b[2KTER2-secret")) == f"x {MASK}"


@given(st.text())
def test_escaped_keeps_every_character_on_one_line_as_python_writes_it(text: str) -> None:
    """A file's name in the log: nothing dropped, not even a control sequence."""
    shown = escaped(text)
    assert shown.isprintable()
    assert shown == "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def test_escaped_shows_a_control_sequence_instead_of_dropping_it() -> None:
    assert escaped("a\nb\x1b[2Jc\td") == "a\\nb\\x1b[2Jc\\td"


@given(st.text())
def test_the_closing_line_is_one_printable_line(text: str) -> None:
    err = io.StringIO()
    Console(err=err).closing_line(f"cfstep: {text}")
    printed = err.getvalue()
    assert printed.endswith("\n")
    line = printed[:-1]
    assert line.isprintable(), repr(line)
    assert line.startswith("cfstep: ")


def test_the_closing_line_masks_after_escaping() -> None:
    """A multi-line secret inside a server's message: its line break is shown escaped, and
    the escaped form is still the secret."""
    err = io.StringIO()
    console = Console(err=err)
    console.add_secrets(["first-line\nsecond-line"])
    console.closing_line("cfstep: refused first-line\nsecond-line \x1b[31mx")
    assert err.getvalue() == f"cfstep: refused {MASK} x\n"


def test_colours_only_are_fast_to_check() -> None:
    """A child's coloured log is not rewritten: the same string comes back."""
    text = "\x1b[32mok\x1b[0m " * 1000
    assert safe_for_terminal(text) is text
