"""Masking: a secret never reaches the log, in whatever form a message gives it back.

A server, a proxy or a child's log may echo a secret as written, JSON- or repr-escaped
(once or several times over), percent-encoded (once or twice), as HTML entities, with its
whitespace collapsed or its lines joined, or any mix of these. Rather than list those forms,
each secret becomes one pattern built character by character: a character matches itself or
any of its encodings, and a run of whitespace matches any run of whitespace or escaped
whitespace. So every combination of the forms is masked by the same mechanism
(docs/inputs.md, "Masking: one mechanism for every form").

A credential that is not a text the user wrote is registered as a secret of its own: the
base64 of a proxy's `user:password` (its `Proxy-Authorization` header), added by the
entrypoint.
"""

from __future__ import annotations

import json
import re

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Iterable

MASK = "***"
CUT = "…"
"""Ends a text cut short (`console.clip`): a secret's beginning just before it is masked too."""
MIN_MASKED_LINE = 6
"""A line of a multi-line secret (a PEM key) is masked on its own from this length: a
shorter one (`-----`, `==`) says nothing and would mask ordinary text."""
MIN_MASKED_CUT = 3
"""A secret's beginning left before CUT is masked from this length."""

# Characters no encoding the step meets changes (percent-encoding keeps them, JSON and repr
# never escape them): a secret's longest run of them is in every form of it, which lets
# `mask` skip a secret's pattern for a text that cannot hold it.
_UNRESERVED_TEXT = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
_PLAIN = frozenset(_UNRESERVED_TEXT)
_PLAIN_RUN = re.compile(r"[A-Za-z0-9._~-]+")
# The characters the encodings write their escapes with are encoded in turn when encodings
# are chained (JSON, then percent-encoding: `\u001b` → `%5Cu001b`).
_BACKSLASH = r"(?:\\|%(?:25)*5[cC])"
_BACKSLASHES = _BACKSLASH + "{1,8}"  # an escape, escaped again up to three times over
_AMPERSAND = r"(?:&|%(?:25)*26)"
_SEMICOLON = r"(?:;|%(?:25)*3[bB])"
_HASH = r"(?:#|%(?:25)*23)"
_HTML_NAMES = {"&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "(?:apos|#39)"}
_NAMED_ESCAPES = {"\t": "t", "\n": "n", "\r": "r", "\b": "b", "\f": "f", "\v": "v", "\0": "0"}
# A run of whitespace in a secret matches any run of whitespace characters or of their
# escapes: every escape is accepted there, which can only mask a little more of a text that
# already holds the secret's parts on both sides.
_WHITESPACE = (
    rf"(?:\s|\+|{_BACKSLASHES}(?:[tnrfvab0]|x[0-9a-fA-F]{{2}}|u[0-9a-fA-F]{{4}}|U[0-9a-fA-F]{{8}})"
    rf"|%(?:25)*[0-9a-fA-F]{{2}}|{_AMPERSAND}(?:amp{_SEMICOLON})*"
    rf"(?:{_HASH}[0-9]{{1,7}}|{_HASH}[xX][0-9a-fA-F]{{1,6}}|nbsp){_SEMICOLON})+"
)

# A short key counts as standing alone when no neighbour continues it as a word, a path, a
# host or an encoded text: `demo` is masked in `key: demo` but not in `demo/deploy`.
_WORDISH = r"A-Za-z0-9_.~/%+@-"


class Masker:
    """The secrets of one run and the one mechanism that hides them."""

    def __init__(self) -> None:
        self._secrets: dict[str, _Secret] = {}
        self._ordered: list[_Secret] = []

    def add(self, values: Iterable[str], *, standalone: bool = False) -> None:
        """Mask these values in every form. `standalone`: only where a value stands alone,
        never inside another word (a key too short to be a real one, which would otherwise
        garble every message holding its letters). A value added before keeps its rule."""
        for value in values:
            for text in _texts(value):
                if text and text not in self._secrets:
                    self._secrets[text] = _Secret(text, standalone=standalone)
        # Longest first, so a secret that contains another is masked whole.
        self._ordered = sorted(self._secrets.values(), key=lambda s: len(s.text), reverse=True)

    def mask(self, text: str) -> str:
        for secret in self._ordered:
            text = secret.hide(text)
        if CUT in text and self._ordered:
            pieces = text.split(CUT)
            text = CUT.join([*(self._mask_cut(p) for p in pieces[:-1]), pieces[-1]])
        return text

    def _mask_cut(self, head: str) -> str:
        """`head` with a secret's beginning at its end masked: the text was cut there."""
        for secret in self._ordered:
            if secret.standalone:
                continue
            for form in secret.cut_forms:
                tail = head[-(len(form) - 1) :] if len(form) > 1 else ""
                start = tail.find(form[0])
                while start != -1 and len(tail) - start >= MIN_MASKED_CUT:
                    if form.startswith(tail[start:]):
                        return head[: len(head) - len(tail) + start] + MASK
                    start = tail.find(form[0], start + 1)
        return head


def _texts(value: str) -> list[str]:
    """The value, and each long line of a multi-line value (a log shown line by line)."""
    whole = " ".join(value.split())
    lines = [" ".join(line.split()) for line in value.splitlines()]
    if len(lines) <= 1:
        return [whole]
    return [whole, *(line for line in lines if len(line) >= MIN_MASKED_LINE)]


class _Secret:
    """One secret: its pattern of every form (made when a text first may hold the secret:
    a long PEM key's takes a tenth of a second), and what a text must hold to match it."""

    def __init__(self, text: str, *, standalone: bool) -> None:
        self.text = text
        self.standalone = standalone
        runs = _PLAIN_RUN.findall(text)
        self.anchor = max(runs, key=len) if runs else ""
        self.cut_forms = tuple(dict.fromkeys((text, _json_escaped(text), percent_encoded(text))))
        self._pattern: re.Pattern[str] | None = None

    def hide(self, text: str) -> str:
        if self.anchor not in text:
            return text
        if self._pattern is None:
            self._pattern = _pattern(self.text, standalone=self.standalone)
        return self._pattern.sub(MASK, text)


def _pattern(text: str, *, standalone: bool) -> re.Pattern[str]:
    body = "".join(_WHITESPACE if c == " " else _character(c) for c in text)
    if standalone:
        body = f"(?<![{_WORDISH}]){body}(?![{_WORDISH}])"
    return re.compile(body)


def _character(c: str) -> str:
    """Every way one character of a secret may be written back: as itself, percent-encoded
    or as an HTML entity, or any of those or a code escape after one or more backslashes.
    Longer forms are tried first, so that a match never stops inside an encoding."""
    if c in _PLAIN:
        return c
    code = ord(c)
    direct = _alternatives(
        "".join("%(?:25)*" + _hex(f"{b:02x}") for b in c.encode("utf-8", "surrogatepass")),
        _entity(f"{_HASH}(?:0*{code}|[xX]0*{_hex(f'{code:x}')})"),
        _entity(_HTML_NAMES[c]) if c in _HTML_NAMES else "",
        re.escape(c),
    )
    if code < 0x10000:
        code_escapes = ["u" + _hex(f"{code:04x}")]
    else:
        high, low = _surrogates(code)
        code_escapes = [f"u{_hex(high)}{_BACKSLASHES}u{_hex(low)}"]
    if code < 0x100:
        code_escapes.append("x" + _hex(f"{code:02x}"))
    escaped = _alternatives(
        "U" + _hex(f"{code:08x}"), *code_escapes, _NAMED_ESCAPES.get(c, ""), direct
    )
    return _alternatives(_BACKSLASHES + escaped, direct)


def _alternatives(*ways: str) -> str:
    return "(?:" + "|".join(way for way in ways if way) + ")"


def _entity(name: str) -> str:
    """An HTML entity, its `&` escaped again any number of times (`&amp;quot;`)."""
    return f"{_AMPERSAND}(?:amp{_SEMICOLON})*{name}{_SEMICOLON}"


def _hex(digits: str) -> str:
    """Hex digits in either case: `2f` → `2[fF]`."""
    return "".join(f"[{d.lower()}{d.upper()}]" if d.isalpha() else d for d in digits)


def _surrogates(code: int) -> tuple[str, str]:
    """JSON's escape of a character beyond the first plane: a UTF-16 surrogate pair."""
    offset = code - 0x10000
    return f"{0xD800 + (offset >> 10):04x}", f"{0xDC00 + (offset & 0x3FF):04x}"


def _json_escaped(text: str) -> str:
    return json.dumps(text)[1:-1]


_UNRESERVED = frozenset(_UNRESERVED_TEXT.encode("ascii"))


def percent_encoded(value: str) -> str:
    """`urllib.parse.quote(value, safe="")`, without importing urllib.parse on start-up."""
    return "".join(
        chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in value.encode("utf-8", "surrogatepass")
    )


def basic_credentials(user: str, password: str) -> list[str]:
    """What a `Proxy-Authorization: Basic …` header carries for `user:password`, the base64
    a proxy's refusal may echo back: of its UTF-8, and of its Latin-1 (as requests sends it)."""
    import base64  # only for a proxy with credentials

    pair = f"{user}:{password}"
    forms = {pair.encode("utf-8", "surrogatepass")}
    if all(ord(c) < 0x100 for c in pair):  # else requests could not send it either
        forms.add(pair.encode("latin-1"))
    return sorted(base64.b64encode(raw).decode("ascii") for raw in forms)
