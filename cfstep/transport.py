"""The one HTTP session factory: keep-alive, connect and read timeouts, no redirects.

Built on the standard library's `http.client` rather than `requests`: on these machines
`import requests` alone costs about 0.2 s, most of the step's start-up budget, and cfstep
needs none of what it adds (we never follow redirects, the body is JSON, the retry policy is
our own, see `cfstep.api`). A redirect is returned, never followed, so the API key is never
sent to a host other than CF_URL's.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

from cfstep import __version__

USER_AGENT = f"cfstep/{__version__}"


@dataclass(frozen=True)
class Timeouts:
    """Seconds for opening the connection and for each read of the answer."""

    connect: float = 5.0
    read: float = 30.0


@dataclass(frozen=True)
class Response:
    status: int
    reason: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    url: str

    def json(self) -> object:
        """The body as JSON; ValueError when it is not."""
        return json.loads(self.body.decode("utf-8"))

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
    """No HTTP answer: refused, timed out, dropped. `maybe_processed` when the request was
    fully sent before it failed, so the server may have acted on it."""

    def __init__(self, message: str, *, maybe_processed: bool) -> None:
        super().__init__(message)
        self.maybe_processed = maybe_processed


class Session:
    """One keep-alive connection to CF_URL's host; every request carries the key."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        insecure: bool = False,
        timeouts: Timeouts | None = None,
        debug: Callable[[str], None] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        self.base_url = base_url.rstrip("/")
        self._scheme = parts.scheme.lower()
        self._host = parts.hostname or ""
        self._port = parts.port or (443 if self._scheme == "https" else 80)
        self._prefix = parts.path.rstrip("/")
        self._api_key = api_key
        self._insecure = insecure
        self._timeouts = timeouts or Timeouts()
        self._debug = debug
        self._proxy = _proxy_for(
            self._scheme, self._host, os.environ if environ is None else environ
        )
        self._conn: http.client.HTTPConnection | None = None

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
    ) -> Response:
        """Send one request; `timeout` caps the read timeout (the caller's deadline)."""
        target = self._prefix + path + (f"?{urlencode(query)}" if query else "")
        payload = None if body is None else json.dumps(body).encode("utf-8")
        headers = {
            "Authorization": self._api_key,
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        if payload is not None:
            headers["Content-Type"] = "application/json"
        read_timeout = (
            self._timeouts.read if timeout is None else max(0.1, min(self._timeouts.read, timeout))
        )
        started = time.monotonic()
        try:
            response = self._send(method, target, payload, headers, read_timeout)
        except TransportError as exc:
            self._log(f"{method} {path} -> no answer: {exc}")
            raise
        took = (time.monotonic() - started) * 1000
        self._log(f"{method} {path} -> {response.status} {response.reason} ({took:.0f} ms)")
        return response

    def _send(
        self,
        method: str,
        target: str,
        payload: bytes | None,
        headers: dict[str, str],
        read_timeout: float,
    ) -> Response:
        reused = self._conn is not None
        try:
            return self._exchange(method, target, payload, headers, read_timeout)
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
            self.close()
            if not reused:
                raise TransportError(_describe(exc), maybe_processed=True) from exc
            # A kept-alive connection the server had already closed: send once more on a
            # new one. Our requests are idempotent or de-duplicated by reqId.
            try:
                return self._exchange(method, target, payload, headers, read_timeout)
            except (OSError, http.client.HTTPException) as again:
                self.close()
                raise TransportError(_describe(again), maybe_processed=True) from again

    def _exchange(
        self,
        method: str,
        target: str,
        payload: bytes | None,
        headers: dict[str, str],
        read_timeout: float,
    ) -> Response:
        conn = self._connection()
        sent = False
        try:
            if conn.sock is not None:
                conn.sock.settimeout(read_timeout)
            conn.request(method, self._request_target(target), body=payload, headers=headers)
            sent = True
            raw = conn.getresponse()
            body = raw.read()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            raise
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise TransportError(_describe(exc), maybe_processed=sent) from exc
        if raw.will_close:
            self.close()
        return Response(
            status=raw.status,
            reason=raw.reason,
            headers={k.lower(): v for k, v in raw.getheaders()},
            body=body,
            url=self.base_url + target[len(self._prefix) :],
        )

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> http.client.HTTPConnection:
        host, port = self._proxy or (self._host, self._port)
        conn: http.client.HTTPConnection
        if self._scheme == "https":
            conn = http.client.HTTPSConnection(
                host, port, timeout=self._timeouts.connect, context=self._tls_context()
            )
            if self._proxy:
                conn.set_tunnel(self._host, self._port)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=self._timeouts.connect)
        try:
            conn.connect()
        except OSError as exc:
            raise TransportError(_describe(exc), maybe_processed=False) from exc
        return conn

    def _request_target(self, target: str) -> str:
        if self._proxy and self._scheme == "http":
            return f"http://{self._host}:{self._port}{target}"  # a plain proxy wants the URL
        return target

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self._insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _log(self, line: str) -> None:
        if self._debug is not None:
            self._debug(line)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def quote_segment(name: str) -> str:
    """A pipeline name as ONE path segment: `my-project/deploy` → `my-project%2Fdeploy`."""
    return quote(name, safe="")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, http.client.RemoteDisconnected | ConnectionResetError | BrokenPipeError):
        return "connection closed by the server without an answer"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error ({exc.reason or exc}); for a self-signed certificate set INSECURE=true"
    if isinstance(exc, socket.gaierror):
        return "host name not found"
    return exc.__class__.__name__ + (
        f" ({exc.strerror})" if isinstance(exc, OSError) and exc.strerror else ""
    )


def _proxy_for(scheme: str, host: str, environ: Mapping[str, str]) -> tuple[str, int] | None:
    """HTTPS_PROXY / HTTP_PROXY (either case) unless NO_PROXY covers the host."""
    no_proxy = environ.get("NO_PROXY", environ.get("no_proxy", ""))
    for entry in (e.strip().lstrip(".") for e in no_proxy.split(",")):
        if entry == "*" or (entry and (host == entry or host.endswith("." + entry))):
            return None
    name = f"{scheme}_proxy"
    proxy = environ.get(name.upper(), environ.get(name, ""))
    if not proxy:
        return None
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    return (parts.hostname, parts.port or 3128) if parts.hostname else None


def new_session(
    base_url: str,
    api_key: str,
    *,
    insecure: bool = False,
    debug: Callable[[str], None] | None = None,
    timeouts: Timeouts | None = None,
    environ: Mapping[str, str] | None = None,
) -> Session:
    """The factory every API call goes through; proxies from `environ` (the step's inputs,
    os.environ when None), so `main(environ=...)` does not also read the process's."""
    return Session(
        base_url, api_key, insecure=insecure, debug=debug, timeouts=timeouts, environ=environ
    )
