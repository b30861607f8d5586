"""JavaScript values as tevale sees them, in Python.

A JS value is `str`, `float` (every number is a double), `bool`, `None` (null), `dict`
(object) or `list` (array). JS strings are sequences of UTF-16 code units, so lengths,
indexes and ordering are computed on code units, not on code points.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

JsValue = str | float | bool | None | dict[str, object] | list[object]

MAX_STRING = 100_000
"""Longest string an expression may build (tevale has no bound; we need one)."""


class LazyPattern:
    """A regex compiled the first time it is used."""

    def __init__(self, source: str) -> None:
        self._source = source
        self._compiled: re.Pattern[str] | None = None

    def _get(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self._source)
        return self._compiled

    def search(self, text: str) -> re.Match[str] | None:
        return self._get().search(text)

    def findall(self, text: str) -> list[str]:
        return self._get().findall(text)

    def fullmatch(self, text: str) -> re.Match[str] | None:
        return self._get().fullmatch(text)


# ECMAScript WhiteSpace and LineTerminator: what String.prototype.trim and \s use.
JS_WHITESPACE = (
    "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)

# Built on first use: these wide classes take milliseconds to compile, and most conditions
# never need them (the skip path's start-up, docs/performance.md).
_SURROGATE = LazyPattern("[\ud800-\udfff]")
_ASTRAL = LazyPattern("[\U00010000-\U0010ffff]")


class JsError(Exception):
    """An error tevale would throw; turned into ConditionError at the evaluation seam."""


def typeof(value: object) -> str:
    """JavaScript `typeof` (null is 'object')."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"


def arg_type(value: object) -> str:
    """tevale's argument type: `typeof`, but 'null' for null."""
    return "null" if value is None else typeof(value)


