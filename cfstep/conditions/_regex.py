"""JavaScript regular expressions (no `u` flag, with Annex B) translated for `regex`.

Python's `re` reads many patterns differently: `$` also matches before a final newline,
`\\d`/`\\w`/`\\s`/`\\b` are Unicode-aware, `{,3}` is a quantifier, `\\a` is a bell, `[^]` and
`[]` are errors, `(?i)` and possessive `*+` exist, named groups are spelt `(?P<n>…)`, and a
backreference to a group that did not take part fails instead of matching the empty string.
So the pattern is parsed here with JavaScript's grammar and emitted piece by piece as an
unambiguous Python pattern; anything that cannot be expressed faithfully is an error.

Strings are matched as UTF-16 code units (each astral character split in two), as a
JavaScript RegExp without the `u` flag sees them.

The translation is a pattern Python's `re` would read the same way; it is run by the `regex`
package (PyPI), which reads it alike and, unlike `re`, takes a timeout: matching is bounded
by time (TIME_LIMIT_SECONDS for one evaluation, all its matches together), not by the shape
of the pattern, so ordinary conditions on long commit messages run, and a pattern that would
backtrack for ever stops with an error naming the limit. A SIGTERM is then honoured as soon
as the match returns. `regex` is imported only when a pattern is compiled.

Compiling is not interruptible, and `regex` lays out a counted repetition's minimum copies
when compiling (`a{10000000}` takes seconds): the counts, multiplied through nesting, are
bounded (MAX_EXPANSION).
"""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from cfstep.conditions._js import JsError, LazyPattern, units

TYPE_CHECKING = False  # not from typing: a run never imports typing
if TYPE_CHECKING:
    from collections.abc import Iterator

    import regex

