"""The hosts a child's log lives on, on a second 127.0.0.1 listener (another host, as for
Codefresh): a Firebase-like database that streams a build's steps as they are written, and
the storage a finished build's log is archived to. Neither wants the API key; every request
is recorded so tests can check that none arrived.

Firebase's REST streaming, as the client sees it: `GET <root>/<progress>/steps.json?auth=T`
with `Accept: text/event-stream` → `put` (the whole tree first), then `patch`/`put` as lines
and statuses change, `keep-alive` when quiet; without that Accept header, one JSON answer.
JSON is sent compact, as Firebase sends it.

Shapes a test can ask for, besides the faults (LOG_FAULT_KINDS):
- `raw_pushes`: a step's scenario lines are pushes as the logger wrote them, no line ending
  added: `["token HUNT", "ER2 done\r\n"]` is one line written in two pieces;
- `line_events="put"`: each push is its own `put` at its path (Firebase's event for one
  write), not batched into `patch`es of `lines_per_event`;
- `storage_form="text"`: the archived log is plain text, not JSON;
- `script(...)`: stream connections play given events instead of the build's steps.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import select
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from cfstep.emulator.steplog import StepState

TICK_SECONDS = 0.01  # how often a stream looks for new lines (real time)
LINES_PER_EVENT = 1000
HUGE_EVENT_BYTES = 17 * 1024 * 1024

# kind -> what it does to one stream connection (after `after` events, where that matters)
LOG_FAULT_KINDS = frozenset(
    {
        "redirect",  # 307 to another path of the database; the client must keep `auth`
        "drop",  # the connection is cut
        "auth_revoked",  # the token is revoked and the stream says so
        "cancel",  # the database cancels the stream (permission lost)
        "no_keepalive",  # no keep-alive events on this connection
        "stall",  # nothing more at all, the connection held open
        "garbage",  # a `put` whose data is not JSON
        "huge",  # one event larger than any client should hold
        "bad_token",  # firebaseAuth hands out a token the database refuses
    }
)

_STREAM_PATH = re.compile(r"(?:/moved)?/fb(/build-logs)?/([^/]+)/steps\.json")
_STORAGE_PATH = re.compile(r"/storage/([^/]+)\.json")


@dataclass(frozen=True)
class LogFault:
    kind: str
    after: int = 0  # events sent on the connection before it strikes
    times: int = 1  # connections (or tokens, for bad_token) it strikes; -1: all

    def __post_init__(self) -> None:
        if self.kind not in LOG_FAULT_KINDS:
            raise ValueError(f"unknown log fault {self.kind!r}; known: {sorted(LOG_FAULT_KINDS)}")


@dataclass(frozen=True)
class LogRequest:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names


@dataclass
class _Armed:
    fault: LogFault
    left: int


# One stream connection, scripted: (event, data) played in order. Events: `put`, `patch`
# (data: {"path", "data"}), `keep-alive`, `cancel`, `auth_revoked` (the token is revoked),
# and two that are not events: `drop` (the connection is cut) and `stall` (it is held open,
# silent, until the client leaves). At the end of the list the stream ends.
Connection = list[tuple[str, Any]]


StepsOf = Callable[[str], "list[StepState] | None"]


@dataclass
class LogStore:
    """The database and the storage; `steps_of(progress)` gives a build's steps now."""

    steps_of: StepsOf
    build_status: Callable[[str], str | None]
    wall: Callable[[float], float]  # clock time -> epoch seconds
    host: str = "127.0.0.1"
    new_structure: bool = False  # firebaseAuth's flag: where the job's data is rooted
    chunked: bool = True  # False: the stream is delimited by closing the connection
    keepalive_seconds: float = 20.0
    archive_seconds: float = 60.0  # clock seconds after its end a build's log is archived
    # False: every log is served from storage, as for a client that reads no live log (the
    # official CLI's Firebase SDK cannot read this database)
    live: bool = True
    raw_pushes: bool = False
    line_events: str = "patch"  # or "put": one event per push
    lines_per_event: int = LINES_PER_EVENT
    storage_form: str = "json"  # or "text"
    requests: list[LogRequest] = field(default_factory=list)
    open_streams: int = 0
    _tokens: set[str] = field(default_factory=set)
    _faults: list[_Armed] = field(default_factory=list)
    _script: list[Connection] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)

    # -- what the API and tests use ------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the log store is not running")
        return f"http://{self.host}:{self._server.server_port}"

    def firebase_auth(self) -> dict[str, Any]:
        token = secrets.token_urlsafe(24)
        if self._take(frozenset({"bad_token"})) is None:
            with self._lock:
                self._tokens.add(token)
        return {"url": f"{self.url}/fb", "accessToken": token, "newStructure": self.new_structure}

    def storage_url(self, progress: str) -> str:
        return f"{self.url}/storage/{progress}.json"

    def add_fault(self, fault: LogFault) -> None:
        with self._lock:
            self._faults.append(_Armed(fault, fault.times))

    def script(self, connections: list[Connection]) -> None:
        """Stream connections play these, one each, in order, instead of the build's steps;
        once all are played, every connection gets `cancel`."""
        with self._lock:
            self._script = list(connections)

    def recorded(self) -> list[LogRequest]:
        with self._lock:
            return list(self.requests)

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        self._stopping.clear()
        server = ThreadingHTTPServer((self.host, 0), _Handler)
        server.daemon_threads = True
        server.store = self  # type: ignore[attr-defined]
        self._server = server
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        ).start()

    def stop(self) -> None:
        server, self._server = self._server, None
        self._stopping.set()
        if server is not None:
            server.shutdown()
            server.server_close()

    # -- internals ------------------------------------------------------------------------

    def _take(self, kinds: frozenset[str]) -> LogFault | None:
        with self._lock:
            for armed in self._faults:
                if armed.left != 0 and armed.fault.kind in kinds:
                    armed.left -= armed.left > 0
                    return armed.fault
            return None

    def _token_ok(self, token: str | None) -> bool:
        with self._lock:
            return token in self._tokens

    def _revoke(self, token: str | None) -> None:
        with self._lock:
            self._tokens.discard(token or "")

    def _record(self, request: LogRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _streaming(self, delta: int) -> None:
        with self._lock:
            self.open_streams += delta

    def tree(self, steps: list[StepState], *, lines: bool = True) -> dict[str, Any]:
        return {s.key: self.step_json(s, lines=lines) for s in steps}

    def step_json(self, step: StepState, *, lines: bool = True) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "name": step.name,
            "status": step.status,
            "creationTimeStamp": int(self.wall(step.created)),
        }
        if step.finished is not None:
            doc["finishTimeStamp"] = int(self.wall(step.finished))
        if lines:
            doc["logs"] = {step.push_id(i): self.push_text(step, i) for i in range(step.written)}
        return doc

    def push_text(self, step: StepState, index: int) -> str:
        return step.spec.lines[index] if self.raw_pushes else step.text(index)

    def _next_connection(self) -> Connection | None:
        """The scripted connection to play next (None: not scripted)."""
        with self._lock:
            if self._script is None:
                return None
            return self._script.pop(0) if self._script else [("cancel", "permission denied")]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: ThreadingHTTPServer

    @property
    def store(self) -> LogStore:
        return self.server.store  # type: ignore[attr-defined, no-any-return]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        split = urlsplit(self.path)
        query = parse_qs(split.query)
        self.store._record(
            LogRequest(split.path, query, {k.lower(): v for k, v in self.headers.items()})
        )
        stored = _STORAGE_PATH.fullmatch(split.path)
        if stored:
            self._storage(stored.group(1))
            return
        streamed = _STREAM_PATH.fullmatch(split.path)
        if streamed is None or (streamed.group(1) is None) != self.store.new_structure:
            self._json(404, {"error": "no such path (check newStructure: where the root is)"})
            return
        token = query.get("auth", [""])[0]
        if not self.store._token_ok(token):
            self._json(401, {"error": "Permission denied"})
            return
        progress = streamed.group(2)
        steps = self.store.steps_of(progress)
        if steps is None:
            self._json(200, None)  # Firebase: an absent path is null
        elif "text/event-stream" in self.headers.get("accept", ""):
            with contextlib.suppress(OSError):  # the client went away
                self._stream(progress, split.path, token)
        else:
            self._json(200, self.store.tree(steps))

    def _storage(self, progress: str) -> None:
        steps = self.store.steps_of(progress)
        if steps is None:
            self._json(404, {"error": "NoSuchKey"})
            return
        if self.store.storage_form == "text":
            text = "".join(self.store.push_text(s, i) for s in steps for i in range(s.written))
            self._body(200, text.encode(), "text/plain; charset=utf-8")
            return
        docs = []
        for step in steps:
            doc = self.store.step_json(step, lines=False)
            doc["logs"] = [self.store.push_text(step, i) for i in range(step.written)]
            docs.append(doc)
        self._json(200, {"steps": docs, "status": self.store.build_status(progress)})

    def _json(self, status: int, value: Any) -> None:
        self._body(status, _compact(value).encode(), "application/json; charset=utf-8")

    def _body(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):  # a client may stop reading (a log over its cap)
            self.wfile.write(body)

    # -- the stream --------------------------------------------------------------------------

    def _stream(self, progress: str, path: str, token: str | None) -> None:
        store = self.store
        fault = store._take(LOG_FAULT_KINDS - {"bad_token"})
        if fault is not None and fault.kind == "redirect" and not path.startswith("/moved"):
            self.send_response(307)
            self.send_header("Location", f"{store.url}/moved{path}")  # no query: keep auth!
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        if store.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        store._streaming(+1)
        try:
            scripted = store._next_connection()
            if scripted is not None:
                _Scripted(self, token, scripted).run()
            else:
                _Stream(self, progress, token, fault).run()
        finally:
            store._streaming(-1)
            self.close_connection = True

    def send_event(self, name: str, data: Any, raw: str | None = None) -> None:
        text = raw if raw is not None else _compact(data)
        self.send_raw(f"event: {name}\ndata: {text}\n\n".encode())

    def send_raw(self, payload: bytes) -> None:
        """Events already written out, sent in one write (one chunk when chunked)."""
        if self.store.chunked:
            payload = f"{len(payload):x}\r\n".encode() + payload + b"\r\n"
        self.wfile.write(payload)

    def client_gone(self, wait: float) -> bool:
        """Wait up to `wait` seconds; True once the client has closed its end."""
        readable, _, _ = select.select([self.connection], [], [], wait)
        if not readable:
            return False
        try:
            return bool(self.connection.recv(1024) == b"")
        except OSError:
            return True


