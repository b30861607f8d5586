"""Server-sent events (the `text/event-stream` format Firebase's REST streaming speaks),
read from byte chunks as they arrive, with a bound on the size of one event."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

MAX_EVENT_BYTES = 16 * 1024 * 1024


class EventTooLarge(Exception):
    """One event grew past MAX_EVENT_BYTES: the reader stops rather than grow without bound."""


@dataclass(frozen=True)
class Event:
    name: str
    data: str


def events(chunks: Iterable[bytes], max_bytes: int = MAX_EVENT_BYTES) -> Iterator[Event]:
    """Each complete event of the stream, the moment its closing blank line has arrived."""
    pending = bytearray()  # grows in place: a long event is not copied chunk after chunk
    scanned = 0  # no blank line before this offset: a long event is not searched again
    for chunk in chunks:
        pending += chunk
        start = 0
        ready: list[Event] = []
        while True:
            end, gap = _event_end(pending, max(start, scanned - 3))
            if end < 0:
                break
            event = _parse(pending, start, end)
            start = end + gap
            if event is not None:
                ready.append(event)
        del pending[:start]  # before the events are handled: a long one is not held twice
        scanned = len(pending)
        yield from ready
        if len(pending) > max_bytes:
            raise EventTooLarge(f"an event of more than {max_bytes // (1024 * 1024)} MB")


def _event_end(buffer: bytearray, start: int) -> tuple[int, int]:
    """Where the first blank line (`\\n\\n` or `\\r\\n\\r\\n`) from `start` is, and its length."""
    found = [(i, len(sep)) for sep in (b"\n\n", b"\r\n\r\n") if (i := buffer.find(sep, start)) >= 0]
    return min(found) if found else (-1, 0)


def _parse(buffer: bytearray, start: int, end: int) -> Event | None:
    """The event in `buffer[start:end]`, its lines read in place: only the values of its
    fields are decoded, so a 16 MB event is copied once, into its data."""
    name = "message"
    data: list[str] = []
    with memoryview(buffer) as view:
        at = start
        while at < end:
            stop = buffer.find(b"\n", at, end)
            stop = end if stop < 0 else stop
            line_end = stop - 1 if stop > at and buffer[stop - 1] == 0x0D else stop
            colon = buffer.find(b":", at, line_end)
            if line_end > at and colon != at:  # not empty, not a comment (a proxy's keep-alive)
                field = bytes(view[at : colon if colon >= 0 else line_end])
                value = line_end if colon < 0 else colon + 1
                if value < line_end and buffer[value] == 0x20:
                    value += 1
                if field == b"event":
                    name = str(view[value:line_end], "utf-8", "replace")
                elif field == b"data":
                    data.append(str(view[value:line_end], "utf-8", "replace"))
            at = stop + 1
    if name == "message" and not data:
        return None
    return Event(name, "\n".join(data))
