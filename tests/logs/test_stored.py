"""A stored log read as it arrives: the same last lines as reading it whole, in every form
Codefresh keeps it in, in memory bounded by the tail; and counted as the live log counts."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cfstep.console import CUT
from cfstep.logs.jsonstream import TOO_DEEP
from cfstep.logs.location import LogUnavailable
from cfstep.logs.stored import LINE_CHARS, NotJson, last_lines, line_count
from cfstep.logs.tree import LogTree


def _chunks(body: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def _tail(document: object, count: int = 50) -> list[str]:
    return last_lines(_chunks(json.dumps(document).encode()), count)


STORAGE = {
    "steps": [
        {"name": "Clone", "creationTimeStamp": 1, "logs": ["cloning\r\n", "done\r\n"]},
        {"name": "Build", "creationTimeStamp": 2, "logs": {"-2": "two\n", "-1": "one\n"}},
    ],
    "status": "error",
}
SHOWN = ["--- step: Clone ---", "cloning", "done", "--- step: Build ---", "one", "two"]


@pytest.mark.parametrize(
    ("form", "document"),
    [
        ("storage", STORAGE),
        ("storage, steps as a map", {"steps": dict(enumerate(STORAGE["steps"]))}),
        ("a bare list of steps", STORAGE["steps"]),
        ("the log database", {"b": STORAGE["steps"][1], "a": STORAGE["steps"][0]}),
        ("steps out of creation order", {"steps": STORAGE["steps"][::-1]}),
    ],
)
def test_every_form_gives_the_steps_in_order_with_banners(form: str, document: object) -> None:
    assert _tail(document) == SHOWN
    assert _tail(document, 3) == SHOWN[-3:]
    assert line_count(_chunks(json.dumps(document).encode())) == 4


def test_a_steps_member_is_the_only_one_read() -> None:
    document = {"other": {"name": "Not a step", "logs": ["x\n"]}, **STORAGE}
    assert _tail(document) == SHOWN


def test_plain_text_is_read_line_by_line() -> None:
    body = b"\n".join(f"line {n}".encode() for n in range(1000)) + b"\r\nlast, no end"
    assert last_lines(_chunks(body, 100), 3) == ["line 998", "line 999", "last, no end"]
    assert line_count(_chunks(body, 100)) == 1001


@pytest.mark.parametrize("body", [b"", b"  \n", b"null", b"{}", b"[]", b'{"steps": "none"}'])
def test_a_log_with_no_steps_has_no_lines(body: bytes) -> None:
    assert last_lines(_chunks(body), 5) in ([], ["null"], ["  "])


def test_text_that_begins_like_json_is_said_to_be_read_again_as_text() -> None:
    body = b"[INFO] starting\n[INFO] done\n"
    with pytest.raises(NotJson):
        last_lines(_chunks(body), 5)
    assert last_lines(_chunks(body), 5, as_text=True) == ["[INFO] starting", "[INFO] done"]


def test_a_log_nested_too_deep_is_unavailable_in_those_words() -> None:
    deep = b"[" * 200_000 + b"]" * 200_000
    with pytest.raises(LogUnavailable, match=TOO_DEEP):
        last_lines(_chunks(deep), 5)


def test_a_line_longer_than_the_bound_keeps_its_start() -> None:
    huge = "x" * (LINE_CHARS * 4)
    (line,) = _tail([{"logs": [huge[:100], huge[100:], "\n"]}], 1)
    assert line == "x" * LINE_CHARS + CUT


def test_a_million_empty_lines_keep_only_the_tail_in_memory() -> None:
    """7 MB of storage JSON (read whole, 4.4 million such lines took 1,082 MB): the memory
    traced stays under 2 MB besides the body itself (bench/logs.py reads 5 million)."""
    logs = ",".join(['"\\r\\n"'] * 700_000 + ['"\\n"'] * 300_000)
    body = ('{"steps":[{"name":"Loud","logs":[' + logs + "]}]}").encode()
    del logs
    tracemalloc.start()
    try:
        tail = last_lines(_chunks(body), 50)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert tail == [""] * 50
    assert peak < 2 * 2**20, f"{peak / 2**20:.1f} MB"


PUSH = st.text(alphabet="ab\r\n", max_size=6)


@settings(max_examples=200, deadline=None)
@given(steps=st.lists(st.lists(PUSH, max_size=6), min_size=1, max_size=4))
def test_the_stored_count_is_the_live_count(steps: list[list[str]]) -> None:
    """The same pushes, followed live to the end or counted from the log database, give
    the same number of lines: what `fell behind` subtracts agrees with itself."""
    document = {
        f"s{n}": {
            "name": f"s{n}",
            "creationTimeStamp": n,
            "logs": {f"-L{i:018d}": text for i, text in enumerate(pushes)},
        }
        for n, pushes in enumerate(steps)
    }
    tree = LogTree()
    list(tree.put("/", document))
    tree.flush_held()
    assert line_count(_chunks(json.dumps(document).encode(), 7)) == tree.lines_shown