def to_js(value: object, depth: int = 0) -> JsValue:
    """Normalise a JSON-like Python value (ints become doubles)."""
    if depth > 100:
        raise JsError("variable nested deeper than 100 levels")
    if value is None or isinstance(value, bool | str | float):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, Mapping):
        return {str(k): to_js(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_js(v, depth + 1) for v in value]
    raise JsError(f"unsupported variable value of type {type(value).__name__}")


# --- strings as UTF-16 ----------------------------------------------------------------


def normalise(text: str) -> str:
    """Join surrogate halves that became neighbours (JS strings are code-unit sequences)."""
    if _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def units(text: str) -> str:
    """The string with each astral character split into its two surrogate code units."""
    if _ASTRAL.search(text) is None:
        return text
    return "".join(_split_astral(ch) for ch in text)


def _split_astral(ch: str) -> str:
    cp = ord(ch)
    if cp < 0x10000:
        return ch
    cp -= 0x10000
    return chr(0xD800 + (cp >> 10)) + chr(0xDC00 + (cp & 0x3FF))


def length(text: str) -> int:
    if _ASTRAL.search(text) is None:
        return len(text)
    return len(text) + len(_ASTRAL.findall(text))


def checked(text: str) -> str:
    """A string result, bounded."""
    if len(text) > MAX_STRING:
        raise JsError(f"string limit: a result of {len(text)} characters exceeds {MAX_STRING}")
    return normalise(text)


def less(a: str, b: str) -> bool:
    """JS `<` on strings: code-unit order."""
    if _ASTRAL.search(a) is None and _ASTRAL.search(b) is None:
        return a < b
    return a.encode("utf-16-be", "surrogatepass") < b.encode("utf-16-be", "surrogatepass")


def substring(text: str, start: float, end: float | None) -> str:
    u = units(text)
    n = len(u)

    def clamp(x: float) -> int:
        if math.isnan(x):
            return 0
        if math.isinf(x):
            return 0 if x < 0 else n
        return min(max(int(x), 0), n)

    lo = clamp(start)
    hi = n if end is None else clamp(end)
    if lo > hi:
        lo, hi = hi, lo
    return normalise(u[lo:hi])


def index_of(text: str, search: str) -> int:
    u, s = units(text), units(search)
    return u.find(s)


def js_trim(text: str, left: bool = True, right: bool = True) -> str:
    if left:
        text = text.lstrip(JS_WHITESPACE)
    if right:
        text = text.rstrip(JS_WHITESPACE)
    return text


def replace_first(text: str, search: str, replacement: str) -> str:
    """`String.prototype.replace` with a string pattern: first occurrence, `$` patterns."""
    u, s = units(text), units(search)
    pos = u.find(s)
    if pos < 0:
        return text
    out: list[str] = []
    r = units(replacement)
    i = 0
    while i < len(r):
        ch = r[i]
        if ch == "$" and i + 1 < len(r):
            nxt = r[i + 1]
            if nxt == "$":
                out.append("$")
                i += 2
                continue
            if nxt == "&":
                out.append(s)
                i += 2
                continue
            if nxt == "`":
                out.append(u[:pos])
                i += 2
                continue
            if nxt == "'":
                out.append(u[pos + len(s) :])
                i += 2
                continue
        out.append(ch)
        i += 1
    return checked(u[:pos] + "".join(out) + u[pos + len(s) :])


# --- numbers ---------------------------------------------------------------------------

_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_RADIX = re.compile(r"0([xXoObB])([0-9a-zA-Z]+)")
_RADIX_BASE = {"x": 16, "o": 8, "b": 2}
_RADIX_DIGITS = {16: "0123456789abcdef", 8: "01234567", 2: "01"}


def string_to_number(text: str) -> float:  # noqa: PLR0911 - one return per grammar branch
    """ECMAScript StringToNumber (what `Number("…")` does)."""
    s = js_trim(text)
    if s == "":
        return 0.0
    if s in ("Infinity", "+Infinity"):
        return math.inf
    if s == "-Infinity":
        return -math.inf
    m = _RADIX.fullmatch(s)
    if m:
        base = _RADIX_BASE[m.group(1).lower()]
        digits = m.group(2).lower()
        if any(c not in _RADIX_DIGITS[base] for c in digits):
            return math.nan
        try:
            return float(int(digits, base))
        except OverflowError:
            return math.inf
    if _DECIMAL.fullmatch(s):
        return float(s)
    return math.nan


def parse_float_literal(raw: str) -> float:
    """`parseFloat` of what jsep gobbled as a number (digits, '.', exponent)."""
    try:
        return float(raw)
    except ValueError:
        return math.nan


def number_to_string(x: float) -> str:  # noqa: PLR0911 - the cases of Number::toString
    """ECMAScript Number::toString(10): `String(2.0)` is '2', `String(1e21)` is '1e+21'."""
    if math.isnan(x):
        return "NaN"
    if x == 0:
        return "0"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    sign = "-" if x < 0 else ""
    from decimal import Decimal  # only for formatting numbers: ~15 ms to import

    tup = Decimal(repr(abs(x))).as_tuple()
    digits = "".join(map(str, tup.digits)).lstrip("0")
    exponent = int(tup.exponent)
    stripped = digits.rstrip("0")
    exponent += len(digits) - len(stripped)
    s, k = stripped, len(stripped)
    n = k + exponent
    if k <= n <= 21:
        return sign + s + "0" * (n - k)
    if 0 < n <= 21:
        return sign + s[:n] + "." + s[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + s
    e = n - 1
    es = ("+" if e >= 0 else "-") + str(abs(e))
    if k == 1:
        return sign + s + "e" + es
    return sign + s[0] + "." + s[1:] + "e" + es


def js_round(x: float) -> float:
    """`Math.round`: halves go up, -0 kept."""
    if math.isnan(x) or math.isinf(x) or x == int(x):
        return x
    r = float(math.floor(x))
    if x - r >= 0.5:
        r += 1.0
    if r == 0 and x < 0:
        return -0.0
    return r


def js_floor(x: float) -> float:
    if math.isnan(x) or math.isinf(x) or x == int(x):
        return x
    return float(math.floor(x))


def divide(a: float, b: float) -> float:
    if b == 0:
        if a == 0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    try:
        return a / b
    except OverflowError:  # pragma: no cover - CPython returns inf for float division
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def modulo(a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or b == 0:
        return math.nan
    if math.isinf(b):
        return a
    return math.fmod(a, b)


def truthy(value: object) -> bool:
    """How tevale turns the final value into a boolean."""
    if value is None:
        return False
    if isinstance(value, dict | list):
        raise JsError("Cannot evaluate object variable directly")
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return not (value == 0 or math.isnan(value))
    if isinstance(value, str):
        return value != ""
    raise JsError("Cannot evaluate object variable directly")
