"""A child's steps as Codefresh's log store holds them, turned into lines to print.

The store keeps, per step, `name`, `status`, `creationTimeStamp`, `finishTimeStamp` and
`logs/<pushId>: text`. Push ids sort in the order they were written, so a step only needs
to remember the last one it printed: a replayed tree (after a reconnect) prints nothing
twice and memory stays the same size however long the log grows.

Events are read by `cfstep.logs.firebase` into the steps' fields and pushes; the new text
of an event is kept per step, joined, and only the steps it touched are put in order once
it ends: the work per event is in proportion to what it changes, not to the number of
steps.

A push is text as the child's logger wrote it: a line ending in CRLF, several lines, or a
piece of a line (a line written in pieces arrives as two or more pushes). A line is given
out only once it is whole, so that masking sees a secret whole (README, "Live logs of the
child"): a piece is held until its line ends, its step ends, it has waited FLUSH_SECONDS,
or it has grown past HELD_CHARS. A piece shown early ends in `…`; the rest of its line is
shown after a `…` once it comes, masked together with what was shown.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from dataclasses import dataclass
from itertools import chain

from cfstep.console import CUT
from cfstep.logs import firebase

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

FINISHED = frozenset({"success", "error", "terminated", "skipped", "denied", "approved", "failure"})
FLUSH_SECONDS = 1.0  # a piece of a line waits this long for the rest of its line
HELD_CHARS = 64 * 1024  # a piece this long is shown at once (and the line goes on)
CONTEXT_CHARS = 16 * 1024  # of a line shown in part, what is kept to mask the rest with
WINDOW = 20_000  # pushes of one step in one event sorted together
BATCH = 2000  # lines given out at a time: few writes, and no copy of a whole long event
SPLIT_CHARS = 64 * 1024  # text split into lines at a time


@dataclass
class StepLog:
    key: str
    seen: int = 0  # how many steps the tree had when it first saw this one
    name: str = ""
    status: str = ""
    created: float = 0.0
    finished: bool = False
    last_push: str = ""  # the newest push id printed
    announced: bool = False
    held: str = ""  # the start of a line whose end has not come
    held_since: float = 0.0
    shown: str | None = None  # of `held`, what is shown already (masked, `…` left off)


class LogTree:
    """Apply Firebase `put`/`patch` events (paths relative to the job's `steps`) and get
    back the lines not printed yet, banners included, in the order of the steps.

    `mask` is the Console's: a line shown in parts is masked as a whole. `clock` times the
    pieces held. Not thread-safe: the caller serialises events and `flush_held`."""

    def __init__(
        self,
        *,
        mask: Callable[[str], str] = str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.steps: dict[str, StepLog] = {}
        self.lines_shown = 0  # whole lines given out, banners not counted
        self.pushes_taken = 0  # pushes not seen before
        self._mask = mask
        self._clock = clock
        self._unfinished = 0
        self._fresh: dict[str, _Fresh] = {}  # this event's new text, by step
        self._touched: dict[str, StepLog] = {}  # this event's steps whose fields changed
        self._holding: dict[str, StepLog] = {}  # steps holding a piece of a line

    def complete(self) -> bool:
        """Every step the child has is finished (and it has at least one)."""
        return bool(self.steps) and self._unfinished == 0

    def holding(self) -> bool:
        return bool(self._holding)

    # -- what events change (cfstep.logs.firebase reads them) ------------------------------

    def read_event(self, kind: str, text: str) -> None:
        """Apply one `put` or `patch` event (`{"path", "data"}` as JSON text). What was read
        before a JsonError stays applied: `new_lines` still gives it."""
        firebase.read_event(self, kind, text)

    def put(self, path: str, data: object) -> Iterator[str]:
        """An event given as Python values (tests, and the callers of old)."""
        firebase.read_values(self, path, data, patch=False)
        return chain.from_iterable(self.new_lines())

    def patch(self, path: str, data: object) -> Iterator[str]:
        firebase.read_values(self, path, data, patch=True)
        return chain.from_iterable(self.new_lines())

    def take_pushes(self, step_key: str, pushes: Iterable[tuple[str, str | None]]) -> None:
        """Pushes of a step (made if new): the texts not printed before are kept for
        `new_lines`; None (not a text) is left out."""
        fresh = self._fresh.get(step_key)
        if fresh is None:
            step = self.steps.get(step_key) or self._new_step(step_key)
            fresh = self._fresh[step_key] = _Fresh(step.last_push)
        self.pushes_taken += fresh.add_batch(pushes)

    def set_field(self, step_key: str, name: str, value: object) -> None:
        """One field of a step; a step is made by a field that is not null."""
        step = self.steps.get(step_key)
        if step is None and value is not None:
            step = self._new_step(step_key)
        if step is not None and self._set_field(step, name, value):
            self._touched[step.key] = step

    def new_lines(self) -> Iterator[list[str]]:
        """The lines of what was read since the last call, in batches: banners, whole lines
        and the ends of lines begun before, steps in the order they were created. Made as
        they are taken: a long event is never held as lines."""
        fresh, self._fresh = self._fresh, {}
        touched, self._touched = self._touched, {}
        steps = [self.steps[key] for key in fresh.keys() | touched.keys()]
        out = _Out()
        for step in sorted(steps, key=_order):
            new = fresh.pop(step.key, None)
            text = ""
            if new is not None:
                text = new.text()
                step.last_push = max(step.last_push, new.newest)
            if not step.announced and (text or step.name):
                step.announced = True
                out.other(banner(step.name or step.key))
            if len(text) <= SPLIT_CHARS and not step.held and text.endswith("\n"):
                out.whole(_lines(text))  # the usual case: whole lines, and not many
            else:
                for _ in self._give(step, text, out):
                    yield from self._batches(out)
            if len(out.lines) >= BATCH:
                yield from self._batches(out)
        yield from self._batches(out, rest=True)

    def flush_held(self, *, older_than: float | None = None) -> list[str]:
        """Pieces of lines held: those held at least `older_than` seconds are shown as they
        are (the line goes on); with None, the log has ended: each is a whole line."""
        out = _Out()
        now = self._clock()
        for step in sorted(self._holding.values(), key=_order):
            if older_than is None:
                out.whole([self._whole(step, step.held)])
                self._hold(step, "")
            elif now - step.held_since >= older_than:
                self._show_held(step, out)
        return list(chain.from_iterable(self._batches(out, rest=True)))

    def _batches(self, out: _Out, *, rest: bool = False) -> Iterator[list[str]]:
        """`out`'s full batches (and with `rest`, the rest), counted as they are given."""
        for batch, whole in out.batches(rest=rest):
            self.lines_shown += whole
            yield batch

    # -- steps ---------------------------------------------------------------------------

    def _new_step(self, key: str) -> StepLog:
        step = self.steps[key] = StepLog(key, len(self.steps))
        self._unfinished += 1
        return step

    def _set_field(self, step: StepLog, name: str, value: object) -> bool:
        """Set one field; True when the step has something new to show or to end."""
        if name == "name" and isinstance(value, str):
            step.name = value
            return True
        if name == "status" and isinstance(value, str):
            step.status = value
            return self._finish(step) if value in FINISHED else False
        if name == "creationTimeStamp" and isinstance(value, int | float):
            step.created = float(value)
        elif name == "finishTimeStamp" and value:
            return self._finish(step)
        return False

    def _finish(self, step: StepLog) -> bool:
        if step.finished:
            return False
        step.finished = True
        self._unfinished -= 1
        return True

    # -- lines --------------------------------------------------------------------------------

    def _give(self, step: StepLog, text: str, out: _Out) -> Iterator[None]:
        """Whole lines of the step's held piece and `text` into `out`, a part at a time
        (a pause after each: the caller gives out what is full); the rest held."""
        first = text.find("\n")
        if first < 0:
            piece = step.held + text
            if step.finished and piece:  # its log has ended: the piece is its last line
                out.whole([self._whole(step, piece)])
                piece = ""
            self._hold(step, piece)
            if len(step.held) > HELD_CHARS:
                self._show_held(step, out)
            return
        out.whole([self._whole(step, step.held + text[:first])])
        self._hold(step, "")
        last = text.rfind("\n")
        for lines in _split(text, first + 1, last):
            out.whole(lines)
            yield
        yield from self._give(step, text[last + 1 :], out)

    def _hold(self, step: StepLog, piece: str) -> None:
        if piece and not step.held:
            step.held_since = self._clock()
        step.held = piece
        if piece:
            self._holding[step.key] = step
        else:
            self._holding.pop(step.key, None)
            step.shown = None

    def _whole(self, step: StepLog, line: str) -> str:
        """A line whose end has come; when its start was shown, what was not shown yet."""
        line = line.removesuffix("\r")
        if step.shown is None:
            return line
        masked = self._mask(line)
        return CUT + masked[_common(step.shown, masked) :]

    def _show_held(self, step: StepLog, out: _Out) -> None:
        """Show the step's held piece now, ending in `…`; keep its end to mask the rest
        of the line with."""
        masked = self._mask(step.held + CUT)
        if step.shown is None:
            out.other(masked)
        else:
            new = masked[_common(step.shown, masked) :]
            if new == CUT:
                return  # nothing came since it was shown
            out.other(CUT + new)
        step.held = step.held[-CONTEXT_CHARS:]
        step.shown = self._mask(step.held + CUT).removesuffix(CUT)
        step.held_since = self._clock()


class _Fresh:
    """One event's new pushes of one step: sorted by push id in windows of WINDOW, their
    text joined (a replay of 500,000 pushes is not held as 500,000 pairs)."""

    __slots__ = ("newest", "since", "texts", "window")

    def __init__(self, since: str) -> None:
        self.since = since  # the newest push printed before this event
        self.newest = since
        self.window: list[tuple[str, str]] = []
        self.texts: list[str] = []

    def add_batch(self, pushes: Iterable[tuple[str, str | None]]) -> int:
        """Take the pushes not printed before (None: not text, left out); how many."""
        since = self.since
        new = [(push, text) for push, text in pushes if text is not None and push > since]
        self.window += new
        if len(self.window) >= WINDOW:
            self._settle()
        return len(new)

    def text(self) -> str:
        self._settle()
        return "".join(self.texts)

    def _settle(self) -> None:
        """Sort the window; a push id given twice (a hostile event) counts once."""
        if not self.window:
            return
        self.window.sort()
        texts, previous = [], self.newest
        for push, text in self.window:
            if push != previous:
                texts.append(text)
                previous = push
        self.newest = max(self.newest, previous)
        self.texts.append("".join(texts))
        self.window.clear()


class _Out:
    """Lines to give out in batches of BATCH, and which of them are not whole lines of
    the log (banners, pieces shown early): a batch is counted as it is given."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.aside: list[int] = []  # where in `lines` a banner or a piece is

    def whole(self, lines: list[str]) -> None:
        self.lines.extend(lines)

    def other(self, line: str) -> None:
        self.aside.append(len(self.lines))
        self.lines.append(line)

    def batches(self, *, rest: bool) -> Iterator[tuple[list[str], int]]:
        """Each full batch (with `rest`, what is left too) and how many whole lines it
        holds."""
        lines, aside = self.lines, self.aside
        end = len(lines) if rest else len(lines) - len(lines) % BATCH
        if not end:
            return
        self.lines, self.aside = lines[end:], [i - end for i in aside if i >= end]
        for start in range(0, end, BATCH):
            batch = lines[start : start + BATCH]
            others = bisect_left(aside, start + len(batch)) - bisect_left(aside, start)
            yield batch, len(batch) - others


def _lines(text: str) -> list[str]:
    """The lines of `text`, which ends in a line break."""
    lines = text.replace("\r\n", "\n").split("\n")
    lines.pop()
    return lines


def _split(text: str, start: int, end: int) -> Iterator[list[str]]:
    """The lines of `text[start:end]` (each ended by a line break; `end` is the last),
    SPLIT_CHARS of text at a time; a CR before a line break is not part of the line."""
    while start <= end:
        stop = end if end - start <= SPLIT_CHARS else text.rfind("\n", start, start + SPLIT_CHARS)
        if stop < start:  # one line longer than SPLIT_CHARS
            stop = text.find("\n", start + SPLIT_CHARS, end + 1)
        yield _lines(text[start : stop + 1])
        start = stop + 1


def _common(shown: str, masked: str) -> int:
    """How many characters two texts start with alike."""
    size = min(len(shown), len(masked))
    same = 0
    while same < size and shown[same] == masked[same]:
        same += 1
    return same


def _order(step: StepLog) -> tuple[float, int]:
    """Steps by creation time, in whole seconds in Codefresh's store; of steps created in
    the same second, the first seen first (the store sends them in the order written)."""
    return (step.created, step.seen)


def banner(name: str) -> str:
    """The line before a step's lines: its name, always on one line."""
    return f"--- step: {' '.join(name.splitlines())} ---"
