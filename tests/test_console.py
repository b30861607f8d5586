"""Masking: every form a secret can take in our output."""

from __future__ import annotations

import io
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from cfstep.console import CUT, MASK, Console, clip, duration, percent_encoded


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
