"""The one HTTP session factory, on `requests`: one keep-alive session per run, every request
bounded in time and size, no redirects followed.

- Time: a connect and a read timeout on every call, and a total bound on the whole request
  (the caller's deadline): read timeouts count per read, so a server that drips one byte
  at a time would never trip them; a watchdog cuts the connection when the request's time
  is up, and the body is streamed in chunks with the deadline checked between them.
- Size: an answer over `API_BODY_LIMIT` is an error, never a MemoryError (a child's log
  is read elsewhere, as a stream: `cfstep.logs.tail`).
- Redirects are returned, never followed, so the API key never reaches another host.
- Where a request goes and how it is trusted (proxies, CAs, the key's header) is
  `cfstep.codefresh.network`'s; the session applies it and trusts nothing of the process
  environment.

The retry policy is not here: it is cfstep's own (`cfstep.codefresh.client`), because only
cfstep knows which requests may be sent twice. This module only says whether a failed request
may have reached the server (`TransportError.maybe_processed`).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from cfstep.codefresh.network import USER_AGENT, auth_header, proxies_for, tls_verify

TYPE_CHECKING = False  # not from typing: a run never imports typing itself
if TYPE_CHECKING:
    from typing import Any

API_BODY_LIMIT = 4 * 1024 * 1024  # a build or annotation list is a few KB
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Timeouts:
    """Seconds for opening the connection, for each read, and for the whole request."""

    connect: float = 5.0
    read: float = 30.0
    total: float = 60.0


@dataclass(frozen=True)
class ApiAnswer:
    status: int
    reason: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    url: str

    def json(self) -> object:
        """The body as JSON; ValueError when it is not, or nests too deep to read (the
        parser's RecursionError is not a bug of the step but an unreadable answer)."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except RecursionError as exc:
            raise ValueError("the answer nests too deep") from exc

    def text(self, limit: int = 300) -> str:
        return self.body.decode("utf-8", "replace")[:limit]

    def retry_after(self) -> float | None:
        """Retry-After in seconds (the delta form; an HTTP date is read as absent)."""
        value = self.headers.get("retry-after", "").strip()
        try:
            seconds = float(value)
        except ValueError:
            return None
        return seconds if 0 <= seconds < 86_400 else None


class TransportError(Exception):
    """No usable HTTP answer: refused, timed out, dropped. `maybe_processed` when the request
    may have reached the server, so it may have acted on it. `retryable` is False when
    sending again cannot help (an untrusted certificate, an oversized answer)."""

    retryable = True

    def __init__(self, message: str, *, maybe_processed: bool) -> None:
        super().__init__(message)
        self.maybe_processed = maybe_processed


class TlsVerifyError(TransportError):
    """CF_URL's certificate is not trusted: the same on every attempt."""

    retryable = False


class BodyTooLarge(TransportError):
    retryable = False


class BadRedirect(TransportError):
    """A 3xx whose Location is not a URL: never followed, and the same on every attempt."""

    retryable = False


class ProxyRefused(TransportError):
    """The proxy wants other credentials (407): the same ones would be refused again."""

    retryable = False


class ApiSession:
    """One keep-alive `requests.Session` to CF_URL; every request carries the key."""

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
        self._insecure = insecure
        self._verify = tls_verify(insecure, ca_bundle, environ)
        self._http = requests.Session()
        self._http.trust_env = False  # proxies and CAs come from `environ`, below
        for prefix in ("http://", "https://"):
            self._http.mount(prefix, _WatchedAdapter())
        self._http.proxies.update(proxies_for(self.base_url, environ))

    def url_for(self, path: str, query: Mapping[str, str] | None = None) -> str:
        return self.base_url + path + (f"?{urlencode(query)}" if query else "")

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
                method,
                self.url_for(path, query),
                body,
                headers,
                started + budget,
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
        remaining = max(0.1, deadline - time.monotonic())
        watch = _Watch()
        _sending.watch = watch
        watchdog = watch.cut_after(remaining)
        try:
            return self._send(method, url, payload, headers, deadline)
        finally:
            watch.finished = True
            watchdog.cancel()
            _sending.watch = None

    def cut_soon(self, seconds: float) -> None:
        """End the request this thread has in flight within `seconds` (called from a signal
        handler: a stopped step must not wait out a silent server's full time bound)."""
        watch = getattr(_sending, "watch", None)
        if watch is not None:
            watch.cut_after(seconds)

    def _send(
        self,
        method: str,
        url: str,
        payload: object,
        headers: dict[str, str],
        deadline: float,  # time.monotonic() by which the whole answer must be read
    ) -> ApiAnswer:
        remaining = max(0.1, deadline - time.monotonic())
        with warnings.catch_warnings():
            if self._insecure:  # said once by the step, not on every request
                warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
            try:
                answer = self._http.request(
                    method,
                    url,
                    json=payload,
                    headers=headers,
                    timeout=(
                        min(self._timeouts.connect, remaining),
                        min(self._timeouts.read, remaining),
                    ),
                    allow_redirects=False,
                    stream=True,
                    verify=self._verify,
                )
            except requests.RequestException as exc:
                if _sending.watch is not None and _sending.watch.was_cut:
                    raise TransportError(_OUT_OF_TIME, maybe_processed=True) from exc
                raise _no_answer(exc, url) from exc
            except ValueError as exc:  # requests reads a redirect's Location even unfollowed
                raise BadRedirect(
                    "a redirect to an address that is not a URL, not followed",
                    maybe_processed=True,
                ) from exc
        try:
            body = _read_body(answer, deadline, self._timeouts.read)
            if _sending.watch is not None and _sending.watch.was_cut:  # the end seen was the cut
                raise TransportError(_OUT_OF_TIME, maybe_processed=True)
        except BaseException:
            answer.close()  # not read to its end: its connection cannot serve another request
            raise
        answer.raw.release_conn()  # read to its end: kept alive for the next request
        return ApiAnswer(
            status=answer.status_code,
            reason=answer.reason or "",
            headers={k.lower(): v for k, v in answer.headers.items()},
            body=body,
            url=url,
        )

    def _log(self, line: str) -> None:
        if self._debug is not None:
            self._debug(line)

    def close(self) -> None:
        self._http.close()


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
        """Shut the socket down under the blocked read (from the watchdog's thread): the
        read ends at once, and the connection is never used again. A cut before the
        connection was made is applied once it is (see `_watched`)."""
        if self.finished:
            return
        self.was_cut = True
        sock = getattr(self.connection, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                # socket.socket's own shutdown, not SSLSocket's, which would drop its TLS
                # state under the reading thread's feet.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


_sending = threading.local()  # .watch: the _Watch of the request this thread is sending


def _watched(connection: urllib3.connection.HTTPConnection) -> None:
    watch = getattr(_sending, "watch", None)
    if watch is not None:
        watch.connection = connection
        if watch.was_cut:  # cut while connecting: the request must not go on
            watch.cut()


class _HTTPConnection(urllib3.connection.HTTPConnection):
    def connect(self) -> None:
        _watched(self)
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watched(self)  # also a kept-alive connection, which connects no more
        super().request(*args, **kwargs)


class _HTTPSConnection(urllib3.connection.HTTPSConnection):
    def connect(self) -> None:
        _watched(self)
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watched(self)
        super().request(*args, **kwargs)


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class _WatchedAdapter(HTTPAdapter):
    """requests' adapter, whose connections tell the watchdog which socket to cut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):  # SOCKS has connection classes of its own
            manager.pool_classes_by_scheme = _POOLS
        return manager


def _read_body(answer: requests.Response, deadline: float, read_timeout: float) -> bytes:
    """The (decompressed) body, read chunk by chunk: each read waits at most until the
    deadline, and what is kept never exceeds `API_BODY_LIMIT`."""
    raw = answer.raw
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TransportError(_OUT_OF_TIME, maybe_processed=True)
            sock = getattr(raw.connection, "sock", None)
            if sock is not None:
                sock.settimeout(min(read_timeout, remaining))
            chunk = raw.read1(_CHUNK, decode_content=True)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
            if size > API_BODY_LIMIT:
                raise BodyTooLarge(
                    f"the answer is larger than {API_BODY_LIMIT // 1024 // 1024} MB",
                    maybe_processed=True,
                )
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        out_of_time = time.monotonic() >= deadline - 0.01  # the read was cut short
        raise TransportError(
            _OUT_OF_TIME if out_of_time else _describe(exc), maybe_processed=True
        ) from exc


_OUT_OF_TIME = "the whole answer did not arrive within the request's time bound"


def _no_answer(exc: requests.RequestException, url: str) -> TransportError:
    """What a failed request means: did it leave, and may it be sent again?"""
    host = urlsplit(url).netloc
    if isinstance(exc, requests.exceptions.SSLError) and "CERTIFICATE_VERIFY_FAILED" in str(exc):
        reason = str(exc).rpartition("certificate verify failed:")[2].split("(")[0].strip(" ')")
        return TlsVerifyError(
            f"the TLS certificate of {host} is not trusted ({reason or 'verify failed'}) — "
            "give the CA that signed it as CA_BUNDLE (a PEM file) or REQUESTS_CA_BUNDLE, "
            "or set INSECURE=true to skip verification",
            maybe_processed=False,
        )
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return TransportError("timed out", maybe_processed=True)
    # Not connected (refused, no such host, connect timeout, the proxy or the TLS
    # handshake failed): the request never left.
    cause = getattr(exc.args[0], "reason", None) if exc.args else None
    never_left = isinstance(
        exc,
        requests.exceptions.ConnectTimeout
        | requests.exceptions.ProxyError
        | requests.exceptions.SSLError,
    ) or isinstance(cause, _NOT_CONNECTED)
    if isinstance(exc, requests.exceptions.ProxyError):
        if " 407 " in str(exc):
            return ProxyRefused(
                "the proxy refused its credentials (407 Proxy Authentication Required) — "
                "check the user:password in HTTPS_PROXY (or HTTP_PROXY, ALL_PROXY)",
                maybe_processed=False,
            )
        return TransportError(f"the proxy failed ({_cause(exc)})", maybe_processed=False)
    return TransportError(_cause(exc), maybe_processed=not never_left)


_NOT_CONNECTED = (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError)


def _cause(exc: BaseException) -> str:
    """The innermost reason of a requests/urllib3 error, without its object reprs."""
    seen = {id(exc)}
    while True:
        inner = getattr(exc, "reason", None)
        if not isinstance(inner, BaseException):
            inner = next((a for a in exc.args if isinstance(a, BaseException)), None)
        if inner is None or id(inner) in seen:
            return _describe(exc)
        seen.add(id(inner))
        exc = inner


def _describe(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, urllib3.exceptions.NameResolutionError) or "Name or service" in text:
        return "host name not found"
    if "Connection refused" in text or isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError | urllib3.exceptions.TimeoutError) or "timed out" in text:
        return "timed out"
    if any(s in text for s in ("RemoteDisconnected", "Connection aborted", "reset by peer")):
        return "connection closed by the server without an answer"
    if isinstance(exc, urllib3.exceptions.ProtocolError) or "IncompleteRead" in text:
        return "connection closed before the whole answer arrived"
    return f"{exc.__class__.__name__}: {text[:160]}" if text else exc.__class__.__name__


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
