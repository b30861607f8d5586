"""Everything cfstep prints goes through here, so no secret value and no terminal control
sequence can reach the log.

Diagnostics go to stderr; data (the dry run's requests and what it would change) to stdout.
Every text is made safe for a terminal, then masked (`cfstep.masking`), then written: the
child's log, a server's message and cfstep's own lines alike.
"""

from __future__ import annotations

import functools
import re
import sys
import threading

from cfstep.masking import CUT, MASK, Masker, percent_encoded

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import TextIO

__all__ = [
    "CUT",
    "MASK",
    "Console",
    "clip",
    "duration",
    "one_printable_line",
    "percent_encoded",
    "safe_for_terminal",
    "shown",
]


class Console:
    def __init__(
        self, *, out: TextIO | None = None, err: TextIO | None = None, colour: bool = False
    ) -> None:
        self._out = out
        self._err = err
        self._masker = Masker()
        self.colour = colour  # `paint` colours words; `wants_colour` decides (docs/output.md)
        # Live logs print from their own threads: one line (or block) at a time.
        self._lock = threading.Lock()

    def add_secrets(self, values: Iterable[str], *, standalone: bool = False) -> None:
        """Mask these values, also in every form a message may give them: escaped,
        percent-encoded, whitespace-collapsed, line by line, cut short, or any mix of these.
        `standalone`: only where a value stands alone, never inside a longer word (a key too
        short to be a Codefresh key)."""
        self._masker.add(values, standalone=standalone)

    def mask(self, text: str) -> str:
        """The text as it may be shown: call it on the final text, after any cutting,
        escaping or joining of lines."""
        return self._masker.mask(text)

    def paint(self, text: str, colour: str) -> str:
        """`text` in `colour` (a name of `COLOURS`) when colour is on, else as it is."""
        code = COLOURS.get(colour)
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour and code else text

    def say(self, line: str) -> None:
        self._write(self.mask(safe_for_terminal(line)) + "\n", self._err or sys.stderr)

    def say_lines(self, lines: list[str]) -> None:
        """Several lines in one write: a child's log can be thousands of lines a second."""
        text = safe_for_terminal("\n".join(lines))
        self._write(self.mask(text) + "\n", self._err or sys.stderr)

    def data(self, text: str) -> None:
        self._write(self.mask(safe_for_terminal(text)) + "\n", self._out or sys.stdout)

    def closing_line(self, line: str) -> None:
        """The line a run ends with: exactly one printable line, whatever bytes a server's
        message put into it (README, "Exit codes"; docs/inputs.md)."""
        self._write(self.mask(one_printable_line(line)) + "\n", self._err or sys.stderr)

    def _write(self, text: str, stream: TextIO) -> None:
        with self._lock:
            stream.write(text)
            stream.flush()


# What a terminal acts on instead of showing (docs/inputs.md, "Text from outside, on a
# terminal"). Colour (SGR: `ESC [ … m`)
# is kept, since a child's log is shown as Codefresh shows it; every other sequence is
# dropped whole: CSI (screen clears, cursor moves), OSC (the window title, the clipboard
# with OSC 52), DCS, SOS, PM and APC strings, other ESC sequences, and their 8-bit (C1)
# forms. A control character on its own (a lone ESC, BEL, NUL, a CR not ending a line,
# backspace, DEL, a bidirectional override) is shown escaped, so that nothing can hide or
# overwrite what was printed before it.
_SEQUENCE = (
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[ -/]*[0-~]"
)
_LONE = r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """SGR, lone controls, everything a terminal acts on, and every sequence: compiled when
    a text first holds a control character (2.5 ms of start-up that most runs never need)."""
    return (
        re.compile(r"\x1b\[[0-9;:]*m"),
        re.compile(_LONE),
        re.compile(rf"(?P<crlf>\r+(?=\n))|(?P<sequence>{_SEQUENCE})|{_LONE}"),
        re.compile(_SEQUENCE),
    )


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def safe_for_terminal(text: str) -> str:
    """The text with its colours kept and every other control sequence dropped or shown
    escaped; line breaks (and a CR before one) and tabs are kept."""
    # Most text holds no control at all: every character but line breaks and tabs is
    # printable (each control of `_LONE` is not), checked in C without a pattern.
    if text.replace("\n", "").replace("\t", "").isprintable():
        return text
    sgr, controls, control, _ = _patterns()
    if controls.search(sgr.sub("", text)) is None:  # colours only: a child's usual log
        return text
    return control.sub(_made_safe, text)


def _made_safe(match: re.Match[str]) -> str:
    if match["crlf"] is not None:
        return ""
    sequence = match["sequence"]
    if sequence is not None:
        return sequence if _patterns()[0].fullmatch(sequence) else ""
    return _escaped(match.group())


def one_printable_line(text: str) -> str:
    """The text as one line of printable characters: every control sequence dropped (colour
    too), every other character that is not printable (a line break, a tab, NUL, a lone
    surrogate) shown escaped."""
    if text.isprintable():
        return text
    return escaped(_patterns()[3].sub("", text))


def escaped(text: str) -> str:
    """The text as one line with nothing dropped: every character that is not printable (a
    line break, a tab, ESC, NUL) shown escaped, as Python writes it in a string."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escaped(c) for c in text)


def _escaped(c: str) -> str:
    code = ord(c)
    if c in _NAMED:
        return _NAMED[c]
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


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
