"""Masking: every form a secret can be given back in is masked (cfstep.masking, through
the Console that prints)."""

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
from cfstep.console import CUT, MASK, Console, clip, percent_encoded


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
