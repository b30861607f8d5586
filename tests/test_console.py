"""Masking: every form a secret can take in our output."""

from __future__ import annotations

import base64
import html
import io
import json
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cfstep.cli import proxy_credentials
from cfstep.console import CUT, MASK, Console, clip, duration, percent_encoded, safe_for_terminal


@given(st.text())
def test_percent_encoding_is_urllibs(value: str) -> None:
    assert percent_encoded(value) == quote(value, safe="")


def test_a_secret_is_masked_raw_json_escaped_and_percent_encoded() -> None:
    err = io.StringIO()
    console = Console(err=err)
    console.add_secrets(['p@ss "word"/1'])
    console.say('raw p@ss "word"/1 json p@ss \\"word\\"/1 url p%40ss%20%22word%22%2F1')
    assert err.getvalue() == f"raw {MASK} json {MASK} url {MASK}\n"


def test_the_longer_secret_is_masked_whole() -> None:
    console = Console()
    console.add_secrets(["abc", "abcdef"])
    assert console.mask("xabcdefx") == f"x{MASK}x"


def test_durations_read_as_people_write_them() -> None:
    assert [duration(s) for s in (1.25, 42, 185, 3725)] == ["1.2s", "42s", "3m05s", "1h02m"]


def test_a_secret_cut_short_is_masked_before_the_cut_mark() -> None:
    console = Console()
    console.add_secrets(["tok-1234567890"])
    assert console.mask(clip("error: tok-1234567890 refused", 12)) == f"error: {MASK}{CUT}"
    # two characters say nothing: left as they are, like any text before a cut
    assert console.mask(clip("error: to", 8)) == f"error: t{CUT}"


def test_a_secret_escaped_collapsed_or_split_into_lines_is_masked() -> None:
    console = Console()
    pem = "-----BEGIN KEY-----\nAAAAbbbbCCCC\nZm9v\n-----END KEY-----"
    console.add_secrets(['a\\b"c  d', pem])
    assert console.mask('x a\\\\b"c  d x') == f"x {MASK} x"  # `\` doubled
    assert console.mask('x a\\b\\"c  d x') == f"x {MASK} x"  # `"` escaped
    assert console.mask('x a\\b"c d x') == f"x {MASK} x"  # whitespace collapsed
    assert console.mask(pem.replace("\n", " ")) == MASK  # lines joined
    assert console.mask("| AAAAbbbbCCCC") == f"| {MASK}"  # one line of it
    assert console.mask("| Zm9v") == "| Zm9v"  # too short a line to mask on its own


# -- every credential form, by one mechanism -------------------------------------------------


def _collapsed(text: str) -> str:
    return " ".join(text.split())


def _json(text: str) -> str:
    return json.dumps(text)[1:-1]


def _json_ascii_slashes(text: str) -> str:
    """As a JSON encoder that escapes `/` and everything beyond ASCII writes it."""
    return json.dumps(text, ensure_ascii=True)[1:-1].replace("/", "\\/")


def _repr(text: str) -> str:
    return repr(text)[1:-1]


def _ascii(text: str) -> str:
    return ascii(text)[1:-1]


def _doubled(text: str) -> str:
    return text.replace("\\", "\\\\")


def _quoted(text: str) -> str:
    return text.replace('"', '\\"')


def _percent(text: str) -> str:
    return quote(text, safe="")


def _form_encoded(text: str) -> str:
    return quote_plus(text, safe="")


def _html(text: str) -> str:
    return html.escape(text, quote=True)


def _lines_joined(text: str) -> str:
    return " ".join(text.splitlines())


ENCODINGS = [
    _collapsed,
    _json,
    _json_ascii_slashes,
    _repr,
    _ascii,
    _doubled,
    _quoted,
    _percent,
    _form_encoded,
    _html,
    _lines_joined,
]
SECRET_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=8, max_size=30
).filter(lambda s: sum(c.isalnum() for c in s) >= 4 and s.strip() == s)


@settings(max_examples=300, deadline=None)
@given(SECRET_TEXT, st.lists(st.sampled_from(ENCODINGS), min_size=1, max_size=3))
def test_any_composition_of_encodings_is_masked(secret: str, encodings: list[Any]) -> None:
    """Whitespace collapsed, lines joined, JSON, repr, `\\` doubled, `"` escaped, percent-
    or form-encoded, HTML entities: each, and any chain of them, is masked."""
    shown = secret
    for encode in encodings:
        shown = encode(shown)
    console = Console()
    console.add_secrets([secret])
    masked = console.mask(f"<{shown}>")
    assert masked == f"<{MASK}>", (shown, masked)


def test_a_secret_collapsed_and_its_tab_escaped_is_masked() -> None:
    """A server echoed SECRETS value `K9x␣␣Qz7<TAB>W4v-collapse` with its whitespace
    collapsed *and* its tab escaped; either alone was masked, both together were not."""
    console = Console()
    console.add_secrets(["K9x  Qz7\tW4v-collapse"])
    assert console.mask("bad value K9x Qz7\\tW4v-collapse here") == f"bad value {MASK} here"


def test_base64_proxy_credentials_are_a_secret_of_their_own() -> None:
    """The Proxy-Authorization a 407 may echo: registered from the proxy URL."""
    environ = {"HTTPS_PROXY": "http://builder:p%40ss-word@proxy:3128"}
    console = Console()
    console.add_secrets(proxy_credentials(environ))
    sent = base64.b64encode(b"builder:p@ss-word").decode()
    echoed = f'407: {{"header": "Proxy-Authorization: Basic {sent}"}}'
    assert sent not in console.mask(echoed)
    assert console.mask(json.dumps(echoed)).count(MASK) == 1


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("POST …/run/demo%2Fdeploy", "POST …/run/demo%2Fdeploy"),
        ("the existing build", "the existing build"),
        ("demo.example.com and user@demo", "demo.example.com and user@demo"),
        ("Authorization: demo", f"Authorization: {MASK}"),
        ('{"key": "demo"}', f'{{"key": "{MASK}"}}'),
        ("token=demo&x=1", f"token={MASK}&x=1"),
    ],
    ids=["in-a-url", "inside-a-word", "host-and-email", "header", "json", "query"],
)
def test_a_short_key_is_masked_only_where_it_stands_alone(text: str, shown: str) -> None:
    console = Console()
    console.add_secrets(["demo"], standalone=True)
    assert console.mask(text) == shown


def test_a_value_keeps_the_rule_it_was_first_added_with() -> None:
    """The entrypoint adds the key before parsing (standalone when short); the parsed
    inputs add it again among every secret."""
    console = Console()
    console.add_secrets(["x"], standalone=True)
    console.add_secrets(["x", "other-secret"])
    assert console.mask("existing x other-secret") == f"existing {MASK} {MASK}"


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
