"""Everything cfstep prints goes through here, so no secret value can reach the log.

Diagnostics go to stderr; data (the dry run's request) to stdout.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterable, Mapping

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from typing import TextIO

MASK = "***"
CUT = "…"
"""Ends a text cut short (`clip`): a secret's beginning just before it is masked too."""
MIN_MASKED_LINE = 6
"""A line of a multi-line secret (a PEM key) is masked on its own from this length: a
shorter one (`-----`, `==`) says nothing and would mask ordinary text."""
MIN_MASKED_CUT = 3
"""A secret's beginning left before CUT is masked from this length."""


class Console:
    def __init__(
        self, *, out: TextIO | None = None, err: TextIO | None = None, colour: bool = False
    ) -> None:
        self._out = out
        self._err = err
        self.colour = colour  # `paint` colours words; `wants_colour` decides (docs/output.md)
        self._secrets: list[str] = []
        # Live logs print from their own threads: one line (or block) at a time.
        self._lock = threading.Lock()

    def add_secrets(self, values: Iterable[str]) -> None:
        """Mask these values, also in every form a message may give them: escaped,
        percent-encoded, whitespace-collapsed, line by line, or cut short."""
        forms = set(self._secrets)
        for value in values:
            if value:
                forms.update(_forms(value))
        forms.discard("")
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = sorted(forms, key=len, reverse=True)

    def mask(self, text: str) -> str:
        """The text as it may be shown: call it on the final text, after any cutting,
        escaping or joining of lines."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        if CUT in text and self._secrets:
            pieces = text.split(CUT)
            text = CUT.join([*(self._mask_cut(p) for p in pieces[:-1]), pieces[-1]])
        return text

    def _mask_cut(self, head: str) -> str:
        """`head` with a secret's beginning at its end masked: the text was cut there."""
        for secret in self._secrets:
            tail = head[-(len(secret) - 1) :] if len(secret) > 1 else ""
            start = tail.find(secret[0])
            while start != -1 and len(tail) - start >= MIN_MASKED_CUT:
                if secret.startswith(tail[start:]):
                    return head[: len(head) - len(tail) + start] + MASK
                start = tail.find(secret[0], start + 1)
        return head

    def paint(self, text: str, colour: str) -> str:
        """`text` in `colour` (a name of `COLOURS`) when colour is on, else as it is."""
        code = COLOURS.get(colour)
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour and code else text

    def say(self, line: str) -> None:
        self._write(self.mask(line) + "\n", self._err or sys.stderr)

    def say_lines(self, lines: list[str]) -> None:
        """Several lines in one write: a child's log can be thousands of lines a second."""
        self._write(self.mask("\n".join(lines)) + "\n", self._err or sys.stderr)

    def data(self, text: str) -> None:
        self._write(self.mask(text) + "\n", self._out or sys.stdout)

    def _write(self, text: str, stream: TextIO) -> None:
        with self._lock:
            stream.write(text)
            stream.flush()


COLOURS = {"red": "31", "green": "32", "yellow": "33", "cyan": "36"}
"""SGR colour codes by name: the foreground colours every terminal has."""


def wants_colour(environ: Mapping[str, str], stream: TextIO) -> bool:
    """Colour when `stream` is a terminal that is not `dumb`; never with NO_COLOR
    (no-color.org: set and not empty), always with FORCE_COLOR (set, not empty and not
    `0` or `false`), so that a pipeline's log, which is no terminal, gets colour only when
    asked."""
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR", "").strip().lower() not in ("", "0", "false"):
        return True
    try:
        terminal = stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream: no colour
        return False
    return terminal and environ.get("TERM") != "dumb"


def shown(value: str, limit: int = 80) -> str:
    """A value quoted for a message, cut so a huge input does not flood the log."""
    text = value if len(value) <= limit else value[:limit] + f"…({len(value)} chars)"
    return repr(text)


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, ending in CUT when cut, so that `Console.mask` still
    masks a secret cut in half."""
    return text if len(text) <= limit else text[:limit] + CUT


def _forms(value: str) -> set[str]:
    """The secret as messages may show it: as is, with its whitespace collapsed or its lines
    joined; each of those JSON-escaped, repr-escaped, with `\\` doubled, `"` escaped, line
    breaks written `\\n`, percent-encoded; and each long line of a multi-line secret."""
    found: set[str] = set()
    for text in {value, " ".join(value.split()), " ".join(value.splitlines())}:
        found.update(
            {
                text,
                json.dumps(text)[1:-1],
                json.dumps(text, ensure_ascii=False)[1:-1],
                repr(text)[1:-1],
                text.replace("\\", "\\\\"),
                text.replace('"', '\\"'),
                text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r"),
                percent_encoded(text),
            }
        )
    lines = [line.strip() for line in value.splitlines()]
    if len(lines) > 1:
        found.update(line for line in lines if len(line) >= MIN_MASKED_LINE)
    return found


_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def percent_encoded(value: str) -> str:
    """`urllib.parse.quote(value, safe="")`, without importing urllib.parse on start-up."""
    return "".join(
        chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in value.encode("utf-8", "surrogatepass")
    )


def duration(seconds: float) -> str:
    """`42s`, `3m05s`, `1h02m`: how long, for a person reading the log."""
    whole = int(seconds)
    if whole < 60:
        return f"{seconds:.0f}s" if seconds >= 10 else f"{seconds:.1f}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
