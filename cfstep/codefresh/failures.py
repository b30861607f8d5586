"""What a request that got no usable answer means: the one place transport errors are
classified (docs/architecture.md).

requests and urllib3 wrap the error that really happened (a refused connection, a
certificate that is not trusted, a reset) several layers deep; it is found by its type, as
pip finds it (`isinstance` on the unwrapped cause), never by the wording of a message.
Each failure says whether the request may have reached the server (`maybe_processed`, so
whether it may be sent again is the caller's decision) and whether sending it again can
help at all (`retryable`). A description never quotes an exception's text: a log host's
URL carries its token there.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from urllib.parse import urlsplit

import requests
import urllib3

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from typing import TypeVar

    E = TypeVar("E", bound=BaseException)

OUT_OF_TIME = "the whole answer did not arrive within the request's time bound"
CLOSED_EARLY = "connection closed before the whole answer arrived"
TIMED_OUT = "timed out"
_CHAIN_LIMIT = 16  # causes followed into a wrapped error; real ones are 4 deep


class TransportError(Exception):
    """No usable HTTP answer: refused, timed out, dropped. `maybe_processed` when the request
    may have reached the server, so it may have acted on it. `retryable` is False when
    sending again cannot help; `about_host` when the message is about CF_URL's host (its
    certificate, its proxy), the same whichever request met it."""

    retryable = True
    about_host = False

    def __init__(self, message: str, *, maybe_processed: bool) -> None:
        super().__init__(message)
        self.maybe_processed = maybe_processed


class TlsVerifyError(TransportError):
    """The host's certificate is not trusted: the same on every attempt."""

    retryable = False
    about_host = True


class TlsMismatch(TransportError):
    """An https:// URL on a port that speaks plain HTTP: the same on every attempt."""

    retryable = False
    about_host = True


class ProxyRefused(TransportError):
    """The proxy wants other credentials (407): the same ones would be refused again."""

    retryable = False
    about_host = True


class BodyTooLarge(TransportError):
    retryable = False


class BadRedirect(TransportError):
    """A 3xx whose Location is not a URL: never followed, and the same on every attempt."""

    retryable = False


class NotAUrl(TransportError):
    """An address requests cannot send to (a log's storage link, as a server gave it)."""

    retryable = False


def no_answer(exc: BaseException, url: str) -> TransportError:
    """What a failed request means: did it leave, may it be sent again, and why it failed."""
    causes = _causes(exc)
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]  # never a proxy's or URL's user:password
    untrusted = _first(causes, ssl.SSLCertVerificationError)
    if untrusted is not None:
        why = untrusted.verify_message or "verify failed"
        return TlsVerifyError(
            f"the TLS certificate of {host} is not trusted ({why}) — give the CA that signed "
            "it as CA_BUNDLE (a PEM file) or REQUESTS_CA_BUNDLE, or set INSECURE=true to "
            "skip verification",
            maybe_processed=False,
        )
    tls = _first(causes, ssl.SSLError)
    if tls is not None and tls.reason == "WRONG_VERSION_NUMBER":  # an HTTP answer to TLS
        return TlsMismatch(
            f"{host} speaks plain HTTP, not TLS: an https:// URL on a port that serves http — "
            f"write CF_URL as http://{host}, or give the port that serves https",
            maybe_processed=False,
        )
    if _first(causes, requests.exceptions.ProxyError) is not None:
        return _proxy_failed(causes)
    return TransportError(
        _with_hint(describe(exc), parts.scheme, host), maybe_processed=not _never_left(causes)
    )


def broken_body(exc: BaseException, *, out_of_time: bool) -> TransportError:
    """The answer began and then broke off: sent, so maybe processed."""
    if out_of_time:
        return TransportError(OUT_OF_TIME, maybe_processed=True)
    return TransportError(TIMED_OUT if timed_out(exc) else CLOSED_EARLY, maybe_processed=True)


