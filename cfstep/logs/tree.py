"""A child's steps as Codefresh's log store holds them, turned into lines to print.

The store keeps, per step, `name`, `status`, `creationTimeStamp`, `finishTimeStamp` and
`logs/<pushId>: text`. Push ids sort in the order they were written, so a step only needs
to remember the last one it printed: a replayed tree (after a reconnect) prints nothing
twice and memory stays the same size however long the log grows.
"""

from __future__ import annotations

from dataclasses import dataclass

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Iterator

FINISHED = frozenset({"success", "error", "terminated", "skipped", "denied", "approved", "failure"})


@dataclass
class StepLog:
    key: str
    name: str = ""
    status: str = ""
    created: float = 0.0
    finished: bool = False
    last_push: str = ""  # the newest push id printed
    announced: bool = False


class LogTree:
    """Apply Firebase `put`/`patch` events (paths relative to the job's `steps`) and get
    back the lines not printed yet, banners included, in the order of the steps."""

    def __init__(self) -> None:
        self.steps: dict[str, StepLog] = {}

    def complete(self) -> bool:
        """Every step the child has is finished (and it has at least one)."""
        steps = list(self.steps.values())  # one C-level copy: the reader thread may add steps
        return bool(steps) and all(s.finished for s in steps)

    def put(self, path: str, data: object) -> Iterator[str]:
        return self._apply([(_segments(path), data)])

    def patch(self, path: str, data: object) -> Iterator[str]:
        if not isinstance(data, dict):
            return iter(())
        base = _segments(path)
        return self._apply([(base + _segments(key), value) for key, value in data.items()])

    def _apply(self, updates: list[tuple[list[str], object]]) -> Iterator[str]:
        """The new lines, given one by one: a replayed tree of a long log need not be held
        twice (the caller prints them in batches)."""
        fresh: dict[str, list[tuple[str, str]]] = {}
        for segments, value in updates:
            self._update(segments, value, fresh)
        return self._lines(fresh)

    def _lines(self, fresh: dict[str, list[tuple[str, str]]]) -> Iterator[str]:
        for step in sorted(self.steps.values(), key=lambda s: (s.created, s.key)):
            pushes = fresh.pop(step.key, [])
            if not step.announced and (pushes or step.name):
                step.announced = True
                yield banner(step)
            pushes.sort()
            for push, text in pushes:
                if push > step.last_push:
                    step.last_push = push
                    yield from split_lines(text)

    def _update(
        self, segments: list[str], value: object, fresh: dict[str, list[tuple[str, str]]]
    ) -> None:
        if not segments:
            for key, step in value.items() if isinstance(value, dict) else ():
                self._update([key], step, fresh)
            return
        step = self.steps.get(segments[0])
        if step is None:
            if value is None:
                return
            step = self.steps[segments[0]] = StepLog(segments[0])
        rest = segments[1:]
        if not rest:
            for key, field in value.items() if isinstance(value, dict) else ():
                self._update([step.key, key], field, fresh)
        elif rest[0] == "logs":
            pushes = {rest[1]: value} if len(rest) > 1 else value
            for push, text in pushes.items() if isinstance(pushes, dict) else ():
                if isinstance(text, str) and push > step.last_push:
                    fresh.setdefault(step.key, []).append((push, text))
        else:
            _set_field(step, rest[0], value)


def _set_field(step: StepLog, name: str, value: object) -> None:
    if name == "name" and isinstance(value, str):
        step.name = value
    elif name == "status" and isinstance(value, str):
        step.status = value
        step.finished = step.finished or value in FINISHED
    elif name == "creationTimeStamp" and isinstance(value, int | float):
        step.created = float(value)
    elif name == "finishTimeStamp" and value:
        step.finished = True


def _segments(path: str) -> list[str]:
    return [part for part in path.split("/") if part]


def banner(step: StepLog) -> str:
    return f"--- step: {step.name or step.key} ---"


def split_lines(text: str) -> list[str]:
    """A push is one line ending in CRLF, or a chunk of several: one printed line each."""
    body = text[:-2] if text.endswith("\r\n") else text.removesuffix("\n")
    return [line.removesuffix("\r") for line in body.split("\n")]
