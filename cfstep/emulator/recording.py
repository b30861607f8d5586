"""The log of every request the emulator received, including refused and faulted ones."""

from __future__ import annotations

import dataclasses
import json
import threading
from dataclasses import dataclass, field

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from typing import Any


@dataclass
class RecordedRequest:
    """One request as it arrived; `status` is None until answered, and stays None if dropped."""

    method: str
    path: str  # raw path, still percent-encoded, without the query
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    time: float  # emulator clock at arrival
    status: int | None = None
    fault: str | None = None

    @property
    def json(self) -> Any:
        """The body parsed as JSON, or None when it is empty or not JSON."""
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None


@dataclass
class RequestLog:
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _items: list[RecordedRequest] = field(default_factory=list)

    def add(self, request: RecordedRequest) -> RecordedRequest:
        with self._lock:
            self._items.append(request)
        return request

    def finish(self, request: RecordedRequest, status: int | None, fault: str | None) -> None:
        with self._lock:
            request.status = status
            request.fault = fault

    def snapshot(self) -> list[RecordedRequest]:
        """Copies, so a test can inspect them while the server keeps answering."""
        with self._lock:
            return [dataclasses.replace(item) for item in self._items]
