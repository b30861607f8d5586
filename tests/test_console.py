"""Masking: every form a secret can take in our output."""

from __future__ import annotations

import io
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from cfstep.console import MASK, Console, duration, percent_encoded


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
