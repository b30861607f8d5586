"""Everything cfstep prints goes through here, so no secret value can reach the log.

Diagnostics go to stderr; data (the dry run's request) to stdout.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterable

TYPE_CHECKING = False  # not from typing: a run never imports typing (issue 5)
if TYPE_CHECKING:
    from typing import TextIO

MASK = "***"


class Console:
    def __init__(self, *, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self._out = out
        self._err = err
        self._secrets: list[str] = []
        # Live logs print from their own threads: one line (or block) at a time.
        self._lock = threading.Lock()

    def add_secrets(self, values: Iterable[str]) -> None:
        """Mask these values, also as they appear JSON-escaped or percent-encoded."""
        forms = set(self._secrets)
        for value in values:
            if value:
                forms.update({value, json.dumps(value)[1:-1], percent_encoded(value)})
        forms.discard("")
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = sorted(forms, key=len, reverse=True)

    def mask(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

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


_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def percent_encoded(value: str) -> str:
    """`urllib.parse.quote(value, safe="")`, without importing urllib.parse on start-up."""
    return "".join(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in value.encode())


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
