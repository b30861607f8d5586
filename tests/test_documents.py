"""Reading YAML/JSON inputs: the alias and depth budgets, at their edges."""

from __future__ import annotations

import pytest

from cfstep import documents


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_nesting_up_to_the_limit_is_read() -> None:
    data = documents.load_yaml("V", _nested(documents.MAX_DEPTH))
    for _ in range(documents.MAX_DEPTH - 1):
        assert isinstance(data, list)
        (data,) = data
    assert data == []


def test_one_level_more_is_refused() -> None:
    with pytest.raises(documents.TooComplex, match="nested more than 64 levels deep"):
        documents.load_yaml("V", _nested(documents.MAX_DEPTH + 1))


def test_nesting_through_an_alias_counts_too() -> None:
    """Each part shallow, the expanded whole too deep: `*a` stands for all of a's depth."""
    half = documents.MAX_DEPTH // 2 + 1
    text = f"a: &a {_nested(half)}\nb: {'[' * half}*a{']' * half}\n"
    with pytest.raises(documents.TooComplex, match="nested more than"):
        documents.load_yaml("V", text)


def test_anchors_and_merge_keys_within_the_budget_are_read() -> None:
    text = "base: &b {A: '1', B: '2'}\none: {<<: *b, C: '3'}\ntwo: *b\n"
    assert documents.load_yaml("V", text) == {
        "base": {"A": "1", "B": "2"},
        "one": {"A": "1", "B": "2", "C": "3"},
        "two": {"A": "1", "B": "2"},
    }


def test_aliases_over_the_budget_are_refused_whatever_their_shape() -> None:
    """Doubling 14 times: 2^14 nodes from a few hundred bytes, refused while composing."""
    lines = ["l0: &l0 [x, x]"] + [f"l{i}: &l{i} [*l{i - 1}, *l{i - 1}]" for i in range(1, 15)]
    with pytest.raises(documents.TooComplex, match="aliases that expand to more than 10000"):
        documents.load_yaml("V", "\n".join(lines))


def test_the_lenient_reader_takes_bad_syntax_as_text_but_never_a_bomb() -> None:
    assert documents.load_yaml_or_none("V", "a: [") is None
    with pytest.raises(documents.TooComplex):
        documents.load_yaml_or_none("V", _nested(1000))


def test_json_too_deep_for_json_is_left_to_yaml() -> None:
    assert documents.json_as_yaml(_nested(100_000)) is None
