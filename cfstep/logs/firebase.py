"""Firebase's `put` and `patch` events read into a `LogTree` (README, "Live logs of the
child"): `{"path", "data"}` with paths relative to the job's `steps`, a patch's keys
holding `/`. Only `<step>/<field>` and `<step>/logs/<push>` are read; anything deeper is
skipped, so this nests three deep whatever the event.

An event under SMALL_EVENT is parsed whole (json.loads is quicker, and its memory no
issue); a longer one (a replayed tree of 16 MB) is walked as it is parsed
(`cfstep.logs.jsonstream`), never built, and a step's pushes go to the tree a batch at a
time.
"""

from __future__ import annotations

import json

from cfstep.logs.jsonstream import JsonError, Reader

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Protocol

    class LogTree(Protocol):
        """What an event changes (`cfstep.logs.tree.LogTree`, which imports this module)."""

        def take_pushes(self, step_key: str, pushes: Iterable[tuple[str, str | None]]) -> None: ...

        def set_field(self, step_key: str, name: str, value: object) -> None: ...


SMALL_EVENT = 64 * 1024


def read_event(tree: LogTree, kind: str, text: str) -> None:
    """One event's JSON text; JsonError when it is not `{"path", "data"}` JSON (what came
    before the error is applied)."""
    if len(text) <= SMALL_EVENT:
        try:
            body = json.loads(text)
        except (ValueError, RecursionError):
            raise JsonError("an event that is not JSON") from None
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("path"), str)
            or "data" not in body
        ):
            raise JsonError("an event without a path or data")
        read_values(tree, body["path"], body["data"], patch=kind == "patch")
        return
    reader = Reader(text)
    path: list[str] | None = None
    data: tuple[str | None, int] | None = None  # a string, or where the value starts
    for batch in reader.members():
        for key, value in batch:
            if key == "path" and value is not None:
                path = _segments(value)
            elif key == "data" and path is not None:
                _read(tree, path, value, reader, patch=kind == "patch")
                data = (value, -1)
            elif key == "data":  # before its path: read once the path is known
                data = (value, reader.position)
                if value is None:
                    reader.skip()
            elif value is None:
                reader.skip()
    if path is None or data is None:
        raise JsonError("an event without a path or data")
    value, start = data
    if start >= 0:
        _read(tree, path, value, Reader(text, start=start), patch=kind == "patch")


def read_values(tree: LogTree, path: str, data: object, *, patch: bool) -> None:
    """An event's data given as Python values (a small event parsed whole, or a test's)."""
    _read_values(tree, _segments(path), data, patch=patch)


def _read(tree: LogTree, base: list[str], text: str | None, reader: Reader, *, patch: bool) -> None:
    """The value at `base`: `text` when it is a string, else read from `reader`."""
    if text is not None:
        _leaf(tree, base, text)
    elif reader.peek() != "{":
        _leaf(tree, base, reader.small())
    elif len(base) >= 3:
        reader.skip()
    elif len(base) == 2 and base[1] == "logs":
        for members in reader.members():
            if members[-1][1] is None:  # not a string: not a push
                reader.skip()
            tree.take_pushes(base[0], members)
    else:
        for batch in reader.members():
            for key, value in batch:
                if not (patch and value is not None and _patched_push(tree, base, key, value)):
                    path = [*base, *_segments(key)] if patch else [*base, key]
                    _read(tree, path, value, reader, patch=False)


def _read_values(tree: LogTree, base: list[str], data: object, *, patch: bool) -> None:
    if not isinstance(data, dict) or len(base) >= 3:
        _leaf(tree, base, data)
    elif len(base) == 2 and base[1] == "logs":
        tree.take_pushes(base[0], [(k, v) for k, v in data.items() if isinstance(v, str)])
    elif len(base) == 1 and not patch:  # a whole step: the usual event, kept quick
        for name, value in data.items():
            if name != "logs":
                tree.set_field(base[0], name, value)
            elif isinstance(value, dict):
                tree.take_pushes(base[0], [(k, v) for k, v in value.items() if isinstance(v, str)])
    else:
        for key, value in data.items():
            if not (patch and isinstance(value, str) and _patched_push(tree, base, key, value)):
                path = [*base, *_segments(str(key))] if patch else [*base, str(key)]
                _read_values(tree, path, value, patch=False)


def _patched_push(tree: LogTree, base: list[str], key: str, text: str) -> bool:
    """A patch's `<step>/logs/<push>` member, taken at once; False for any other."""
    if base:
        return False
    parts = key.split("/")
    if len(parts) != 3 or parts[1] != "logs" or not parts[0] or not parts[2]:
        return False
    tree.take_pushes(parts[0], [(parts[2], text)])
    return True


def _leaf(tree: LogTree, path: list[str], value: object) -> None:
    if len(path) == 3 and path[1] == "logs":
        if isinstance(value, str):
            tree.take_pushes(path[0], [(path[2], value)])
    elif len(path) == 2:
        tree.set_field(path[0], path[1], value)


def _segments(path: str) -> list[str]:
    return [part for part in path.split("/") if part]
