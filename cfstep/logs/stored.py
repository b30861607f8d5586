"""A stored log read as it arrives: its last lines, or how many lines it has, in memory
bounded by what is kept (LOG_TAIL lines), not by the length of the log (README, "Live logs
of the child": the log tail).

The forms a log is kept in, as Codefresh's own clients read them:
- a storage link (a finished build): JSON `{steps: [{name, creationTimeStamp, logs}]}`
  (or a bare list of steps), `logs` a list of texts or a map of push ids to texts;
- the log database, read once: `{stepKey: {name, creationTimeStamp, logs: {pushId: text}}}`;
- anything that is not JSON: plain text, line by line.
Steps go in the order they were created; a step's pushes in the order of their ids, sorted
a window of WINDOW pushes at a time (a store does not promise their order); a push may hold
several lines or a piece of one, as in the live log (`cfstep.logs.tree`).
"""

from __future__ import annotations

import codecs
from bisect import insort
from collections import deque

from cfstep.console import CUT
from cfstep.logs.jsonstream import TOO_DEEP, JsonError, Reader
from cfstep.logs.location import LogUnavailable
from cfstep.logs.tree import banner

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

WINDOW = 20_000  # pushes of one step sorted together
LINE_CHARS = 64 * 1024  # of a longer line, a tail keeps this much (its start)

_Order = tuple[float, int]


class NotJson(Exception):
    """The log began like JSON and is not: read it again, as text."""


def last_lines(chunks: Iterable[bytes], count: int, *, as_text: bool = False) -> list[str]:
    """The last `count` lines, a banner before each step's; LogUnavailable when the log
    nests too deep to read, NotJson when it must be read again with `as_text`."""
    sink = _LastLines(count)
    _read(chunks, sink, as_text=as_text)
    return sink.lines()


def line_count(chunks: Iterable[bytes], *, as_text: bool = False) -> int:
    """How many lines the log has (banners not counted), as the live log counts them."""
    sink = _LineCount()
    _read(chunks, sink, as_text=as_text)
    return sink.total()


# -- the document --------------------------------------------------------------------------


def _read(chunks: Iterable[bytes], sink: _Sink, *, as_text: bool) -> None:
    pieces = _decoded(chunks)
    head: list[str] = []
    for piece in pieces:
        head.append(piece)
        if piece.strip():
            break
    text = "".join(head)
    if as_text or text.lstrip()[:1] not in ("{", "["):
        sink.text(_chain(text, pieces))
        return
    reader = Reader(text, pieces)
    try:
        _document(reader, sink)
        if not reader.at_end():
            raise JsonError("more after the log")
    except JsonError as exc:
        if str(exc) == TOO_DEEP:
            raise LogUnavailable(TOO_DEEP) from None
        raise NotJson from None


def _document(reader: Reader, sink: _Sink) -> None:
    if reader.peek() == "[":
        _step_list(reader, sink, "root")
        return
    for number, (key, value) in enumerate(_each_member(reader)):
        if value is not None:
            continue  # a string: not a step (a storage log's `status`)
        if key == "steps":  # a storage log: only its steps count
            sink.only_steps()
            _steps(reader, sink)
        elif reader.peek() == "{":  # the log database: steps by key
            _step(reader, sink, "root", number)
        else:
            reader.skip()


def _steps(reader: Reader, sink: _Sink) -> None:
    char = reader.peek()
    if char == "[":
        _step_list(reader, sink, "steps")
    elif char == "{":
        for number, (_, value) in enumerate(_each_member(reader)):
            if value is None:
                _step_or_skip(reader, sink, "steps", number)
    else:
        reader.skip()


def _step_list(reader: Reader, sink: _Sink, group: str) -> None:
    number = 0
    for batch in reader.elements():
        number += len(batch)
        if batch[-1] is None:
            _step_or_skip(reader, sink, group, number - 1)


def _step_or_skip(reader: Reader, sink: _Sink, group: str, number: int) -> None:
    if reader.peek() == "{":
        _step(reader, sink, group, number)
    else:
        reader.skip()


def _step(reader: Reader, sink: _Sink, group: str, number: int) -> None:
    lines = sink.step()
    name, created = "", 0.0
    for key, value in _each_member(reader):
        if key == "name" and value is not None:
            name = value
        elif value is not None:
            continue
        elif key == "creationTimeStamp":
            found = reader.small()
            if isinstance(found, int | float) and not isinstance(found, bool):
                created = float(found)
        elif key == "logs":
            _logs(reader, lines)
        else:
            reader.skip()
    lines.done(group, (created, number), name)


def _logs(reader: Reader, lines: _Lines) -> None:
    char = reader.peek()
    if char == "[":  # a list keeps its order
        for batch in reader.elements():
            lines.feed("".join(text for text in batch if text is not None))
            if batch[-1] is None:
                reader.skip()
    elif char == "{":
        window: list[tuple[str, str]] = []
        for members in reader.members():
            window.extend((key, text) for key, text in members if text is not None)
            if members[-1][1] is None:
                reader.skip()
            if len(window) >= WINDOW:
                _feed_sorted(lines, window)
        _feed_sorted(lines, window)
    else:
        reader.skip()


