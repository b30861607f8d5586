"""Reading YAML/JSON inputs: the alias and depth budgets, at their edges."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from cfstep import documents
from cfstep.errors import InputError


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


# -- the one reader of the files inputs name -------------------------------------------------


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "spec.yml"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(InputError) as caught:
        documents.read_text_file("PIPELINE_SPEC", str(fifo))
    assert time.monotonic() - started < 1
    assert caught.value.message == (
        f"PIPELINE_SPEC: {fifo} is a named pipe (FIFO), not a regular file — give the path "
        "of a file"
    )


@pytest.mark.parametrize(
    ("path", "kind"),
    [("/dev/zero", "a character device"), ("/dev/null", "a character device"), ("/", "a folder")],
)
def test_devices_and_folders_are_refused_before_reading(path: str, kind: str) -> None:
    with pytest.raises(InputError, match=f"is {kind}, not a regular file"):
        documents.read_text_file("VARIABLE_FILE", path)


def test_a_link_to_a_fifo_is_refused_too(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "vars.yml").symlink_to(tmp_path / "fifo")
    with pytest.raises(InputError, match="named pipe"):
        documents.read_text_file("VARIABLE_FILE", str(tmp_path / "vars.yml"))


def test_a_file_over_the_limit_names_the_limit(tmp_path: Path) -> None:
    big = tmp_path / "changed.txt"
    big.write_text("a/b\n" * 300)
    assert documents.read_text_file("CHANGED_FILES", str(big), limit=1200) == "a/b\n" * 300
    with pytest.raises(InputError, match="larger than 1,000 bytes — give a smaller file"):
        documents.read_text_file("CHANGED_FILES", str(big), limit=1000)


def test_a_ca_bundle_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "ca.pem")
    with pytest.raises(InputError, match=r"named pipe .* — give the path of a PEM file"):
        documents.check_ca_bundle("CA_BUNDLE", str(tmp_path / "ca.pem"))