def timed_out(exc: BaseException) -> bool:
    """A read or a connect that waited its whole timeout (not a refusal: urllib3's
    NewConnectionError is a ConnectTimeoutError by inheritance, so the innermost cause
    decides)."""
    return describe(exc) == TIMED_OUT


def describe(exc: BaseException) -> str:
    """A failure in a few words, read from the innermost cause that says something."""
    for cause in reversed(_causes(exc)):
        for types, words in _WORDS:
            if isinstance(cause, types):
                return words
    return type(exc).__name__


# Innermost causes first: a reset inside a protocol error is a reset.
_WORDS: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
    ((socket.gaierror, urllib3.exceptions.NameResolutionError), "host name not found"),
    (ConnectionRefusedError, "connection refused"),
    (
        (TimeoutError, urllib3.exceptions.TimeoutError, requests.exceptions.Timeout),
        TIMED_OUT,
    ),
    (
        (http.client.RemoteDisconnected, ConnectionResetError, ConnectionAbortedError),
        "connection closed by the server without an answer",
    ),
    (
        (
            http.client.IncompleteRead,
            urllib3.exceptions.ProtocolError,
            requests.exceptions.ChunkedEncodingError,
        ),
        CLOSED_EARLY,
    ),
    (ssl.SSLError, "the TLS handshake failed"),
    (OSError, "the network failed"),
)

# Not connected (refused, no such host, connect timeout, the proxy or the TLS handshake
# failed): the request never left.
_NOT_CONNECTED = (
    urllib3.exceptions.NewConnectionError,
    urllib3.exceptions.ConnectTimeoutError,
    urllib3.exceptions.NameResolutionError,
    requests.exceptions.ConnectTimeout,
    requests.exceptions.ProxyError,
    requests.exceptions.SSLError,
)


def _never_left(causes: list[BaseException]) -> bool:
    return _first(causes, *_NOT_CONNECTED) is not None


def _proxy_failed(causes: list[BaseException]) -> TransportError:
    # A proxy's answer to CONNECT is not kept: http.client raises a plain OSError whose text
    # alone records the status ("Tunnel connection failed: 407 ..."). The one place a
    # transport error is read by its text (docs/architecture.md).
    tunnel = [str(c) for c in causes if type(c) is OSError]
    if any(text.startswith("Tunnel connection failed: 407") for text in tunnel):
        return ProxyRefused(
            "the proxy refused its credentials (407 Proxy Authentication Required) — "
            "check the user:password in HTTPS_PROXY (or HTTP_PROXY, ALL_PROXY)",
            maybe_processed=False,
        )
    if any(text.startswith("Tunnel connection failed:") for text in tunnel):
        return TransportError("the proxy refused to open a tunnel", maybe_processed=False)
    return TransportError(f"the proxy failed ({describe(causes[0])})", maybe_processed=False)


def _with_hint(reason: str, scheme: str, host: str) -> str:
    """A plain-HTTP request to a TLS port is dropped without an answer: say so when the
    URL is http:// and the server hung up."""
    if scheme == "http" and reason == "connection closed by the server without an answer":
        return f"{reason} (if {host} serves https, CF_URL must start with https://: https://{host})"
    return reason


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and what it wraps, outermost first: urllib3's `reason`, an exception
    among the arguments (requests' own wrapping), and Python's `__cause__`/`__context__`."""
    found: list[BaseException] = []
    pending = [exc]
    while pending and len(found) < _CHAIN_LIMIT:
        current = pending.pop(0)
        if any(current is seen for seen in found):
            continue
        found.append(current)
        inner = getattr(current, "reason", None)
        if isinstance(inner, BaseException):
            pending.append(inner)
        pending += [arg for arg in current.args if isinstance(arg, BaseException)]
        pending += [e for e in (current.__cause__, current.__context__) if e is not None]
    return found


def _first(causes: list[BaseException], *types: type[E]) -> E | None:
    return next((c for c in causes if isinstance(c, types)), None)