_LINE_TERMINATORS = "\n\r\u2028\u2029"
_WS_CLASS = (
    "\\t\\n\\x0b\\x0c\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
)
_WORD_CLASS = "0-9A-Z_a-z"
_SETS = {
    "d": ([(0x30, 0x39)], False),
    "D": ([(0x30, 0x39)], True),
    "w": ([(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)], False),
    "W": ([(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)], True),
    "s": (
        [
            (0x09, 0x0D),
            (0x20, 0x20),
            (0xA0, 0xA0),
            (0x1680, 0x1680),
            (0x2000, 0x200A),
            (0x2028, 0x2029),
            (0x202F, 0x202F),
            (0x205F, 0x205F),
            (0x3000, 0x3000),
            (0xFEFF, 0xFEFF),
        ],
        False,
    ),
}
_SETS["S"] = (_SETS["s"][0], True)
_CONTROL = {"f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\x0b"}
_BRACED = re.compile(r"\{([0-9]+)(,([0-9]*))?\}")
# one character or one class of ours (class bodies escape every "]"), safe to quantify bare
_SINGLE = re.compile(r"[A-Za-z0-9]|\\U[0-9a-f]{8}|\[\^?[^\]]*\]")
_GROUP_NAME_REF = re.compile(r"<([^>]*)>")
_DIGITS = re.compile(r"[0-9]+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_JS_NAME = LazyPattern(r"[$A-Za-z_\u0080-\uffff][$0-9A-Za-z_\u0080-\uffff]*")

TIME_LIMIT_SECONDS = 1.0
"""Longest time all the matches of one evaluation may take together."""
MAX_EXPANSION = 100_000
"""Bound on a pattern's size with each repetition's minimum count laid out (`regex`
compiles `a{1000}` as a thousand `a`s): compiling cannot be interrupted."""


def _lit(cp: int) -> str:
    ch = chr(cp)
    if ch.isascii() and ch.isalnum():
        return ch
    return f"\\U{cp:08x}"


def _complement(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    lo = 0
    for a, b in sorted(ranges):
        if a > lo:
            out.append((lo, a - 1))
        lo = max(lo, b + 1)
    if lo <= 0x10FFFF:
        out.append((lo, 0x10FFFF))
    return out


def _class_body(ranges: list[tuple[int, int]]) -> str:
    return "".join(_lit(a) if a == b else f"{_lit(a)}-{_lit(b)}" for a, b in ranges)


@dataclass
class _Translator:
    src: str
    dotall: bool = False
    multiline: bool = False
    pos: int = 0
    groups_total: int = 0
    names: set[str] = field(default_factory=set)
    closed: set[int] = field(default_factory=set)
    closed_names: set[str] = field(default_factory=set)
    opened: int = 0

    def fail(self, message: str) -> JsError:
        return JsError(f"Invalid regular expression: /{self.src}/: {message}")

    def peek(self, k: int = 0) -> str:
        i = self.pos + k
        return self.src[i] if i < len(self.src) else ""

    def prescan(self) -> None:
        """Count capturing groups and collect names (JS resolves \\N against the total)."""
        i, in_class = 0, False
        s = self.src
        while i < len(s):
            c = s[i]
            if c == "\\":
                i += 2
                continue
            if in_class:
                in_class = c != "]"
            elif c == "[":
                in_class = True
            elif c == "(":
                if s.startswith("(?<", i) and not s.startswith(("(?<=", "(?<!"), i):
                    self.groups_total += 1
                    end = s.find(">", i)
                    if end > 0:
                        self.names.add(s[i + 3 : end])
                elif not s.startswith("(?", i):
                    self.groups_total += 1
            i += 1

    def translate(self) -> str:
        self.prescan()
        out, size = self.disjunction()
        if self.pos < len(self.src):
            raise self.fail("Unmatched ')'")
        if size > MAX_EXPANSION:
            raise JsError(
                f"regex limit: /{self.src}/ has repetition counts that lay out {size:,} "
                f"atoms, more than {MAX_EXPANSION:,} — use smaller {{n}} counts"
            )
        return out

    def disjunction(self) -> tuple[str, int]:
        """The pattern and its size with each repetition's minimum count laid out."""
        alts: list[str] = []
        size = 0
        while True:
            alt, alt_size = self.alternative()
            alts.append(alt)
            size += alt_size
            if self.peek() == "|":
                self.pos += 1
                continue
            return "|".join(alts), size

    def alternative(self) -> tuple[str, int]:
        parts: list[str] = []
        size = 0
        while self.pos < len(self.src) and self.peek() not in ("|", ")"):
            atom, quantifiable, atom_size = self.term()
            q = self.quantifier()
            if q is not None:
                if not quantifiable:
                    raise self.fail("Nothing to repeat")
                text, minimum = q
                atom_size *= max(minimum, 1)
                atom = (atom if _SINGLE.fullmatch(atom) else f"(?:{atom})") + text
            # Capped as it grows, so nested counts cannot build a number of a million digits.
            size = min(size + atom_size, MAX_EXPANSION + 1)
            parts.append(atom)
        return "".join(parts), size

    def braced(self) -> re.Match[str] | None:
        return _BRACED.match(self.src, self.pos)

    def quantifier(self) -> tuple[str, int] | None:
        c = self.peek()
        if c in ("*", "+", "?") and c:
            self.pos += 1
            text, minimum = c, (1 if c == "+" else 0)
        elif c == "{" and (m := self.braced()):
            lo = int(m.group(1))
            if m.group(2) is None:
                hi = lo
            elif m.group(3) == "":
                hi = 1 << 32
            else:
                hi = int(m.group(3))
            if hi < lo:
                raise self.fail("numbers out of order in {} quantifier")
            if lo > 0xFFFFFFFE:
                raise JsError("regex limit: repetition count too large")
            self.pos = m.end()
            text = f"{{{lo},}}" if hi == 1 << 32 else f"{{{lo},{min(hi, 0xFFFFFFFE)}}}"
            minimum = lo
        else:
            return None
        if self.peek() == "?":
            self.pos += 1
            text += "?"
        nxt = self.peek()
        if (nxt in ("*", "+", "?") and nxt) or (nxt == "{" and self.braced()):
            raise self.fail("Nothing to repeat")
        return text, minimum

    def term(self) -> tuple[str, bool, int]:  # noqa: PLR0911 - one return per atom kind
        """One atom or assertion: (python text, quantifiable, size with counts laid out)."""
        c = self.peek()
        self.pos += 1
        if c == "^":
            return ("(?:^|(?<=[\\n\\r\\u2028\\u2029]))" if self.multiline else "^"), False, 1
        if c == "$":
            if self.multiline:
                return "(?=[\\n\\r\\u2028\\u2029]|\\Z)", False, 1
            return "\\Z", False, 1
        if c == ".":
            return ("[\\x00-\\U0010ffff]" if self.dotall else "[^\\n\\r\\u2028\\u2029]"), True, 1
        if c == "(":
            return self.group()
        if c == "[":
            return self.char_class(), True, 1
        if c == "\\":
            return self.atom_escape()
        if c in ("*", "+", "?"):
            raise self.fail("Nothing to repeat")
        if c == "{":
            self.pos -= 1
            if self.braced():
                raise self.fail("Nothing to repeat")
            self.pos += 1
        return _lit(ord(c)), True, 1

    def group(self) -> tuple[str, bool, int]:
        quantifiable = True
        if self.peek() == "?":
            kind = self.src[self.pos + 1 : self.pos + 3]
            if kind.startswith(":"):
                self.pos += 2
                prefix = "(?:"
            elif kind.startswith("="):
                self.pos += 2
                prefix = "(?="
            elif kind.startswith("!"):
                self.pos += 2
                prefix = "(?!"
            elif kind in ("<=", "<!"):
                self.pos += 3
                prefix = "(?" + kind
                quantifiable = False
            elif kind.startswith("<"):
                end = self.src.find(">", self.pos)
                name = self.src[self.pos + 2 : end] if end > 0 else ""
                if not _JS_NAME.fullmatch(name):
                    raise self.fail("Invalid capture group name")
                if not _NAME.fullmatch(name):
                    raise JsError(
                        f"regex not supported: group name {name!r} (Python needs [A-Za-z_]\\w*)"
                    )
                self.pos = end + 1
                self.opened += 1
                number = self.opened
                body, size = self.disjunction()
                self.close_paren()
                self.closed.add(number)
                self.closed_names.add(name)
                return f"(?P<{name}>{body})", True, size
            else:
                raise self.fail("Invalid group")
            body, size = self.disjunction()
            self.close_paren()
            return f"{prefix}{body})", quantifiable, size
        self.opened += 1
        number = self.opened
        body, size = self.disjunction()
        self.close_paren()
        self.closed.add(number)
        return f"({body})", True, size

    def close_paren(self) -> None:
        if self.peek() != ")":
            raise self.fail("Unterminated group")
        self.pos += 1

    def backref(self, number: int) -> str:
        # JS: a group that has not captured (yet, or is still open) matches the empty string.
        if number in self.closed:
            return f"(?({number})\\{number})"
        return "(?:)"

    def named_ref(self, name: str) -> str:
        if name in self.closed_names:
            return f"(?({name})(?P={name}))"
        return "(?:)"

    def atom_escape(self) -> tuple[str, bool, int]:
        c = self.peek()
        if c == "":
            raise self.fail("\\ at end of pattern")
        self.pos += 1
        if c == "b":
            return (
                "(?-i:(?:(?<=[0-9A-Z_a-z])(?![0-9A-Z_a-z])|(?<![0-9A-Z_a-z])(?=[0-9A-Z_a-z])))",
                False,
                1,
            )
        if c == "B":
            return (
                "(?-i:(?:(?<=[0-9A-Z_a-z])(?=[0-9A-Z_a-z])|(?<![0-9A-Z_a-z])(?![0-9A-Z_a-z])))",
                False,
                1,
            )
        if c in _SETS:
            ranges, negated = _SETS[c]
            return f"(?-i:[{'^' if negated else ''}{_class_body(ranges)}])", True, 1
        if c.isdigit() and c.isascii() and c != "0":
            start = self.pos - 1
            m = _DIGITS.match(self.src, start)
            number = int(m.group()) if m else 0
            if m is not None and number <= self.groups_total:
                self.pos = m.end()
                return self.backref(number), True, 1
            self.pos = start + 1
        if c == "k" and self.names:
            m = _GROUP_NAME_REF.match(self.src, self.pos)
            if m is None or m.group(1) not in self.names:
                raise self.fail("Invalid named reference")
            self.pos = m.end()
            return self.named_ref(m.group(1)), True, 1
        return _lit(self.character_escape(c, in_class=False)), True, 1

    def character_escape(self, c: str, *, in_class: bool) -> int:  # noqa: PLR0911 - per escape
        """The code unit of an escape whose first character `c` was consumed."""
        if c in _CONTROL:
            return ord(_CONTROL[c])
        if c == "c":
            nxt = self.peek()
            if nxt and (
                (nxt.isascii() and nxt.isalpha()) or (in_class and (nxt.isdigit() or nxt == "_"))
            ):
                self.pos += 1
                return ord(nxt) % 32
            self.pos -= 1  # Annex B: "\c" is a literal backslash; "c" is read next
            return ord("\\")
        if c == "x":
            h = self.src[self.pos : self.pos + 2]
            if len(h) == 2 and all(ch in "0123456789abcdefABCDEF" for ch in h):
                self.pos += 2
                return int(h, 16)
            return ord("x")
        if c == "u":
            h = self.src[self.pos : self.pos + 4]
            if len(h) == 4 and all(ch in "0123456789abcdefABCDEF" for ch in h):
                self.pos += 4
                return int(h, 16)
            return ord("u")
        if c in "01234567":
            digits = c
            limit = 3 if c in "0123" else 2
            while len(digits) < limit and self.peek() and self.peek() in "01234567":
                digits += self.peek()
                self.pos += 1
            return int(digits, 8)
        return ord(c)

    def char_class(self) -> str:
        negated = False
        if self.peek() == "^":
            negated = True
            self.pos += 1
        ranges: list[tuple[int, int]] = []
        while True:
            c = self.peek()
            if c == "":
                raise self.fail("Unterminated character class")
            if c == "]":
                self.pos += 1
                break
            first = self.class_atom()
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.pos += 1
                second = self.class_atom()
                if isinstance(first, int) and isinstance(second, int):
                    if first > second:
                        raise self.fail("Range out of order in character class")
                    ranges.append((first, second))
                    continue
                # Annex B: a class escape at either end makes '-' a literal
                for part in (first, second):
                    ranges.extend([(part, part)] if isinstance(part, int) else part)
                ranges.append((0x2D, 0x2D))
                continue
            ranges.extend([(first, first)] if isinstance(first, int) else first)
        if not ranges:
            return "[\\x00-\\U0010ffff]" if negated else "(?!)"
        return f"[{'^' if negated else ''}{_class_body(ranges)}]"

    def class_atom(self) -> int | list[tuple[int, int]]:
        c = self.peek()
        self.pos += 1
        if c != "\\":
            return ord(c)
        c = self.peek()
        if c == "":
            raise self.fail("\\ at end of pattern")
        self.pos += 1
        if c in _SETS:
            ranges, negated = _SETS[c]
            return _complement(ranges) if negated else list(ranges)
        if c == "b":
            return 0x08
        if c == "-":
            return 0x2D
        if c in "89":
            return ord(c)
        return self.character_escape(c, in_class=True)


@dataclass(frozen=True)
class Compiled:
    source: str
    pattern: regex.Pattern[str]


_CACHE: dict[tuple[str, bool, bool, bool], Compiled] = {}


def compile_js(
    source: str, *, ignore_case: bool, multiline: bool = False, dotall: bool = False
) -> Compiled:
    key = (source, ignore_case, multiline, dotall)
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    t = _Translator(units(source), dotall=dotall, multiline=multiline)
    text = t.translate()
    import regex  # only a condition that matches a pattern pays for it

    try:
        pattern = regex.compile(text, regex.IGNORECASE if ignore_case else 0)
    except regex.error as exc:
        raise JsError(f"regex not supported: /{source}/ cannot be run in Python ({exc})") from exc
    except (RecursionError, OverflowError) as exc:
        raise JsError(f"regex limit: /{source}/ is too complex") from exc
    compiled = Compiled(source, pattern)
    if len(_CACHE) < 256:
        _CACHE[key] = compiled
    return compiled


_deadline: float | None = None  # of the evaluation under way, set by `time_limit`


@contextmanager
def time_limit(seconds: float = TIME_LIMIT_SECONDS) -> Iterator[None]:
    """One evaluation's matches share `seconds`, so a condition of many slow matches cannot
    hold the step (and a SIGTERM) for longer than that."""
    global _deadline  # noqa: PLW0603 - one evaluation at a time, on the main thread
    outer, _deadline = _deadline, time.monotonic() + seconds
    try:
        yield
    finally:
        _deadline = outer


def search(compiled: Compiled, subject: str, *, sticky: bool = False) -> bool:
    """Whether the pattern matches the subject, within the time left to this evaluation."""
    s = units(subject)
    now = time.monotonic()
    left = TIME_LIMIT_SECONDS if _deadline is None else _deadline - now
    try:
        if left <= 0:
            raise TimeoutError
        if sticky:
            return compiled.pattern.match(s, timeout=left) is not None
        return compiled.pattern.search(s, timeout=left) is not None
    except TimeoutError:
        raise JsError(
            f"regex limit: matching /{compiled.source}/ against {len(s)} characters took "
            f"more than the {TIME_LIMIT_SECONDS:g} s a condition's matches may take — "
            "simplify the pattern (a repetition inside a repetition backtracks for ever)"
        ) from None
