"""The one HTTP session factory, on `requests`: a keep-alive session per run for the API, a
keyless one for the hosts that keep a child's log; every request bounded in time and size,
no redirects followed.

- Time: a connect and a read timeout on every call, and a total bound on the whole request
  (the caller's deadline): read timeouts count per read, so a server that drips one byte
  at a time would never trip them; a watchdog cuts the connection when the request's time
  is up, and the body is streamed in chunks with the deadline checked between them. The log
  hosts' requests go the same way (`bounded`); only the live log's event stream, open for
  as long as the child runs, has no total bound: its bound is the silence timeout and the
  stop (`cfstep.logs.stream`), and it is cut by the same `cut_socket`.
- Size: an answer over its limit (`API_BODY_LIMIT` for the API) is an error, never a
  MemoryError.
- Redirects are returned, never followed, so the API key never reaches another host.
- The URL sent is the URL built: requests would decode an escaped `.` in a path, which a
  server then normalises away (`quote_segment`).
- Where a request goes and how it is trusted (proxies, CAs, the key's header) is
  `cfstep.codefresh.network`'s; no session trusts the process environment. What a failed
  request means is `cfstep.codefresh.failures`'.

The retry policy is not here: it is cfstep's own (`cfstep.codefresh.client`), because only
cfstep knows which requests may be sent twice.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import requests
import urllib3

from cfstep.codefresh import failures
from cfstep.codefresh.answers import ApiAnswer
from cfstep.codefresh.connections import Http, sending
from cfstep.codefresh.failures import BadRedirect, BodyTooLarge, NotAUrl, TransportError
from cfstep.codefresh.network import USER_AGENT, auth_header, tls_verify

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

API_BODY_LIMIT = 4 * 1024 * 1024  # a build or annotation list is a few KB
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Timeouts:
    """Seconds for opening the connection, for each read, and for the whole request."""

    connect: float = 5.0
    read: float = 30.0
    total: float = 60.0


class ApiSession:
    """One keep-alive session to CF_URL; every request carries the key."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        insecure: bool = False,
        ca_bundle: str | None = None,
        timeouts: Timeouts | None = None,
        debug: Callable[[str], None] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        environ = os.environ if environ is None else environ
        self.base_url = base_url.rstrip("/")
        self._auth = auth_header(api_key)
        self._timeouts = timeouts or Timeouts()
        self._debug = debug
        self._http = Http(environ, tls_verify(insecure, ca_bundle, environ))

    def url_for(self, path: str, query: Mapping[str, str] | None = None) -> str:
        return with_query(self.base_url + path, query)

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        body: object = None,
        timeout: float | None = None,
    ) -> ApiAnswer:
        """Send one request and read its whole answer within `timeout` seconds (the
        caller's deadline; at most `Timeouts.total`). An answer over `API_BODY_LIMIT` is a
        BodyTooLarge."""
        budget = self._timeouts.total if timeout is None else min(self._timeouts.total, timeout)
        budget = max(0.1, budget)
        headers = {**self._auth, "Accept": "application/json", "User-Agent": USER_AGENT}
        started = time.monotonic()
        try:
            response = self._exchange(
                method, self.url_for(path, query), body, headers, started + budget
            )
        except TransportError as exc:
            self._log(f"{method} {path} -> no answer: {exc}")
            raise
        took = (time.monotonic() - started) * 1000
        self._log(f"{method} {path} -> {response.status} {response.reason} ({took:.0f} ms)")
        return response

    def _exchange(
        self,
        method: str,
        url: str,
        payload: object,
        headers: dict[str, str],
        deadline: float,  # time.monotonic() by which the whole answer must be read
    ) -> ApiAnswer:
        with bounded(
            self._http,
            method,
            url,
            timeouts=self._timeouts,
            deadline=deadline,
            headers=headers,
            payload=payload,
            exact=True,
        ) as answer:
            body = answer.read(API_BODY_LIMIT)
        return ApiAnswer(answer.status, answer.reason, answer.headers, body, url)

    def cut_soon(self, seconds: float) -> None:
        """End the request this thread has in flight within `seconds` (called from a signal
        handler: a stopped step must not wait out a silent server's full time bound)."""
        watch = getattr(sending, "watch", None)
        if watch is not None:
            watch.cut_after(seconds)

    def _log(self, line: str) -> None:
        if self._debug is not None:
            self._debug(line)

    def close(self) -> None:
        self._http.close()


