"""JSON read a value at a time, as it arrives, in memory bounded by what the caller keeps.

A child's log comes as JSON that may hold millions of lines: a stored log of 32 MB, or one
stream event of 16 MB (README, "Live logs of the child"). `json.loads` would build the whole
tree at once, several times the text's size. `Reader` walks it instead: the caller asks for
an object's members or an array's elements and keeps only what it wants; anything else is
skipped without being built, iteratively, to a bounded depth.

Strings that follow one another in an object or an array are found by one regular
expression and decoded together by the C decoder, a window of text at a time: a log of
millions of short lines costs about what `json.loads` costs, without its memory.
"""

from __future__ import annotations

import json
import re

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any, TypeVar

    T = TypeVar("T")

MAX_DEPTH = 64  # far deeper than any log: a deeper value is refused, not walked
WINDOW = 64 * 1024  # characters decoded together: a batch of members stays small
TOO_DEEP = "it nests too deep to read"

# Possessive: a run of 10,000 strings keeps no backtracking state (7 MB with `+`).
_WS = "[ \t\n\r]*+"
_STRING = r'"[^"\\]*+(?:\\.[^"\\]*+)*+"'
_MEMBER_RUN = re.compile(f"(?:{_WS}{_STRING}{_WS}:{_WS}{_STRING}{_WS}(?:,|(?=}})))++")
_ELEMENT_RUN = re.compile(f"(?:{_WS}{_STRING}{_WS}(?:,|(?=])))++")
_SPACE = re.compile(_WS)
_TOKEN = re.compile(r"[-+.0-9a-zA-Z]*")  # as far as a number or a literal could go
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_LITERALS = {"true": True, "false": False, "null": None}
# Control characters in strings are taken as they are: a log is text, not a protocol.
_DECODER = json.JSONDecoder(strict=False, object_pairs_hook=list)

Member = tuple[str, str | None]


class JsonError(ValueError):
    """The text is not JSON, or it nests deeper than MAX_DEPTH (the message says which)."""