class _Stream:
    """One streaming connection: the tree first, then what changes, tick after tick."""

    def __init__(
        self, handler: _Handler, progress: str, token: str | None, fault: LogFault | None
    ) -> None:
        self.handler = handler
        self.store = handler.store
        self.progress = progress
        self.token = token
        self.fault = fault
        self.events = 0
        self.sent: dict[str, tuple[str, bool, int]] = {}  # key -> (status, finished, lines)
        self.last_sent = time.monotonic()
        self.batch: list[bytes] | None = None  # events of this tick, written together
        self.over = 0  # steps before this one are over and were sent whole

    def run(self) -> None:
        if self._strike():  # a fault `after: 0` strikes before the tree
            return
        steps = self.store.steps_of(self.progress) or []
        self._event("put", {"path": "/", "data": self.store.tree(steps) or None})
        self.sent = {s.key: (s.status, s.finished is not None, s.written) for s in steps}
        while not self.store._stopping.is_set():
            if self._strike():
                return
            if self.handler.client_gone(TICK_SECONDS):
                return
            self._send_changes()
            self._keep_alive()

    def _strike(self) -> bool:
        """Apply the connection's fault once its time has come; True to end the stream."""
        fault = self.fault
        if fault is None or self.events < fault.after or fault.kind == "no_keepalive":
            return False
        self.fault = None
        match fault.kind:
            case "drop":
                return True
            case "auth_revoked":
                self.store._revoke(self.token)
                self._event("auth_revoked", "credential is no longer valid")
                return True
            case "cancel":
                self._event("cancel", "permission denied")
                return True
            case "stall":
                while not self.store._stopping.is_set():
                    if self.handler.client_gone(0.05):
                        break
                return True
            case "garbage":
                self.handler.send_event("put", None, raw='{"path": "/", "data": {not json')
            case "huge":
                self._event("put", {"path": "/padding", "data": "x" * HUGE_EVENT_BYTES})
        return False

    def _send_changes(self) -> None:
        """What changed since the last tick; without a fault to time, all of it in one
        write (10,000 new steps in a tick are 10,000 events, not 10,000 writes)."""
        if self.fault is None:
            self.batch = []
        try:
            self._changes()
        finally:
            batch, self.batch = self.batch, None
            if batch:
                self.handler.send_raw(b"".join(batch))

    def _changes(self) -> None:
        steps = self.store.steps_of(self.progress) or []
        for step in steps[self.over :]:
            before = self.sent.get(step.key)
            if before is None and self.store.line_events == "put":
                meta = self.store.step_json(step, lines=False)
                self._event("put", {"path": f"/{step.key}", "data": meta})
                self._send_lines(step, 0)
            elif before is None:
                self._event("put", {"path": f"/{step.key}", "data": self.store.step_json(step)})
            else:
                self._send_lines(step, before[2])
                if before[:2] != (step.status, step.finished is not None):
                    meta = self.store.step_json(step, lines=False)
                    self._event("patch", {"path": f"/{step.key}", "data": meta})
            self.sent[step.key] = (step.status, step.finished is not None, step.written)
        # Steps over and sent in full never change again: not looked at on the next tick.
        while self.over < len(steps) and self._sent_in_full(steps[self.over]):
            self.over += 1

    def _sent_in_full(self, step: StepState) -> bool:
        final = step.finished is not None and step.written == len(step.spec.lines)
        return final and self.sent.get(step.key) == (step.status, True, step.written)

    def _send_lines(self, step: StepState, already: int) -> None:
        text = self.store.push_text
        if self.store.line_events == "put":
            for i in range(already, step.written):
                self._event(
                    "put", {"path": f"/{step.key}/logs/{step.push_id(i)}", "data": text(step, i)}
                )
            return
        for start in range(already, step.written, self.store.lines_per_event):
            end = min(step.written, start + self.store.lines_per_event)
            batch = {f"{step.key}/logs/{step.push_id(i)}": text(step, i) for i in range(start, end)}
            self._event("patch", {"path": "/", "data": batch})

    def _keep_alive(self) -> None:
        quiet = time.monotonic() - self.last_sent >= self.store.keepalive_seconds
        if quiet and not (self.fault is not None and self.fault.kind == "no_keepalive"):
            self._event("keep-alive", None)

    def _event(self, name: str, data: Any) -> None:
        if self.batch is not None:
            self.batch.append(f"event: {name}\ndata: {_compact(data)}\n\n".encode())
        else:
            self.handler.send_event(name, data)
        self.last_sent = time.monotonic()
        if name in ("put", "patch"):
            self.events += 1


class _Scripted:
    """One stream connection that plays a script (`LogStore.script`)."""

    def __init__(self, handler: _Handler, token: str | None, events: Connection) -> None:
        self.handler = handler
        self.token = token
        self.events = events

    def run(self) -> None:
        for name, data in self.events:
            if name == "drop":
                return
            if name == "stall":
                while not self.handler.store._stopping.is_set():
                    if self.handler.client_gone(0.05):
                        return
                return
            if name == "auth_revoked":
                self.handler.store._revoke(self.token)
            self.handler.send_event(name, data)
        if self.handler.store.chunked:  # the stream ends cleanly: its last chunk
            self.handler.wfile.write(b"0\r\n\r\n")


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
