"""Server-sent events are read as they arrive, with a bound on one event's size."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cfstep.logs.sse import Event, EventTooLarge, events


def test_each_event_is_given_as_soon_as_its_blank_line_has_arrived() -> None:
    asked: list[int] = []

    def chunks() -> Iterator[bytes]:
        for n, chunk in enumerate([b'event: put\ndata: {"a"', b": 1}\n\nevent: keep", b"-alive\n"]):
            asked.append(n)
            yield chunk
        asked.append(99)
        yield b"data: null\n\n"

    stream = events(chunks())
    assert next(stream) == Event("put", '{"a": 1}')
    assert asked == [0, 1]  # not one chunk more than the event needed
    assert next(stream) == Event("keep-alive", "null")


def test_crlf_comments_and_multi_line_data() -> None:
    raw = b": a proxy's comment\r\n\r\nevent: patch\r\ndata: one\r\ndata: two\r\n\r\n"
    assert list(events([raw])) == [Event("patch", "one\ntwo")]


def test_an_event_larger_than_the_bound_stops_the_reader() -> None:
    with pytest.raises(EventTooLarge):
        list(events([b"event: put\ndata: " + b"x" * 2048], max_bytes=1024))
