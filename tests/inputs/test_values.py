"""Reading one input's text (README, "Inputs"): booleans, numbers, lists, KEY=VALUE, files."""

from __future__ import annotations

from pathlib import Path

import pytest

from cfstep import console, documents
from cfstep.errors import InputError
from cfstep.inputs import values
from cfstep.model import ChildSpec

TRUE = ["true", "True", "TRUE", "yes", "YES", "1", "on", "On", " true "]
FALSE = ["false", "False", "no", "NO", "0", "off", "OFF", " off\n"]
NOT_BOOL = ["ture", "y", "n", "2", "", "truee", "enabled", "t", "-1", "yes please"]


@pytest.mark.parametrize("text", TRUE)
def test_true_words(text: str) -> None:
    assert values.parse_bool("X", text) is True


@pytest.mark.parametrize("text", FALSE)
def test_false_words(text: str) -> None:
    assert values.parse_bool("X", text) is False


@pytest.mark.parametrize("text", NOT_BOOL)
def test_anything_else_is_not_a_boolean(text: str) -> None:
    with pytest.raises(InputError, match=r"^DETACH: .* is not a boolean — use true or false$"):
        values.parse_bool("DETACH", text)


@pytest.mark.parametrize(
    ("text", "expected"), [("45", 45.0), ("0.5", 0.5), (" 1e1 ", 10.0), ("1", 1.0)]
)
def test_numbers(text: str, expected: float) -> None:
    assert values.parse_number("N", text, minimum=0) == expected


@pytest.mark.parametrize("text", ["abc", "", "nan", "inf", "-inf", "0.9", "-1", "10m", "1,5"])
def test_not_a_number_of_at_least_1(text: str) -> None:
    with pytest.raises(InputError, match=r"^N: .* is not a number of at least 1 — "):
        values.parse_number("N", text, minimum=1)


@pytest.mark.parametrize(("text", "expected"), [("0", 0), ("50", 50), (" 7 ", 7)])
def test_integers(text: str, expected: int) -> None:
    assert values.parse_integer("I", text, minimum=0) == expected


@pytest.mark.parametrize("text", ["-1", "1.5", "1e2", "ten", "", "٣", "+3", "0x10"])
def test_not_a_whole_number(text: str) -> None:
    with pytest.raises(InputError, match=r"^I: .* is not a whole number of at least 0"):
        values.parse_integer("I", text, minimum=0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ()),
        ("  \n \n", ()),
        ("one", ("one",)),
        ("a,b", ("a,b",)),  # never split on commas
        ("a\nb, c\n\n d \n", ("a", "b, c", "d")),
        ("a\r\nb\r\n", ("a", "b")),
        ("- a\n- b, c\n", ("a", "b, c")),
        ('["a", "b, c"]', ("a", "b, c")),
        ("[a, b]", ("a", "b")),  # a YAML flow list: its items
        ("- 1\n- true\n- 2.5\n-\n", ("1", "true", "2.5", "")),
        ("- 'x: y'\n", ("x: y",)),
        ("# just a comment\nvalue", ("# just a comment", "value")),
        ("A=1\n- B=2", ("A=1", "- B=2")),  # not a list: lines, taken raw
        ("key: value", ("key: value",)),  # a map is not a list: the raw text
    ],
)
def test_lists(text: str, expected: tuple[str, ...]) -> None:
    assert values.parse_list("L", text) == expected


def test_a_list_item_that_is_a_map_is_an_error() -> None:
    with pytest.raises(InputError, match=r"^VARIABLE: list item .* is a dict, not text"):
        values.parse_list("VARIABLE", "- A: 1\n")


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("A=1", ("A", "1")),
        ("A==1", ("A", "=1")),  # split at the first =
        ("URL=https://x/?a=b", ("URL", "https://x/?a=b")),
        ("A=", ("A", "")),
        (" A =x ", ("A", "x ")),
        ("A= spaced, and quoted 'x' \"y\"", ("A", " spaced, and quoted 'x' \"y\"")),
    ],
)
def test_pairs(item: str, expected: tuple[str, str]) -> None:
    assert values.parse_pair("VARIABLE", item) == expected


@pytest.mark.parametrize("item", ["A", "=1", " =1", "MY VAR=1", "", "A\tB=1"])
def test_not_a_pair(item: str) -> None:
    with pytest.raises(InputError, match=r"^VARIABLE: .* is not KEY=VALUE — "):
        values.parse_pair("VARIABLE", item)


def test_a_bad_secret_pair_never_shows_its_text() -> None:
    with pytest.raises(InputError) as caught:
        values.parse_pair("SECRETS", "hunter2")
    assert "hunter2" not in caught.value.message
    assert caught.value.message.startswith("SECRETS: (the value is hidden) is not KEY=VALUE")


def test_last_wins_keeps_first_seen_order() -> None:
    merged = values.last_wins([("A", "1"), ("B", "2"), ("A", "3")])
    assert merged == (("A", "3"), ("B", "2"))


def test_with_variables_first_lets_the_childs_own_win() -> None:
    child = ChildSpec(pipeline="p", variables=(("A", "own"), ("B", "own")))
    merged = values.with_variables(child, (("A", "file"), ("C", "file")), first=True)
    assert merged.variables == (("A", "own"), ("C", "file"), ("B", "own"))
    later = values.with_variables(child, (("A", "item"),), first=False)
    assert later.variables == (("A", "item"), ("B", "own"))


def test_shown_cuts_a_huge_value() -> None:
    text = console.shown("x" * 500)
    assert len(text) < 120
    assert "(500 chars)" in text


def test_read_text_file(tmp_path: Path) -> None:
    path = tmp_path / "f.yml"
    path.write_text("a: 1\n", encoding="utf-8")
    assert documents.read_text_file("YAML", str(path)) == "a: 1\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "cannot read"), (b"\xff\xfe", "not UTF-8"), (b"x" * 1_000_001, "larger than 1 MB")],
    ids=["missing", "binary", "huge"],
)
def test_unreadable_files(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "f.yml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=rf"^YAML: .*{message}"):
        documents.read_text_file("YAML", str(path))


def test_structured_text() -> None:
    assert documents.load_yaml("V", '{"A": 1}') == {"A": 1}
    assert documents.load_yaml("V", "- a\n- b\n") == ["a", "b"]
    with pytest.raises(InputError, match=r"not valid YAML/JSON .* at line 3"):
        documents.load_yaml("V", "A: 1\nB: [\n")
    with pytest.raises(InputError, match="binary data"):
        documents.load_yaml("V", "A: \x00")


def test_variable_maps() -> None:
    assert values.variable_map("F", {"A": 1, "B": True, "C": None, "D": "x, y"}) == {
        "A": "1",
        "B": "true",
        "C": "",
        "D": "x, y",
    }
    with pytest.raises(InputError, match="not a map of variables"):
        values.variable_map("F", ["A"])
    with pytest.raises(InputError, match="is not a name"):
        values.variable_map("F", {1: "x"})
    with pytest.raises(InputError, match="F variable A: list item"):
        values.variable_map("F", {"A": [1]})