class Reader:
    """JSON text given whole, or in pieces (`more`) that are read as they are needed.

    `members()` and `elements()` give batches; in a batch, a value that is not a string is
    None and comes last: the caller reads it (`members`, `elements`, `small`) or `skip`s
    it before it asks for the next batch."""

    def __init__(self, text: str, more: Iterator[str] | None = None, *, start: int = 0) -> None:
        self._buf = text
        self._pos = start
        self._more_text = more
        self._ended = more is None

    @property
    def position(self) -> int:
        """Where the next value starts; meaningful for a reader given its whole text."""
        self.peek()
        return self._pos

    def peek(self) -> str:
        """The next character that is not white space, not consumed; "" at the end."""
        while True:
            space = _SPACE.match(self._buf, self._pos)
            if space is not None:
                self._pos = space.end()
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._more():
                return ""

    def members(self) -> Iterator[list[Member]]:
        """An object's members, in batches of (key, text); text None: not a string."""
        return self._batches("{", "}", _MEMBER_RUN, self._member)

    def elements(self) -> Iterator[list[str | None]]:
        """An array's elements, in batches of strings; None: not a string."""
        return self._batches("[", "]", _ELEMENT_RUN, self._string_or_none)

    def string(self) -> str:
        if self.peek() != '"':
            raise JsonError("a string was expected")
        end = self._string_end()
        start = self._pos + 1
        if self._buf.find("\\", start, end) < 0:
            text = self._buf[start:end]
        else:
            try:
                text = str(_DECODER.decode(self._buf[self._pos : end + 1]))
            except ValueError:
                raise JsonError("a string that is not JSON") from None
        self._pos = end + 1
        return text

    def small(self) -> str | float | bool | None:
        """A string, number, true, false or null; an object or array is skipped (None)."""
        char = self.peek()
        if char in ("{", "["):
            self.skip()
            return None
        if char == '"':
            return self.string()
        token = self._token()
        if token in _LITERALS:
            return _LITERALS[token]
        number = float(token)
        return int(number) if number.is_integer() and "." not in token else number

    def skip(self) -> None:
        """Pass one value of any kind without building it."""
        closers: list[str] = []
        while True:
            char = self.peek()
            if char in ("{", "["):
                if len(closers) == MAX_DEPTH:
                    raise JsonError(TOO_DEEP)
                self._pos += 1
                closer = "}" if char == "{" else "]"
                if not self._take_if(closer):
                    closers.append(closer)
                    if closer == "}":
                        self._skip_key()
                    continue
            elif char == '"':
                self._pos = self._string_end() + 1
            else:
                self._token()
            while closers:  # after a value: the next one, or the end of its container
                if self._take_if(","):
                    if closers[-1] == "}":
                        self._skip_key()
                    break
                self._take(closers.pop())
            else:
                return

    def at_end(self) -> bool:
        return self.peek() == ""

    # -- the text ---------------------------------------------------------------------------

    def _more(self) -> bool:
        """Read on: at least as much text as is left unread, so that a long token is copied
        a bounded number of times; what was read already is dropped. False at the end."""
        if self._ended or self._more_text is None:
            return False
        left = self._buf[self._pos :]
        pieces, size = [left], 0
        for piece in self._more_text:
            pieces.append(piece)
            size += len(piece)
            if size >= max(len(left), WINDOW):
                break
        else:
            self._ended = True
        self._buf, self._pos = "".join(pieces), 0
        return size > 0

    def _string_end(self) -> int:
        """Where the string starting here ends (its closing quote), reading on as needed."""
        scan = self._pos + 1
        while True:
            quote = self._buf.find('"', scan)
            if quote < 0:
                unread = len(self._buf) - self._pos
                if not self._more():
                    raise JsonError("a string that does not end")
                scan = unread
                continue
            slashes = quote - 1
            while self._buf[slashes] == "\\":
                slashes -= 1
            if (quote - 1 - slashes) % 2 == 0:  # the quote is not escaped
                return quote
            scan = quote + 1

    def _token(self) -> str:
        """A number or a literal, whole even when it reaches the end of what was read."""
        while True:
            token = _TOKEN.match(self._buf, self._pos)
            end = token.end() if token is not None else self._pos
            if end == len(self._buf) and self._more():
                continue
            found = self._buf[self._pos : end]
            if found not in _LITERALS and _NUMBER.fullmatch(found) is None:
                raise JsonError("a value was expected")
            self._pos = end
            return found

    def _batches(
        self, opener: str, closer: str, run: re.Pattern[str], one: Callable[[], T]
    ) -> Iterator[list[T]]:
        """A container's items in batches: a run of strings decoded together, else one
        item (the caller reads or skips its value when it is not a string)."""
        self._take(opener)
        if self._take_if(closer):
            return
        while True:
            found = run.match(self._buf, self._pos, self._pos + WINDOW)
            if found is not None:
                text = found.group()
                self._pos = found.end()
                yield self._decode(opener + text.removesuffix(",") + closer)
                if text.endswith(","):
                    continue
            else:
                yield [one()]
                if self._take_if(","):
                    continue
            self._take(closer)
            return

    def _member(self) -> Member:
        key = self.string()
        self._take(":")
        return key, self._string_or_none()

    def _string_or_none(self) -> str | None:
        return self.string() if self.peek() == '"' else None

    def _skip_key(self) -> None:
        if self.peek() != '"':
            raise JsonError("a member name was expected")
        self._pos = self._string_end() + 1
        self._take(":")

    def _take(self, char: str) -> None:
        if not self._take_if(char):
            raise JsonError(f"{char!r} was expected")

    def _take_if(self, char: str) -> bool:
        if self.peek() == char:
            self._pos += 1
            return True
        return False

    @staticmethod
    def _decode(text: str) -> list[Any]:
        try:
            found: list[Any] = _DECODER.decode(text)
        except ValueError:
            raise JsonError("a string that is not JSON") from None
        return found
