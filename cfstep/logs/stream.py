"""One child's live log: a daemon thread reads Firebase's REST streaming of the child's
`steps` (see the README, "Live logs of the child") and prints new lines through the
Console. Whatever ends a connection (a drop, the stream's end, a silence, a revoked token),
the one reconnect rule of `cfstep.logs.reconnect` decides the wait before the next and
when a new token may be asked for. The replayed tree is de-duplicated (`cfstep.logs.tree`),
so no line shows twice. It never decides anything: status polling in the main thread keeps
the end, the deadline, approvals and cancel, and stops this thread (`finish` or `stop`,
through `cfstep.logs.live`). Any failure here is one line "live logs stopped: <why>" and the
wait goes on; when the drain at the end gives up, one line says how many lines were missed.

Time here is real time, not the step's injected clock: it paces a real socket.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from urllib.parse import urljoin

from cfstep.codefresh import failures
from cfstep.codefresh.failures import TransportError
from cfstep.codefresh.transport import Timeouts, cut_socket, open_stream, with_query
from cfstep.errors import Cancelled, CfstepError, TransientApiError
from cfstep.logs import location, sse, tail
from cfstep.logs.jsonstream import JsonError
from cfstep.logs.reconnect import BACKOFF, LiveLogStopped, Reconnects
from cfstep.logs.tree import FLUSH_SECONDS, LogTree
from cfstep.timing import jitter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import TypeVar

    import requests

    from cfstep.codefresh.client import CodefreshClient
    from cfstep.console import Console
    from cfstep.timing import Clock, Jitter

    T = TypeVar("T")

__all__ = ["LiveLogStopped", "LogStream"]

SILENCE_SECONDS = 60.0  # no byte at all (Firebase sends keep-alives): reconnect
DRAIN_SECONDS = 5.0  # after the child's end, at most this long for its last lines
SETTLE_SECONDS = 0.2  # every step finished and the stream quiet this long: all is shown
STOP_SECONDS = 1.0  # for the thread to end once asked to
API_SECONDS = 15.0
API_ATTEMPTS = 3
READ_BYTES = 64 * 1024
REDIRECTS = 5

Pause = Callable[[float], object]


class _ConnectAgain(Exception):
    """The stream ended or broke: connect again (the replayed tree is de-duplicated)."""


class _AuthRevoked(Exception):
    """The token expired or was revoked: get a new one, then connect again."""


class LogStream:
    """Follows one child's log in a thread until `finish` or `stop`.

    `pause` is how the thread waits before a reconnect or a retry (tests: a recorder that
    does not wait), `jitter` the backoff's factor, `clock` what times a connection."""

    def __init__(
        self,
        progress: str,
        *,
        client: Callable[[], CodefreshClient],
        session: Callable[[], requests.Session],
        console: Console,
        label: str = "",
        pause: Pause | None = None,
        jitter_factor: Jitter | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self._progress = progress
        self._new_client = client
        self._new_session = session
        self._console = console
        self._label = label
        self._pause = pause or self._wait
        self._jitter = jitter_factor or jitter()
        self._clock = clock
        self._tree = LogTree(mask=console.mask, clock=clock)
        self._tree_lock = threading.Lock()  # events and the flush of held pieces
        self._flusher: threading.Timer | None = None
        self._stopping = threading.Event()
        self._hurry = threading.Event()  # cuts one wait short: the child has ended
        self._reading = threading.Lock()  # held while `_fd` may be shut down from `stop`
        self._fd: int | None = None  # the stream's socket while it is read
        self._last_event = time.monotonic()
        self.failed = False  # live logs stopped early: the log was not all shown
        self.behind = False  # the drain gave up with lines not shown
        self._thread = threading.Thread(target=self._run, name="cfstep-live-log", daemon=True)

    def start(self) -> LogStream:
        self._thread.start()
        return self

    def finish(self, *, drain: bool) -> None:
        """The child is done with; `drain` when it ended, so its last lines land first.
        When they have not all come by the end of the drain, the step says how many did
        not, and `behind` is set (the run then shows the tail)."""
        caught_up = not drain
        if drain:
            self._hurry.set()  # a reconnect waiting out its backoff goes now
            give_up = time.monotonic() + DRAIN_SECONDS
            while self._thread.is_alive() and time.monotonic() < give_up:
                if self._settled():
                    caught_up = True
                    break
                self._thread.join(0.02)
        self.stop()
        # The log has ended: pieces of lines are whole lines. Not waited for long: the
        # thread may be printing a long event it was stopped in.
        if self._tree_lock.acquire(timeout=STOP_SECONDS):
            try:
                self._say(self._tree.flush_held())
            finally:
                self._tree_lock.release()
        if not caught_up and not self.failed:
            self._count_missed()

    def _settled(self) -> bool:
        """Every step finished, nothing arrived for SETTLE_SECONDS, no event being read:
        the log has all been shown."""
        if time.monotonic() - self._last_event < SETTLE_SECONDS:
            return False
        if not self._tree_lock.acquire(blocking=False):
            return False  # an event is being printed
        try:
            return self._tree.complete()
        finally:
            self._tree_lock.release()

    def stop(self, wait: float = STOP_SECONDS) -> None:
        self.ask_to_stop()
        self._thread.join(wait)

    def ask_to_stop(self) -> None:
        self._stopping.set()
        self._hurry.set()
        flusher = self._flusher  # not under the tree lock: an event being printed holds it
        if flusher is not None:
            flusher.cancel()
        with self._reading:
            if self._fd is not None:
                _shut_down(self._fd)  # wakes the thread blocked reading it

    def _count_missed(self) -> None:
        """After a drain that gave up: count, in one read of the log, the lines not shown."""
        client = self._new_client()
        try:
            total = tail.line_count(client, self._new_session(), self._console, self._progress)
        except Cancelled:  # a signal is not a log we cannot read: the step stops
            raise
        except CfstepError as exc:
            self.behind = True
            self._say(
                [f"live logs fell behind: the log's last lines were not shown ({exc.message})"]
            )
            return
        finally:
            client.session.close()
        missed = total - self._tree.lines_shown
        if missed > 0:
            self.behind = True
            self._say([f"live logs fell behind: {missed:,} lines of the log were not shown"])

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
        """A Codefresh request of the log path: transient trouble is retried a few times
        after the one backoff, in real time (the step's clock belongs to the main thread);
        a refusal stops."""
        attempt = 0
        while True:
            try:
                return call()
            except TransientApiError as exc:
                attempt += 1
                if attempt == API_ATTEMPTS or self._paused(BACKOFF.delay(attempt, self._jitter())):
                    raise LiveLogStopped(exc.message) from None
            except CfstepError as exc:
                raise LiveLogStopped(exc.message) from None

    def _stream_until_stopped(
        self, client: CodefreshClient, session: requests.Session, auth: location.FirebaseAuth
    ) -> None:
        url = auth.job_url(self._progress) + "/steps.json"
        reconnects = Reconnects(self._jitter)
        while not self._stopping.is_set():
            began, taken = self._clock(), self._tree.pushes_taken
            try:
                self._stream(session, url, auth.token)
                return  # stopped
            except _AuthRevoked as exc:  # from the stream (an event), or at connecting
                why = "the log store " + ("revoked" if exc.args else "refused") + " a fresh token"
                revoked = True
            except _ConnectAgain as exc:
                why, revoked = str(exc), False
            wait = reconnects.after(
                why,
                revoked=revoked,
                lasted=self._clock() - began,
                new_lines=self._tree.pushes_taken > taken,
            )
            if self._paused(wait):
                return
            if revoked:
                auth = self._auth(client)

    def _paused(self, seconds: float) -> bool:
        """Wait before a reconnect or a retry; True when the stream is to stop instead."""
        self._pause(seconds)
        return self._stopping.is_set()

    def _wait(self, seconds: float) -> None:
        if self._hurry.wait(seconds) and not self._stopping.is_set():
            self._hurry.clear()  # a hurry cuts one wait short, not every wait after it

    def _stream(self, session: requests.Session, url: str, token: str) -> None:
        """Read one connection's events until stopped; _ConnectAgain when it ends or breaks."""
        response = self._connect(session, url, token)
        try:
            for events in sse.batches(self._stamped(self._chunks(response))):
                self._handle(events)
                self._last_event = time.monotonic()
        except sse.EventTooLarge as exc:
            raise LiveLogStopped(str(exc)) from None
        except _StreamBroken as exc:
            if not self._stopping.is_set():
                raise _ConnectAgain(str(exc)) from None
        finally:
            with self._reading:
                self._fd = None
            response.close()
        if not self._stopping.is_set():
            raise _ConnectAgain("the stream ended")

    def _connect(self, session: requests.Session, url: str, token: str) -> requests.Response:
        for _ in range(REDIRECTS):
            try:
                response = open_stream(
                    session,
                    url if "auth=" in url else with_query(url, {"auth": token}),
                    headers={"Accept": "text/event-stream", "Accept-Encoding": "identity"},
                    timeouts=_stream_timeouts(),
                )
            except TransportError as exc:  # its words never hold the URL, and so the token
                raise _ConnectAgain(str(exc)) from None
            if self._stopping.is_set():
                response.close()
                raise _ConnectAgain("stopped")
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
                raise _ConnectAgain(f"the log store answered {response.status_code}")
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

    def _stamped(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        """The chunks, each noted as it arrives: a long event is still coming."""
        for chunk in chunks:
            self._last_event = time.monotonic()
            yield chunk

    def _handle(self, events: list[sse.Event]) -> None:
        """Apply the events that came together, then print what they bring at once, in
        the order of the steps (10,000 small events are a few writes); a piece of a line
        held starts the flush timer."""
        with self._tree_lock:
            try:
                for event in events:
                    match event.name:
                        case "put" | "patch":
                            self._tree.read_event(event.name, event.data)
                        case "auth_revoked":
                            raise _AuthRevoked("revoked")
                        case "cancel":
                            raise LiveLogStopped(
                                "the log store cancelled the stream (no permission)"
                            )
                        case _:
                            pass  # keep-alive, and anything newer
            except JsonError:
                raise _StreamBroken("an unreadable event") from None
            finally:  # what came before an event that breaks the stream is shown too
                self._print_new_lines()
                self._arm_flusher()

    def _print_new_lines(self) -> None:
        for batch in self._tree.new_lines():
            self._say(batch)
            if self._stopping.is_set():
                return  # asked to stop: the rest of a long event is not printed

    def _arm_flusher(self) -> None:
        """With the tree lock held: show pieces of lines still held in FLUSH_SECONDS."""
        if self._tree.holding() and self._flusher is None and not self._stopping.is_set():
            self._flusher = threading.Timer(FLUSH_SECONDS, self._flush_held)
            self._flusher.daemon = True
            self._flusher.start()

    def _flush_held(self) -> None:
        with self._tree_lock:
            self._flusher = None
            if not self._stopping.is_set():
                self._say(self._tree.flush_held(older_than=FLUSH_SECONDS))
                self._arm_flusher()

    def _say(self, lines: list[str]) -> None:
        if not lines:
            return
        if self._label:
            lines = [f"[{self._label}] {line}" for line in lines]
        self._console.say_lines(lines)


class _StreamBroken(Exception):
    pass


def _stream_timeouts() -> Timeouts:
    """Opening the stream has a total bound, as every request; reading it has none: it lasts
    as long as the child, bounded by the silence allowed and by the stop."""
    return Timeouts(
        connect=location.CONNECT_SECONDS,
        read=SILENCE_SECONDS,
        total=location.CONNECT_SECONDS + SILENCE_SECONDS,
    )


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
