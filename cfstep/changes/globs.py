"""MODIFIED_FILES_GLOB's globs, matched against changed paths as npm minimatch matches them
with `{dot: true}`, the reference Codefresh's "Modified files" filter is held to
(docs/monorepos.md, "How globs match").

The matching itself is wcmatch's (`wcmatch.glob`, the flags below give minimatch's
behaviour: `**` alone in a segment crosses folders, `*` and `?` never cross `/`, braces and
extglobs expand, dotfiles match); a differential test against minimatch holds the two
together. What minimatch does before matching, this module does the same way: a glob
starting with `#` is a comment and matches nothing, an odd number of leading `!` makes a
glob an exclusion, and a `\\` that ends a segment is a plain backslash (minimatch splits a
glob at every `/` before it reads escapes). A list matches a path when no exclusion matches
it and any other glob does; a list of exclusions only includes everything else, as one
negated minimatch glob does.

Imported only when a child has globs: the start-up of every other run never loads wcmatch.
"""

from __future__ import annotations

import re

from wcmatch import glob as wcglob

# The exception wcmatch's documentation names for a brace limit exceeded; it lives here and
# is not re-exported (a test holds its place).
from wcmatch._wcparse import PatternLimitException

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

FLAGS = (
    wcglob.GLOBSTAR  # `**` alone in a segment matches any number of folders
    | wcglob.BRACE  # `{a,b}` and `{1..3}`, as minimatch's brace-expansion
    | wcglob.DOTGLOB  # minimatch's `dot: true`: `*` and `**` match dotfiles and dot folders
    | wcglob.EXTGLOB  # `+(a|b)`, `!(a)`, `@(a)`, `*(a)`, `?(a)`: on in minimatch by default
    | wcglob.FORCEUNIX  # paths are `/`-separated and case-sensitive on every platform
)
BRACE_LIMIT = 1000
"""Most patterns one glob's braces may expand to (wcmatch's own default); minimatch has no
limit, so a glob past it is refused rather than matched differently."""


# An unescaped backslash before a `/` or at the end: escapes nothing in minimatch.
_SEGMENT_END_BACKSLASH = re.compile(r"(?<!\\)((?:\\\\)*)\\(?=/|$)")


# What may give a glob's character a meaning (minimatch's magic, escapes, extglobs).
_SPECIAL = frozenset("*?[]{}()!+@\\")
_GROUPS = {"{": "}", "(": ")"}


class BadGlob(ValueError):
    """A glob that cannot be matched; the message says why."""


class Globs:
    """A list of globs, compiled once: which changed paths make a child run."""

    def __init__(self, globs: Sequence[str]) -> None:
        self.text = tuple(globs)
        includes: list[str] = []
        excludes: list[str] = []
        prefixes: list[str] = []
        pieces: list[tuple[str, ...]] = []
        for glob in globs:
            if not glob or glob.startswith("#"):
                continue  # minimatch: a comment, or an empty pattern, matches no path
            body = glob.lstrip("!")
            negated = (len(glob) - len(body)) % 2 == 1
            if body:
                body = _SEGMENT_END_BACKSLASH.sub(r"\1\\\\", body)
                (excludes if negated else includes).extend(_regexes(body))
                if not negated:
                    prefixes.append(_literal_folders(body))
                    pieces.append(_literal_pieces(body))
        self._everything = not includes and bool(excludes)
        self._include = _one_regex(includes)
        self._exclude = _one_regex(excludes)
        # Paths outside every include's literal folders, or without all the literal text of
        # any include, are not tried on the regexes at all: they cannot match.
        self._prefixes = tuple(prefixes) if includes and all(prefixes) else None
        self._pieces = tuple(pieces) if includes and all(pieces) else None

    def matches(self, path: str) -> bool:
        return bool(self.matching((path,)))

    def matching(self, paths: Iterable[str]) -> list[str]:
        """The paths that count for this list, in their order: `matches` for many paths,
        each step a pass over what the one before kept (docs/performance.md)."""
        kept = list(paths)
        if self._prefixes is not None:
            prefixes = self._prefixes
            kept = [path for path in kept if path.startswith(prefixes)]
        elif self._pieces is not None:
            kept = _holding_any(kept, self._pieces)
        if not self._everything:
            if self._include is None:
                return []
            include = self._include.match
            kept = [path for path in kept if include(path)]
        if self._exclude is not None:
            exclude = self._exclude.match
            kept = [path for path in kept if exclude(path) is None]
        return kept


def _regexes(glob: str) -> list[str]:
    try:
        included, _ = wcglob.translate(glob, flags=FLAGS, limit=BRACE_LIMIT)
    except PatternLimitException:
        raise BadGlob(
            f"its braces expand to more than {BRACE_LIMIT:,} patterns — write fewer "
            "alternatives, or several globs"
        ) from None
    except (ValueError, re.error) as exc:  # wcmatch refuses a pattern it cannot translate
        raise BadGlob(f"it cannot be read as a glob ({exc})") from None
    return included


def _literal_folders(glob: str) -> str:
    """The folders every path `glob` matches starts with: `services/api/` of
    `services/api/**`, read from its leading segments that hold no special character; ""
    when there are none, or when one is empty, `.` or `..` (minimatch reads `a//b` as
    `a/b`). Only narrows which paths the regexes are tried on."""
    if ".." in glob:  # minimatch folds `a/{..,x}/b` into `b`
        return ""
    end = next((i for i, char in enumerate(glob) if char in _SPECIAL), len(glob))
    head = glob[:end]
    folders = head[: head.rfind("/") + 1]
    if any(segment in ("", ".", "..") for segment in folders.split("/")[:-1]):
        return ""
    return folders


def _literal_pieces(glob: str) -> tuple[str, ...]:
    """Texts every path `glob` matches holds: its literal runs outside braces and extglobs,
    up to a class (`{services,apps}/s0/**` → `s0`); () when none is sure (an escape, a `..`
    minimatch folds away)."""
    if "\\" in glob or ".." in glob:
        return ()
    text: list[str] = []
    groups: list[str] = []  # the closing characters of the groups being skipped
    for char in glob:
        if char == "[":
            break  # a class: what it and the rest hold is not read
        if groups:
            if char in _GROUPS:
                groups.append(_GROUPS[char])
            elif char == groups[-1]:
                groups.pop()
        elif char in _GROUPS:
            groups.append(_GROUPS[char])
            text.append("/")  # a group ends the literal run before it
        else:
            text.append(char)
    return tuple(piece for piece in re.split(r"[/*?!+@]", "".join(text)) if piece)


def _holding_any(paths: list[str], pieces: tuple[tuple[str, ...], ...]) -> list[str]:
    """The paths holding all the pieces of at least one glob, in their order."""
    wanted: set[str] = set()
    for needed in pieces:
        found = paths
        for piece in needed:
            found = [path for path in found if piece in path]
        wanted.update(found)
    return [path for path in paths if path in wanted]


def _one_regex(patterns: list[str]) -> re.Pattern[str] | None:
    """One alternation for many globs: a changed path is tried once per list, not once per
    glob (docs/performance.md). Each translated pattern is anchored at both ends."""
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns))
