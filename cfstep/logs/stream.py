"""One child's live log: a daemon thread reads Firebase's REST streaming of the child's
`steps` (see the README, "Live logs of the child") and prints new lines through the
Console, reconnecting after a drop or a silence and renewing a revoked token; the replayed
tree is de-duplicated (`cfstep.logs.tree`), so no line shows twice. It never decides
anything: status polling in the main thread keeps the end, the deadline, approvals and
cancel, and stops this thread (`finish` or `stop`, through `cfstep.logs.live`). Any failure here
is one line "live logs stopped: <why>" and the wait goes on.

Time here is real time, not the step's injected clock: it paces a real socket.
"""

from __future__ import annotations

import json
import threading
import time
from urllib.parse import urljoin

from cfstep.codefresh import failures
from cfstep.codefresh.failures import TransportError
from cfstep.codefresh.transport import Timeouts, cut_socket, open_stream, with_query
from cfstep.errors import CfstepError, TransientApiError
from cfstep.logs import location, sse
from cfstep.logs.tree import LogTree

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import TypeVar

    import requests

    from cfstep.codefresh.client import CodefreshClient
    from cfstep.console import Console

    T = TypeVar("T")

SILENCE_SECONDS = 60.0  # no byte at all (Firebase sends keep-alives): reconnect
DRAIN_SECONDS = 5.0  # after the child's end, at most this long for its last lines
SETTLE_SECONDS = 0.2  # every step finished and the stream quiet this long: all is shown
API_SECONDS = 15.0
API_ATTEMPTS = 3
RECONNECTS = 8  # failed connections in a row before live logs stop
READ_BYTES = 64 * 1024
PRINT_BATCH = 2000  # lines per write: few system calls, and no copy of a whole long event
REDIRECTS = 5
# Opening the stream has a total bound, as every request; reading it has none: it lasts as
# long as the child, bounded by the silence allowed and by the stop.
STREAM_TIMEOUTS = Timeouts(
    connect=location.CONNECT_SECONDS,
    read=SILENCE_SECONDS,
    total=location.CONNECT_SECONDS + SILENCE_SECONDS,
)


class _Reconnect(Exception):
    """The stream ended or broke: connect again (the replayed tree is de-duplicated)."""


class _AuthRevoked(Exception):
    """The token expired or was revoked: get a new one, then connect again."""