def with_query(url: str, query: Mapping[str, str] | None) -> str:
    if not query:
        return url
    return url + ("&" if "?" in url else "?") + urlencode(query)


class Opened:
    """An answer whose head has arrived; its body is read under the request's deadline."""

    def __init__(
        self,
        response: requests.Response,
        deadline: float,
        read_timeout: float,
        watch: _Watch,
    ) -> None:
        self.status = response.status_code
        self.reason = response.reason or ""
        self.headers = {k.lower(): v for k, v in response.headers.items()}
        self.whole = False  # read to its end: the connection may serve another request
        self._response = response
        self._deadline = deadline
        self._read_timeout = read_timeout
        self._watch = watch

    def chunks(self) -> Iterator[bytes]:
        """The (decompressed) body as it arrives; each read waits at most until the
        deadline, and an end seen after the watchdog's cut is the cut, not the end."""
        raw = self._response.raw
        try:
            while True:
                remaining = self._deadline - time.monotonic()
                if remaining <= 0:
                    raise TransportError(failures.OUT_OF_TIME, maybe_processed=True)
                sock = getattr(raw.connection, "sock", None)
                if sock is not None:
                    sock.settimeout(min(self._read_timeout, remaining))
                chunk = raw.read1(_CHUNK, decode_content=True)
                if not chunk:
                    if self._watch.was_cut:
                        raise TransportError(failures.OUT_OF_TIME, maybe_processed=True)
                    self.whole = True
                    return
                yield chunk
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            late = time.monotonic() >= self._deadline - 0.01  # the read was cut short
            raise failures.broken_body(exc, out_of_time=late) from exc

    def read(self, limit: int) -> bytes:
        """The whole body; BodyTooLarge past `limit` bytes, never more kept."""
        parts: list[bytes] = []
        size = 0
        for chunk in self.chunks():
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge(
                    f"the answer is larger than {limit // 1024 // 1024} MB", maybe_processed=True
                )
            parts.append(chunk)
        return b"".join(parts)


@contextlib.contextmanager
def bounded(
    http: requests.Session,
    method: str,
    url: str,
    *,
    timeouts: Timeouts,
    deadline: float | None = None,
    headers: Mapping[str, str] | None = None,
    payload: object = None,
    exact: bool = False,
) -> Iterator[Opened]:
    """One request and its answer within one time bound: the deadline (a time.monotonic()
    value), else `timeouts.total` from now. A watchdog cuts the connection when the time is
    up, wherever the request is blocked. `exact`: send `url` as built, unchanged."""
    if deadline is None:
        deadline = time.monotonic() + timeouts.total
    with _watching(max(0.1, deadline - time.monotonic())) as watch:
        response = _send(
            http,
            method,
            url,
            timeouts=timeouts,
            deadline=deadline,
            headers=headers,
            payload=payload,
            exact=exact,
            watch=watch,
        )
        opened = Opened(response, deadline, timeouts.read, watch)
        try:
            yield opened
        finally:
            if opened.whole:
                response.raw.release_conn()  # kept alive for the next request
            else:
                response.close()  # its connection cannot serve another request


def open_stream(
    http: requests.Session, url: str, *, headers: Mapping[str, str], timeouts: Timeouts
) -> requests.Response:
    """A long-lived answer (the live log's event stream): its head within `timeouts.total`,
    as for any request; its body has no total bound, since it lasts as long as the child.
    Each read of it waits at most `timeouts.read` (the silence allowed), and the step's stop
    cuts it (`cut_socket`). Redirects are returned, never followed."""
    deadline = time.monotonic() + timeouts.total
    with _watching(timeouts.total) as watch:  # the head only: the body is read under no watchdog
        return _send(
            http,
            "GET",
            url,
            timeouts=timeouts,
            deadline=deadline,
            headers=headers,
            payload=None,
            exact=False,
            watch=watch,
            read_timeout=timeouts.read,  # each read of the body: the silence allowed
        )


