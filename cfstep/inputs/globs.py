"""Files named by a glob (PIPELINE_SPEC's `specs/**/*.yml`), found with bounds.

Python's `glob` follows symbolic links to folders, so a pull request that commits `x -> .`
and `y -> .` turns `specs/**/*.yml` into an endless walk (40 s and 190 MB before it was
killed). Here a wildcard never enters a folder through a symbolic link (a file behind one
still matches), and the folder entries looked at, the files matched and the time spent are
bounded: past any bound, one line names the pattern and the bound, exit 5. Otherwise the
matches are glob's with `recursive=True`: `*` and `?` stay within one name and skip names
starting with `.`, `**` spans any number of folders, the result is sorted.
"""

from __future__ import annotations

import fnmatch
import os
import re
import time

from cfstep.console import shown
from cfstep.errors import InputError

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

MAX_ENTRIES = 100_000
"""Folder entries looked at while expanding one pattern (a big monorepo has tens of
thousands of files; a pattern that must look at more is too wide)."""
MAX_MATCHES = 500
"""Files one pattern may match."""
MAX_SECONDS = 5.0
"""Time one pattern may take to expand, however slow the file system."""
_MAGIC = re.compile(r"[*?\[]")


def has_magic(text: str) -> bool:
    return _MAGIC.search(text) is not None


def expand(name: str, pattern: str, *, clock: Callable[[], float] = time.monotonic) -> list[str]:
    """The paths `pattern` matches, sorted; InputError naming `name` past a bound."""
    head, parts = _split(pattern)
    found = _Walk(name, pattern, clock).matches(head, parts)
    if pattern.endswith("/"):  # as glob: folders only, written with their `/`
        found = (os.path.join(path, "") for path in found if _real_folder(path))
    return sorted(found)


def _split(pattern: str) -> tuple[str, list[str]]:
    """The literal folder the pattern starts from, and its remaining parts."""
    parts = pattern.split("/")
    literal = 0
    while literal < len(parts) - 1 and not has_magic(parts[literal]):
        literal += 1
    head = "/".join(parts[:literal])
    if pattern.startswith("/") and not head:
        head = "/"
    return head, [p for p in parts[literal:] if p]


class _Walk:
    """One pattern's expansion, counting what it looks at and what it finds."""

    def __init__(self, name: str, pattern: str, clock: Callable[[], float]) -> None:
        self._name, self._pattern = name, pattern
        self._clock = clock
        self._give_up = clock() + MAX_SECONDS
        self._entries = 0
        self._matched = 0

    def matches(self, folder: str, parts: list[str]) -> Iterator[str]:
        """Paths under `folder` (as written; "" is the working directory) that `parts`
        match."""
        if not parts:
            yield self._found(folder)
            return
        part, rest = parts[0], parts[1:]
        if part == "**":
            yield from self._any_depth(folder, rest)
        elif not has_magic(part):
            path = os.path.join(folder, part)
            if os.path.lexists(path) and (not rest or _real_folder(path)):
                yield from self.matches(path, rest)
        else:
            rule = re.compile(fnmatch.translate(part))
            for entry in self._entries_of(folder):
                hidden_ok = part.startswith(".") or not entry.name.startswith(".")
                if hidden_ok and rule.match(entry.name) and (not rest or _entered(entry)):
                    yield from self.matches(os.path.join(folder, entry.name), rest)

    def _any_depth(self, folder: str, rest: list[str]) -> Iterator[str]:
        """`**`: `folder` and every folder below it; as the last part, everything below."""
        if rest:
            yield from self.matches(folder, rest)
        elif folder:
            yield self._found(os.path.join(folder, ""))
        for path, entry in self._below(folder):
            if not rest:
                yield self._found(path)
            elif _entered(entry):
                yield from self.matches(path, rest)

    def _below(self, folder: str) -> Iterator[tuple[str, os.DirEntry[str]]]:
        """Every entry below `folder` that is not hidden, never through a link."""
        pending = [folder]
        while pending:
            current = pending.pop()
            for entry in self._entries_of(current):
                if entry.name.startswith("."):
                    continue
                path = os.path.join(current, entry.name)
                yield path, entry
                if _entered(entry):
                    pending.append(path)

    def _found(self, path: str) -> str:
        self._matched += 1
        if self._matched > MAX_MATCHES:
            self._refuse(f"matches more than {MAX_MATCHES} files")
        return path

    def _entries_of(self, folder: str) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(folder or ".") as found:
                entries = []
                for entry in found:
                    self._entries += 1
                    if self._entries > MAX_ENTRIES:
                        self._refuse(f"looks at more than {MAX_ENTRIES:,} folder entries")
                    if self._entries % 256 == 0 and self._clock() > self._give_up:
                        self._refuse(f"takes more than {MAX_SECONDS:g} s to expand")
                    entries.append(entry)
                return entries
        except (NotADirectoryError, FileNotFoundError, PermissionError):
            return []

    def _refuse(self, problem: str) -> None:
        raise InputError(
            f"{self._name}: {shown(self._pattern)} {problem} — narrow the pattern (name the "
            "folder the files are in, e.g. pipelines/*.yml)"
        )


def _entered(entry: os.DirEntry[str]) -> bool:
    """A folder a wildcard may go into: a real one, never a link to one."""
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _real_folder(path: str) -> bool:
    return os.path.isdir(path) and not os.path.islink(path)
