"""The log tree, event by event: work in proportion to what an event changes, memory in
proportion to what it keeps, lines whole and never twice."""

from __future__ import annotations

import io
import json
import time
import tracemalloc
from collections.abc import Iterator

from cfstep.console import CUT, Console
from cfstep.logs import sse
from cfstep.logs.tree import FLUSH_SECONDS, HELD_CHARS, LogTree
from fakeclock import FakeClock


def _push(number: int) -> str:
    return f"-L{number:018d}"


def _event(tree: LogTree, kind: str, path: str, data: object) -> list[str]:
    tree.read_event(kind, json.dumps({"path": path, "data": data}, separators=(",", ":")))
    return [line for batch in tree.new_lines() for line in batch]


def test_10000_steps_one_event_each_take_time_in_proportion_to_the_events() -> None:
    """Each new step is its own `put`; sorting every step on every event took 18 s of
    CPU for 10,000 steps. Here under 2 s, whatever the machine's load (CPU time)."""
    tree = LogTree()
    events = [
        json.dumps(
            {
                "path": f"/s{n:05d}",
                "data": {"name": f"s{n}", "creationTimeStamp": n, "logs": {_push(0): f"{n}\r\n"}},
            }
        )
        for n in range(10_000)
    ]
    shown: list[str] = []
    started = time.process_time()
    for text in events:
        tree.read_event("put", text)
        shown += [line for batch in tree.new_lines() for line in batch]
    spent = time.process_time() - started

    assert shown == [line for n in range(10_000) for line in (f"--- step: s{n} ---", str(n))]
    assert tree.lines_shown == 10_000
    assert spent < 2.0, f"{spent:.2f} s of CPU"


def _sse(event: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(event), size):
        yield event[start : start + size]


def test_one_event_of_500000_short_lines_costs_a_few_times_its_size() -> None:
    """A replayed tree of 500,000 one-character lines (about 16 MB): read as it is parsed
    and given out in batches, not held as a tree, then as pairs, then as lines."""
    lines = 500_000
    tree = {"s": {"name": "Dots", "logs": {_push(n): ".\r\n" for n in range(lines)}}}
    data = json.dumps({"path": "/", "data": tree}, separators=(",", ":"))
    raw = f"event: put\ndata: {data}\n\n".encode()
    del tree, data
    out = LogTree()
    printed = 0
    tracemalloc.start()
    try:
        for event in sse.events(_sse(raw)):
            out.read_event(event.name, event.data)
            for batch in out.new_lines():
                printed += len(batch)
            del event
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert printed == lines + 1  # and the banner
    assert peak < 2.5 * len(raw), f"{peak / 2**20:.0f} MB for an event of {len(raw) / 2**20:.0f} MB"


def test_push_ids_out_of_order_in_an_event_are_sorted_and_given_twice_count_once() -> None:
    tree = LogTree()
    data = {"name": "A", "logs": {_push(2): "two\n", _push(0): "zero\n", _push(1): "one\n"}}
    assert _event(tree, "put", "/a", data) == ["--- step: A ---", "zero", "one", "two"]
    twice = f'"{_push(3)}":"three\\n"'
    text = f'{{"path":"/a/logs","data":{{{twice},{twice}}}}}'  # JSON allows it; once
    tree.read_event("patch", text)
    assert [line for batch in tree.new_lines() for line in batch] == ["three"]
    assert _event(tree, "put", "/a/logs", {_push(n): "old\n" for n in range(4)}) == []


def test_a_piece_of_a_line_waits_across_a_reconnect_and_is_not_shown_twice() -> None:
    tree = LogTree()
    first = {"a": {"name": "A", "logs": {_push(0): "whole\r\n", _push(1): "half "}}}
    assert _event(tree, "put", "/", first) == ["--- step: A ---", "whole"]
    assert tree.holding()
    replay = {
        "a": {"name": "A", "logs": {_push(0): "whole\r\n", _push(1): "half ", _push(2): "end\r\n"}}
    }
    assert _event(tree, "put", "/", replay) == ["half end"]
    assert not tree.holding()


def test_a_step_name_with_line_breaks_is_one_banner_line() -> None:
    tree = LogTree()
    assert _event(tree, "put", "/a", {"name": "evil\nname\r\n--- step: x"}) == [
        "--- step: evil name --- step: x ---"
    ]


def test_a_piece_held_past_the_flush_time_is_shown_and_its_line_ends_after_a_cut() -> None:
    clock = FakeClock()
    console = Console(err=io.StringIO())
    console.add_secrets(["SECRETVALUE"])
    tree = LogTree(mask=console.mask, clock=clock.now)
    assert _event(tree, "put", "/a", {"name": "A", "logs": {_push(0): "token SECR"}}) == [
        "--- step: A ---"
    ]
    assert tree.flush_held(older_than=FLUSH_SECONDS) == []  # not yet
    clock.advance(FLUSH_SECONDS)
    assert tree.flush_held(older_than=FLUSH_SECONDS) == ["token ***" + CUT]
    clock.advance(FLUSH_SECONDS)
    assert tree.flush_held(older_than=FLUSH_SECONDS) == []  # nothing new: nothing again
    assert _event(tree, "patch", "/a/logs", {_push(1): "ETVALUE used\r\n"}) == [CUT + " used"]
    assert tree.lines_shown == 1


def test_a_piece_longer_than_the_bound_is_shown_at_once_and_memory_stays_bounded() -> None:
    tree = LogTree()
    _event(tree, "put", "/a", {"name": "A"})
    for n in range(40):
        shown = _event(tree, "patch", "/a/logs", {_push(n): "x" * (HELD_CHARS // 8)})
        assert all(line.strip(CUT).strip("x") == "" for line in shown)
    assert len(tree.steps["a"].held) <= HELD_CHARS + HELD_CHARS // 8
    assert _event(tree, "patch", "/a/logs", {_push(99): "end\n"})[-1].endswith("end")


def test_the_end_of_the_log_makes_every_piece_a_line() -> None:
    tree = LogTree()
    _event(tree, "put", "/", {"a": {"name": "A", "logs": {_push(0): "no end"}}})
    assert tree.flush_held() == ["no end"]
    assert tree.lines_shown == 1
    assert not tree.holding()
