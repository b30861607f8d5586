"""Server-sent events (the `text/event-stream` format Firebase's REST streaming speaks),
read from byte chunks as they arrive, with a bound on the size of one event."""

from __future__ import annotations

import re
from dataclasses import dataclass

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

MAX_EVENT_BYTES = 16 * 1024 * 1024
SMALL_EVENT = 64 * 1024  # decoded whole: quicker, and its copies cost nothing
SMALL_REGION = 1024 * 1024  # complete events up to this size are decoded together
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_BLANK_TEXT = re.compile(r"\r?\n\r?\n")


class EventTooLarge(Exception):
    """One event grew past MAX_EVENT_BYTES: the reader stops rather than grow without bound."""


@dataclass(frozen=True)
class Event:
    name: str
    data: str


def events(chunks: Iterable[bytes], max_bytes: int = MAX_EVENT_BYTES) -> Iterator[Event]:
    """Each complete event of the stream, the moment its closing blank line has arrived."""
    for ready in batches(chunks, max_bytes):
        yield from ready


def batches(chunks: Iterable[bytes], max_bytes: int = MAX_EVENT_BYTES) -> Iterator[list[Event]]:
    """The events complete once each chunk has arrived, together: a reader that handles
    them as one (10,000 small events in a few chunks) prints in a few writes."""
    pending = bytearray()  # grows in place: a long event is not copied chunk after chunk
    scanned = 0  # no blank line before this offset: a long event is not searched again
    for chunk in chunks:
        pending += chunk
        start = _last_event_end(pending, max(0, scanned - 3))
        if start <= SMALL_REGION:  # small events, the usual: decoded and split together
            ready = _parse_region(pending[:start].decode("utf-8", "replace"))
        else:
            ready, start = _parse_each(pending, scanned)
        del pending[:start]  # before the events are handled: a long one is not held twice
        scanned = len(pending)
        if ready:
            yield ready
        del ready
        if len(pending) > max_bytes:
            raise EventTooLarge(f"an event of more than {max_bytes // (1024 * 1024)} MB")


def _last_event_end(buffer: bytearray, start: int) -> int:
    """Where the last complete event ends (after its blank line); 0: none has."""
    lf, crlf = buffer.rfind(b"\n\n", start), buffer.rfind(b"\r\n\r\n", start)
    return max(lf + 2 if lf >= 0 else 0, crlf + 4 if crlf >= 0 else 0)


def _parse_region(text: str) -> list[Event]:
    return [event for block in _BLANK_TEXT.split(text) if (event := _parse_text(block))]


def _parse_each(pending: bytearray, scanned: int) -> tuple[list[Event], int]:
    """The complete events one by one (a long one is read in place); where they end."""
    start = 0
    ready: list[Event] = []
    while True:
        end, gap = _event_end(pending, max(start, scanned - 3))
        if end < 0:
            return ready, start
        event = _parse(pending, start, end)
        start = end + gap
        if event is not None:
            ready.append(event)


def _event_end(buffer: bytearray, start: int) -> tuple[int, int]:
    """Where the first blank line (`\\n\\n` or `\\r\\n\\r\\n`) from `start` is, and its length:
    one search, that stops at the first (a chunk of many events is not read once each)."""
    found = _BLANK_LINE.search(buffer, start)
    return (found.start(), found.end() - found.start()) if found else (-1, 0)


def _parse(buffer: bytearray, start: int, end: int) -> Event | None:
    """The event in `buffer[start:end]`. A small one is decoded whole; a long one is read
    in place, only its fields' values decoded, so that 16 MB is copied once, into its data."""
    if end - start <= SMALL_EVENT:
        return _parse_text(buffer[start:end].decode("utf-8", "replace"))
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


def _parse_text(block: str) -> Event | None:
    if block.startswith("event: "):  # Firebase's: one event line, one data line
        cut = block.find("\n")
        if cut > 0 and block.startswith("data: ", cut + 1) and block.find("\n", cut + 1) < 0:
            return Event(block[7:cut].removesuffix("\r"), block[cut + 7 :].removesuffix("\r"))
    name = "message"
    data: list[str] = []
    for raw in block.split("\n"):
        line = raw.removesuffix("\r")
        if not line or line.startswith(":"):
            continue  # a comment, e.g. a proxy's keep-alive
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
    if name == "message" and not data:
        return None
    return Event(name, "\n".join(data))
