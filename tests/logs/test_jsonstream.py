"""The JSON reader the log paths walk: the same values as `json.loads`, read from text cut
anywhere, in batches of bounded size, and never deeper than its bound."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cfstep.logs.jsonstream import MAX_DEPTH, TOO_DEEP, WINDOW, JsonError, Reader


def _pieces(text: str, cuts: list[int]) -> Iterator[str]:
    at = 0
    for cut in sorted({c % (len(text) + 1) for c in cuts}):
        yield text[at:cut]
        at = cut
    yield text[at:]


def _rebuild(reader: Reader) -> Any:
    """The value at the reader, built back through members/elements/small: what a caller
    that kept everything would get."""
    char = reader.peek()
    if char == "{":
        found = {}
        for batch in reader.members():
            for key, text in batch:
                found[key] = _rebuild(reader) if text is None else text
        return found
    if char == "[":
        items = []
        for batch in reader.elements():
            items += [_rebuild(reader) if text is None else text for text in batch]
        return items
    return reader.small()


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
    lambda inner: (
        st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=6), inner, max_size=6)
    ),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(
    value=JSON,
    cuts=st.lists(st.integers(0, 10_000), max_size=8),
    indent=st.sampled_from([None, 1]),
)
def test_any_json_cut_anywhere_reads_as_json_loads_reads_it(
    value: Any, cuts: list[int], indent: int | None
) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    pieces = _pieces(text, cuts)
    reader = Reader(next(pieces), pieces)

    assert _rebuild(reader) == json.loads(text)
    assert reader.at_end()


@settings(max_examples=100, deadline=None)
@given(value=JSON, cuts=st.lists(st.integers(0, 10_000), max_size=4))
def test_skip_passes_exactly_one_value(value: Any, cuts: list[int]) -> None:
    text = json.dumps([value, "after"])
    pieces = _pieces(text, cuts)
    reader = Reader(next(pieces), pieces)
    batches = reader.elements()
    first = next(batches)
    if first[0] is None:
        reader.skip()
    rest = [text for batch in batches for text in batch]
    assert (first[1:] or rest) == ["after"]


def test_strings_in_a_row_come_in_batches_no_longer_than_the_window() -> None:
    lines = [f"line {n}\r\n" for n in range(50_000)]
    text = json.dumps({"logs": dict(enumerate(lines))})
    reader = Reader(text)
    sizes = []
    for batch in reader.members():
        for _, value in batch:
            assert value is None
            sizes += [len(inner) for inner in reader.members()]
    assert sum(sizes) == len(lines)
    shortest = len('"0": "line 0\\r\\n", ')
    assert len(sizes) > 10
    assert max(sizes) <= WINDOW // shortest


@pytest.mark.parametrize(
    "text",
    [
        '{"a": "no end',
        '{"a" "b"}',
        '{"a": "b",}',
        "[1, 2",
        '["\\q"]',
        '{"a": tru}',
        "[-]",
    ],
)
def test_text_that_is_not_json_is_a_json_error(text: str) -> None:
    with pytest.raises(JsonError):
        _rebuild(Reader(text))


def test_nesting_past_the_bound_is_refused_without_recursion() -> None:
    deep = "[" * 200_000 + "]" * 200_000
    with pytest.raises(JsonError, match=TOO_DEEP):
        Reader(deep).skip()
    Reader("[" * MAX_DEPTH + "]" * MAX_DEPTH).skip()


def test_control_characters_and_lone_surrogates_are_read_as_text() -> None:
    text = '["a\tb\u0000c", "\\ud800", "\\u001b[31mred"]'
    (batch,) = Reader(text).elements()
    assert batch == ["a\tb\x00c", "\ud800", "\x1b[31mred"]


def test_a_long_string_in_small_pieces_is_read_in_linear_time_and_memory() -> None:
    """16 MB in 1 KB pieces: the buffer doubles, it is not copied once per piece."""
    body = "x" * (16 * 1024 * 1024)
    text = json.dumps({"padding": [body], "after": 1})
    pieces = (text[i : i + 1024] for i in range(0, len(text), 1024))
    tracemalloc.start()
    try:
        reader = Reader("", pieces)
        for batch in reader.members():
            for key, value in batch:
                assert value is None
                if key == "padding":
                    reader.skip()
                else:
                    assert reader.small() == 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * len(body)
