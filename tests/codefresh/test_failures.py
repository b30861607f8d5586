"""A failed request is read by the type of what really happened, found inside requests' and
urllib3's wrapping, never by the words of a message: each case is a real failure, on real
sockets, through the project's session."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Iterator

import pytest
import requests
import trustme
import urllib3

from cfstep.codefresh import failures
from cfstep.codefresh.failures import ProxyRefused, TlsMismatch, TlsVerifyError, TransportError
from cfstep.codefresh.transport import Timeouts, new_session
from cfstep.emulator import Emulator
from harness import closed_url
from netkit import ForwardingProxy, scripted_server
from scenarios import DEFAULT_SCENARIO

KEY = "failures-test-key"


def _failure(url: str, **environ: str) -> TransportError:
    session = new_session(url, KEY, timeouts=Timeouts(connect=2, read=2, total=5), environ=environ)
    try:
        with pytest.raises(TransportError) as caught:
            session.request("GET", "/api/builds/abc")
    finally:
        session.close()
    return caught.value


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_emu(ca: trustme.CA) -> Iterator[Emulator]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with Emulator(DEFAULT_SCENARIO, api_key=KEY, tls=context) as emu:
        yield emu


def test_a_refused_connection_never_left() -> None:
    found = _failure(closed_url())
    assert str(found) == "connection refused"
    assert found.retryable
    assert not found.maybe_processed  # safe to send again, even a run request


def test_an_unknown_host() -> None:
    found = _failure("http://no-such-host.invalid")
    assert str(found) == "host name not found"
    assert not found.maybe_processed


def test_an_untrusted_certificate_names_both_fixes(tls_emu: Emulator) -> None:
    found = _failure(tls_emu.url)
    assert isinstance(found, TlsVerifyError)
    assert not found.retryable
    assert found.about_host
    assert str(found).startswith(f"the TLS certificate of 127.0.0.1:{tls_emu.port} is not trusted")
    assert "CA_BUNDLE" in str(found)
    assert "INSECURE" in str(found)


def test_https_on_a_plain_http_port_is_named(emulator: Callable[..., Emulator]) -> None:
    """The server answers the TLS hello in plain HTTP: OpenSSL's WRONG_VERSION_NUMBER."""
    emu = emulator(api_key=KEY)
    found = _failure(emu.url.replace("http://", "https://"))
    assert isinstance(found, TlsMismatch)
    assert not found.retryable
    assert f"write CF_URL as http://127.0.0.1:{emu.port}" in str(found)


def test_http_on_a_tls_port_is_named(tls_emu: Emulator) -> None:
    """The TLS server hangs up on a plain request: a retryable drop, with the fix said."""
    found = _failure(tls_emu.url.replace("https://", "http://"))
    assert found.retryable
    assert str(found).startswith("connection closed by the server without an answer")
    assert f"https://127.0.0.1:{tls_emu.port}" in str(found)


def test_a_proxy_refusing_the_tunnel(tls_emu: Emulator) -> None:
    with ForwardingProxy("u", "right") as proxy:
        found = _failure(tls_emu.url, HTTPS_PROXY=proxy.url("u", "wrong"))
    assert isinstance(found, ProxyRefused)
    assert not found.retryable
    assert "HTTPS_PROXY" in str(found)


def test_a_proxy_that_is_down() -> None:
    found = _failure("http://cf.invalid", HTTP_PROXY=closed_url())
    assert str(found) == "the proxy failed (connection refused)"
    assert not found.maybe_processed


def test_a_connection_dropped_without_an_answer() -> None:
    with scripted_server(lambda conn: None) as url:  # reads the request, then hangs up
        found = _failure(url)
    assert str(found).startswith("connection closed by the server without an answer")
    assert found.maybe_processed  # it was sent: the server may have acted on it


def _wrapped(inner: BaseException) -> requests.exceptions.ConnectionError:
    """As requests raises a connection failure: three layers around what happened."""
    pool_error = urllib3.exceptions.MaxRetryError(None, "/api/builds/abc", inner)  # type: ignore[arg-type]
    return requests.exceptions.ConnectionError(pool_error)


@pytest.mark.parametrize(
    ("inner", "expected"),
    [
        (ConnectionRefusedError(111, "something else entirely"), "connection refused"),
        (OSError("[Errno 111] Connection refused"), "the network failed"),
        (TimeoutError("no words"), "timed out"),
        (OSError("timed out"), "the network failed"),
        (socket.gaierror(-2, "whatever the resolver says"), "host name not found"),
        (ValueError("CERTIFICATE_VERIFY_FAILED"), "the network failed"),
    ],
    ids=["refused-type", "refused-text", "timeout-type", "timeout-text", "dns", "cert-text"],
)
def test_the_type_decides_never_the_text(inner: BaseException, expected: str) -> None:
    assert failures.describe(_wrapped(inner)) == expected
    assert not isinstance(failures.no_answer(_wrapped(inner), "https://h"), TlsVerifyError)


def test_a_description_never_quotes_the_exception() -> None:
    """A log host's URL holds its token, and requests' messages quote the URL."""
    leaky = _wrapped(ConnectionResetError(104, "reset at https://db/x.json?auth=TOKEN"))
    found = failures.no_answer(leaky, "https://db/x.json?auth=TOKEN")
    assert "TOKEN" not in str(found)
    assert failures.describe(RuntimeError("https://db/?auth=TOKEN")) == "RuntimeError"


def test_a_cycle_of_causes_ends() -> None:
    first, second = OSError("a"), OSError("b")
    first.__context__, second.__context__ = second, first
    assert failures.describe(first) == "the network failed"