def _feed_sorted(lines: _Lines, window: list[tuple[str, str]]) -> None:
    window.sort()
    lines.feed("".join(text for _, text in window))
    window.clear()


def _each_member(reader: Reader) -> Iterator[tuple[str, str | None]]:
    for batch in reader.members():
        yield from batch


def _decoded(chunks: Iterable[bytes]) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    for chunk in chunks:
        yield decoder.decode(chunk)
    yield decoder.decode(b"", final=True)


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


# -- what is kept -------------------------------------------------------------------------


class _Lines:
    """One step's text, fed in the order it was written; `done` hands what was kept to
    the sink that made it."""

    def feed(self, text: str) -> None:
        raise NotImplementedError

    def done(self, group: str, order: _Order, name: str) -> None:
        raise NotImplementedError


class _StepTail(_Lines):
    """A step's last `count` lines; a line longer than LINE_CHARS keeps its start."""

    def __init__(self, count: int, sink: _LastLines | None = None) -> None:
        self._count = max(0, count)
        self._sink = sink
        self.lines: deque[str] = deque(maxlen=self._count)
        self._piece: list[str] = []  # the line not ended yet
        self._size = 0

    def feed(self, text: str) -> None:
        first = text.find("\n")
        if first < 0:
            self._grow(text)
            return
        self._grow(text[:first])
        self._end_line()
        last = text.rfind("\n")
        if last > first:
            start = _start_of_last(text, first + 1, last, self._count)
            self.lines.extend(line.removesuffix("\r") for line in text[start:last].split("\n"))
        self._grow(text[last + 1 :])

    def end(self) -> list[str]:
        if self._size:
            self._end_line()
        return list(self.lines)

    def done(self, group: str, order: _Order, name: str) -> None:
        if self._sink is not None:
            self._sink.add(group, order, name, self.end())

    def _grow(self, piece: str) -> None:
        if self._size < LINE_CHARS:
            self._piece.append(piece[: LINE_CHARS - self._size])
        self._size += len(piece)

    def _end_line(self) -> None:
        line = "".join(self._piece)
        self.lines.append(line + CUT if self._size > LINE_CHARS else line.removesuffix("\r"))
        self._piece, self._size = [], 0


class _StepCount(_Lines):
    def __init__(self, sink: _LineCount | None = None) -> None:
        self._sink = sink
        self.lines = 0
        self._open = False  # a line has begun and not ended

    def feed(self, text: str) -> None:
        self.lines += text.count("\n")
        if text:
            self._open = not text.endswith("\n")

    def end(self) -> int:
        return self.lines + self._open

    def done(self, group: str, order: _Order, name: str) -> None:
        if self._sink is not None:
            self._sink.add(group, self.end())


class _Sink:
    """Where steps go once read, in one of two groups: `root` (the log database's steps,
    or a bare list) and `steps` (a storage log's); a `steps` member makes it the only one."""

    def __init__(self) -> None:
        self._only_steps = False

    def only_steps(self) -> None:
        self._only_steps = True

    def group(self) -> str:
        return "steps" if self._only_steps else "root"

    def step(self) -> _Lines:
        raise NotImplementedError

    def text(self, pieces: Iterator[str]) -> None:
        raise NotImplementedError


class _LastLines(_Sink):
    """The last `count` lines over all steps: a step is dropped once the steps after it
    hold `count` lines (with their banners)."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self._count = max(0, count)
        self._kept: dict[str, list[tuple[_Order, list[str]]]] = {"root": [], "steps": []}
        self._sizes = {"root": 0, "steps": 0}
        self._plain: list[str] | None = None

    def step(self) -> _StepTail:
        return _StepTail(self._count, self)

    def add(self, group: str, order: _Order, name: str, body: list[str]) -> None:
        block = [banner(name or f"{order[1]:06d}"), *body] if name or body else []
        kept = self._kept[group]
        insort(kept, (order, block))
        self._sizes[group] += len(block)
        while len(kept) > 1 and self._sizes[group] - len(kept[0][1]) >= self._count:
            self._sizes[group] -= len(kept.pop(0)[1])

    def text(self, pieces: Iterator[str]) -> None:
        tail = _StepTail(self._count)
        for piece in pieces:
            tail.feed(piece)
        self._plain = tail.end()

    def lines(self) -> list[str]:
        if self._plain is not None:
            return self._plain
        every = [line for _, block in self._kept[self.group()] for line in block]
        return every[len(every) - self._count :] if self._count else []


class _LineCount(_Sink):
    def __init__(self) -> None:
        super().__init__()
        self._totals = {"root": 0, "steps": 0}

    def step(self) -> _StepCount:
        return _StepCount(self)

    def add(self, group: str, lines: int) -> None:
        self._totals[group] += lines

    def text(self, pieces: Iterator[str]) -> None:
        count = _StepCount()
        for piece in pieces:
            count.feed(piece)
        self._totals["root"] = count.end()

    def total(self) -> int:
        return self._totals[self.group()]


def _start_of_last(text: str, start: int, end: int, count: int) -> int:
    """Where the last `count` lines of `text[start:end]` begin (lines end at line breaks;
    `end` is the last)."""
    if text.count("\n", start, end) < count:
        return start
    at = end
    for _ in range(count):
        at = text.rfind("\n", start, at)
    return at + 1