@contextlib.contextmanager
def _watching(seconds: float) -> Iterator[_Watch]:
    """The watch of the request this thread sends inside the block, and its watchdog, which
    cuts it in `seconds`; once the block ends its connection is never cut (it may serve the
    next request)."""
    watch = _Watch()
    sending.watch = watch
    watchdog = watch.cut_after(seconds)
    try:
        yield watch
    finally:
        watch.finished = True
        watchdog.cancel()
        sending.watch = None


def _send(
    http: requests.Session,
    method: str,
    url: str,
    *,
    timeouts: Timeouts,
    deadline: float,
    headers: Mapping[str, str] | None,
    payload: object,
    exact: bool,
    watch: _Watch,
    read_timeout: float | None = None,
) -> requests.Response:
    """The request sent, its answer's head read; `read_timeout`: for each read, else
    `timeouts.read` within what the deadline leaves."""
    try:
        prepared = http.prepare_request(
            requests.Request(method, url, headers=dict(headers or {}), json=payload)
        )
    except (requests.RequestException, ValueError) as exc:
        raise NotAUrl("the address is not a URL", maybe_processed=False) from exc
    if exact:
        prepared.url = url
    remaining = max(0.1, deadline - time.monotonic())
    read = min(timeouts.read, remaining) if read_timeout is None else read_timeout
    try:
        return http.send(
            prepared,
            stream=True,
            allow_redirects=False,
            timeout=(min(timeouts.connect, remaining), read),
        )
    except requests.RequestException as exc:
        if watch.was_cut:
            raise TransportError(failures.OUT_OF_TIME, maybe_processed=True) from exc
        raise failures.no_answer(exc, url) from exc
    except ValueError as exc:  # requests reads a redirect's Location even unfollowed
        raise BadRedirect(
            "a redirect to an address that is not a URL, not followed", maybe_processed=True
        ) from exc


def cut_socket(target: socket.socket | int) -> None:
    """Shut a socket (or the one behind a descriptor) down under a read blocked in another
    thread: the read ends at once, and the connection is never used again. The one way the
    step cuts a connection: a request's watchdog, a signal, a live log told to stop.

    Through a duplicate of its descriptor: an SSLSocket's own shutdown would drop its TLS
    state under the reading thread's feet, and closing its response would wait for the
    reader's lock instead of waking it."""
    with contextlib.suppress(OSError):
        fd = target if isinstance(target, int) else target.fileno()
        with socket.socket(fileno=os.dup(fd)) as twin:
            twin.shutdown(socket.SHUT_RDWR)


class _Watch:
    """The connection a request is on, and the watchdog's cut when its time is up."""

    def __init__(self) -> None:
        self.connection: urllib3.connection.HTTPConnection | None = None
        self.was_cut = False
        self.finished = False  # its connection may serve the next request: never cut it

    def cut_after(self, seconds: float) -> threading.Timer:
        """A daemon timer that cuts this request in `seconds` (cancel it if it ends first)."""
        timer = threading.Timer(seconds, self.cut)
        timer.daemon = True
        timer.start()
        return timer

    def cut(self) -> None:
        """From the watchdog's thread. A cut before the connection was made is applied once
        it is (see `_watched`)."""
        if self.finished:
            return
        self.was_cut = True
        sock = getattr(self.connection, "sock", None)
        if sock is not None:
            cut_socket(sock)


def keyless_session(
    environ: Mapping[str, str], *, insecure: bool, ca_bundle: str | None
) -> requests.Session:
    """A session for the hosts that keep a child's log (its database, storage links): the
    same proxies, CAs and User-Agent as the API's, and no credential of any kind."""
    return Http(environ, tls_verify(insecure, ca_bundle, environ))


def new_session(
    base_url: str,
    api_key: str,
    *,
    insecure: bool = False,
    ca_bundle: str | None = None,
    debug: Callable[[str], None] | None = None,
    timeouts: Timeouts | None = None,
    environ: Mapping[str, str] | None = None,
) -> ApiSession:
    """The factory every API call goes through; proxies and CA bundles from `environ` (the
    step's inputs, os.environ when None), so `main(environ=...)` does not also read the
    process's."""
    return ApiSession(
        base_url,
        api_key,
        insecure=insecure,
        ca_bundle=ca_bundle,
        debug=debug,
        timeouts=timeouts,
        environ=environ,
    )
