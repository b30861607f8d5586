"""A list or map input given as JSON (how a typed step hands them over) is read with json
instead of importing yaml (docs/performance.md); wherever that shortcut answers, YAML must
give the same."""

from __future__ import annotations

import json
import string

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cfstep import documents

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Printable ASCII plus the escapes JSON writes for control characters: quotes, backslashes,
# YAML indicators (# : , [ ] { } & * ! | > % @ `) all included.
ITEM = st.text(alphabet=string.printable + "\x00\x01\x08\x0b\x0c\x1b\x7f", max_size=20)
SPACE = st.sampled_from(["", " ", "  ", "\n", "\r\n", " \n  ", "\t"])


def _yaml(text: str) -> object:
    try:
        return yaml.load(text, Loader=LOADER)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError:
        return "yaml error"


@given(items=st.lists(ITEM, max_size=5), before=SPACE, between=SPACE, after=SPACE)
@settings(max_examples=400, deadline=None)
@example(items=["APP_VERSION=1.2.3", "B=x,y"], before="", between=" ", after="")
@example(items=['say "hi"', "a\\b", "#not a comment", "k: v"], before="", between="", after="")
def test_json_lists_read_as_yaml_reads_them(
    items: list[str], before: str, between: str, after: str
) -> None:
    body = ("," + between).join(json.dumps(item) for item in items)
    text = f"{before}[{between}{body}{between}]{after}"
    fast = documents.json_as_yaml(text)
    if fast is not None:
        assert fast == _yaml(text)


@given(pairs=st.lists(st.tuples(ITEM, ITEM), max_size=4), between=SPACE)
@settings(max_examples=400, deadline=None)
@example(pairs=[("validatePRAction", "'${{CF_PULL_REQUEST_ACTION}}' == 'opened'")], between="")
def test_json_maps_read_as_yaml_reads_them(pairs: list[tuple[str, str]], between: str) -> None:
    body = ("," + between).join(f"{json.dumps(k)}:{between}{json.dumps(v)}" for k, v in pairs)
    text = f"{{{between}{body}{between}}}"
    fast = documents.json_as_yaml(text)
    if fast is not None:
        assert fast == _yaml(text)


@given(text=st.text(alphabet=string.printable + "\x7f\u00e9\u2028", max_size=40))
@settings(max_examples=400, deadline=None)
def test_any_text_the_shortcut_accepts_reads_as_in_yaml(text: str) -> None:
    fast = documents.json_as_yaml("[" + text)
    if fast is not None:
        assert fast == _yaml("[" + text)


def test_json_only_escape_reads_as_in_yaml() -> None:
    text = '["a\\/b", "c\\bd\\fe"]'  # \/ is JSON's; YAML reads it too
    assert documents.json_as_yaml(text) == _yaml(text) == ["a/b", "c\x08d\x0ce"]


@pytest.mark.parametrize(
    "text",
    [
        '["\\ud83d\\ude00"]',  # YAML keeps the surrogates apart
        '["caf\u00e9"]',  # not ASCII
        '["a\x7fb"]',  # YAML refuses DEL
        '[\t"a"]',  # YAML refuses a tab here
        "[1, 2]",  # numbers: YAML 1.1 and JSON disagree on some (1e3)
        '["a"] # comment',  # not JSON
    ],
)
def test_left_to_yaml(text: str) -> None:
    assert documents.json_as_yaml(text) is None


def test_the_common_typed_step_list_does_not_import_yaml() -> None:
    """In a fresh interpreter: VARIABLE as a JSON list is read without loading yaml."""
    import subprocess
    import sys

    code = (
        "import sys\nfrom cfstep.inputs import values\n"
        "assert values.parse_list('VARIABLE', '[\"A=1\", \"B=x,y\"]') == ('A=1', 'B=x,y')\n"
        "print('yaml' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