class LogStream:
    """Follows one child's log in a thread until `finish` or `stop`."""

    def __init__(
        self,
        progress: str,
        *,
        client: Callable[[], CodefreshClient],
        session: Callable[[], requests.Session],
        console: Console,
        label: str = "",
    ) -> None:
        self._progress = progress
        self._new_client = client
        self._new_session = session
        self._console = console
        self._label = label
        self._tree = LogTree()
        self._stopping = threading.Event()
        self._reading = threading.Lock()  # held while `_fd` may be shut down from `stop`
        self._fd: int | None = None  # the stream's socket while it is read
        self._last_event = time.monotonic()
        self._events = 0
        self.failed = False  # live logs stopped early: the log was not all shown
        self._thread = threading.Thread(target=self._run, name="cfstep-live-log", daemon=True)

    def start(self) -> LogStream:
        self._thread.start()
        return self

    def finish(self, *, drain: bool) -> None:
        """The child is done with; `drain` when it ended, so its last lines land first."""
        if drain:
            give_up = time.monotonic() + DRAIN_SECONDS
            while self._thread.is_alive() and time.monotonic() < give_up:
                quiet = time.monotonic() - self._last_event >= SETTLE_SECONDS
                if quiet and self._tree.complete():
                    break
                self._thread.join(0.02)
        self.stop()

    def stop(self, wait: float = 1.0) -> None:
        self.ask_to_stop()
        self._thread.join(wait)

    def ask_to_stop(self) -> None:
        self._stopping.set()
        with self._reading:
            if self._fd is not None:
                _shut_down(self._fd)  # wakes the thread blocked reading it

    # -- the thread -------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._follow()
        except LiveLogStopped as exc:
            if not self._stopping.is_set():
                self.failed = True
                self._say([f"live logs stopped: {exc.message}; the wait goes on"])
        except Exception as exc:  # a log must never take the step down; say it once
            if not self._stopping.is_set():
                self.failed = True
                self._say([f"live logs stopped: {_describe(exc)}; the wait goes on"])

    def _follow(self) -> None:
        client = self._new_client()
        try:
            where = self._api(lambda: location.location(client, self._progress, API_SECONDS))
            if where.kind != "firebase":
                raise LiveLogStopped(
                    f"they are not available for this build (its log is kept at a "
                    f"{where.kind!r} location)"
                )
            auth = self._auth(client)
            session = self._new_session()
            try:
                self._stream_until_stopped(client, session, auth)
            finally:
                session.close()
        finally:
            client.session.close()

    def _auth(self, client: CodefreshClient) -> location.FirebaseAuth:
        auth = self._api(lambda: location.firebase_auth(client, self._progress, API_SECONDS))
        self._console.add_secrets(auth.credentials())
        return auth

    def _api(self, call: Callable[[], T]) -> T:
        """A Codefresh request of the log path: transient trouble is retried a few times,
        in real time (the step's clock belongs to the main thread); a refusal stops."""
        attempts = 0
        while True:
            try:
                return call()
            except TransientApiError as exc:
                attempts += 1
                if attempts == API_ATTEMPTS or self._stopping.wait(2.0**attempts):
                    raise LiveLogStopped(exc.message) from None
            except CfstepError as exc:
                raise LiveLogStopped(exc.message) from None

    def _stream_until_stopped(
        self, client: CodefreshClient, session: requests.Session, auth: location.FirebaseAuth
    ) -> None:
        url = auth.job_url(self._progress) + "/steps.json"
        failures = refusals = 0
        while not self._stopping.is_set():
            seen = self._events
            try:
                self._stream(session, url, auth.token)
                return  # stopped
            except _AuthRevoked:
                refusals = 1 if self._events > seen else refusals + 1
                if refusals > 2:
                    raise LiveLogStopped("the log store refused a fresh token") from None
                auth = self._auth(client)
                continue
            except _Reconnect as exc:
                failures = 1 if self._events > seen else failures + 1
                if failures > RECONNECTS:
                    raise LiveLogStopped(f"{exc}, {RECONNECTS} times in a row") from None
            if self._stopping.wait(min(10.0, 0.1 * 2**failures)):
                return

    def _stream(self, session: requests.Session, url: str, token: str) -> None:
        """Read one connection's events until stopped; _Reconnect when it ends or breaks."""
        response = self._connect(session, url, token)
        try:
            for event in sse.events(self._chunks(response)):
                self._last_event = time.monotonic()
                self._events += 1
                self._handle(event)
        except sse.EventTooLarge as exc:
            raise LiveLogStopped(str(exc)) from None
        except _StreamBroken as exc:
            if not self._stopping.is_set():
                raise _Reconnect(str(exc)) from None
        finally:
            with self._reading:
                self._fd = None
            response.close()
        if not self._stopping.is_set():
            raise _Reconnect("the stream ended")

    def _connect(self, session: requests.Session, url: str, token: str) -> requests.Response:
        for _ in range(REDIRECTS):
            try:
                response = open_stream(
                    session,
                    url if "auth=" in url else with_query(url, {"auth": token}),
                    headers={"Accept": "text/event-stream", "Accept-Encoding": "identity"},
                    timeouts=STREAM_TIMEOUTS,
                )
            except TransportError as exc:  # its words never hold the URL, and so the token
                raise _Reconnect(str(exc)) from None
            if self._stopping.is_set():
                response.close()
                raise _Reconnect("stopped")
            if response.status_code in (301, 302, 303, 307, 308):
                # Firebase moves a stream to another server; the token goes along.
                url = urljoin(url, response.headers.get("location", ""))
                response.close()
                continue
            if response.status_code in (401, 403):
                response.close()
                raise _AuthRevoked
            if response.status_code != 200:
                response.close()
                raise _Reconnect(f"the log store answered {response.status_code}")
            with self._reading:
                self._fd = response.raw.fileno()
            return response
        raise LiveLogStopped("the log store redirected too many times")

    def _chunks(self, response: requests.Response) -> Iterator[bytes]:
        """Bytes as they arrive (`read1`): an event is seen when it is sent, whether the
        stream is chunked or ends with the connection."""
        while not self._stopping.is_set():
            try:
                chunk = response.raw.read1(READ_BYTES)
            except Exception as exc:  # urllib3's and the socket's errors alike
                raise _StreamBroken(_describe(exc)) from None
            if not chunk:
                return
            yield chunk

    def _handle(self, event: sse.Event) -> None:
        match event.name:
            case "put" | "patch":
                try:
                    body = json.loads(event.data)
                    path, data = body["path"], body["data"]
                except (ValueError, KeyError, TypeError):
                    raise _StreamBroken("an unreadable event") from None
                del body  # `data` is all that is kept of a (possibly long) event
                apply = self._tree.put if event.name == "put" else self._tree.patch
                for batch in _batches(apply(str(path), data)):
                    self._say(batch)
            case "auth_revoked":
                raise _AuthRevoked
            case "cancel":
                raise LiveLogStopped("the log store cancelled the stream (no permission)")
            case _:
                pass  # keep-alive, and anything newer

    def _say(self, lines: list[str]) -> None:
        if self._label:
            lines = [f"[{self._label}] {line}" for line in lines]
        self._console.say_lines(lines)


class LiveLogStopped(CfstepError):
    """Live logs end early; said in one line, never an exit code."""


class _StreamBroken(Exception):
    pass


def _batches(lines: Iterator[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) == PRINT_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _shut_down(fd: int) -> None:
    """Wake the thread blocked reading the stream: its socket is cut (closing the response
    from this thread would wait for the reader's lock instead)."""
    cut_socket(fd)


def _describe(exc: BaseException) -> str:
    """What went wrong, in words: never the exception's text, which holds the URL."""
    if isinstance(exc, _StreamBroken):
        return str(exc)
    if failures.timed_out(exc):
        return f"no data for {SILENCE_SECONDS:.0f} s"
    return f"the stream broke ({failures.describe(exc)})"
