"""Fault injection: make chosen requests fail the ways real networks and proxies do."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

# kind -> (default status, whether the request is processed before the fault shows)
KINDS: dict[str, tuple[int, bool]] = {
    "status": (503, False),
    "delay": (200, True),
    "drop_before": (0, False),
    "drop_after": (0, True),
    "malformed_json": (200, True),
    "html": (502, False),
    "empty": (200, True),
    "redirect": (307, False),
}


@dataclass(frozen=True)
class Fault:
    """Applied to the next `times` requests (-1: all) matching method and raw path prefix.

    `status` defaults per kind: 503 for `status`, 502 for `html`, 307 for `redirect`.
    `delay` is in real seconds: it exercises the client's read timeout, not the fake clock.
    """

    method: str | None
    path_prefix: str
    kind: str
    times: int = 1
    status: int | None = None
    retry_after: str | None = None
    delay: float = 0.0
    location: str | None = None
    body: bytes | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {sorted(KINDS)}")
        if self.times == 0 or self.times < -1:
            raise ValueError("times must be a positive count or -1 (always)")
        if self.kind == "redirect" and not self.location:
            raise ValueError("a redirect fault needs a location")

    @property
    def effective_status(self) -> int:
        return self.status if self.status is not None else KINDS[self.kind][0]

    @property
    def processes(self) -> bool:
        """True when the request is handled normally before (or despite) the fault."""
        return KINDS[self.kind][1]

    def matches(self, method: str, path: str) -> bool:
        method_ok = self.method is None or self.method.upper() == method.upper()
        return method_ok and path.startswith(self.path_prefix)


@dataclass
class _Armed:
    fault: Fault
    left: int  # -1: for ever


@dataclass
class FaultBook:
    """Faults in the order they were added, each with the uses it has left."""

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _entries: list[_Armed] = field(default_factory=list)

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._entries.append(_Armed(fault, fault.times))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The first fault that matches, using up one of its times."""
        with self._lock:
            for armed in self._entries:
                if armed.left != 0 and armed.fault.matches(method, path):
                    if armed.left > 0:
                        armed.left -= 1
                    return armed.fault
            return None
