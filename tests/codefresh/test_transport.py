"""The session factory: the URL sent is the URL built, every request of the step (the log
hosts' too) ends within its total bound, and one function cuts a blocked socket."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

import pytest

from cfstep.codefresh import failures
from cfstep.codefresh.failures import TransportError
from cfstep.codefresh.transport import (
    Timeouts,
    bounded,
    cut_socket,
    keyless_session,
    new_session,
    open_stream,
)
from cfstep.emulator import Emulator
from netkit import dripping, scripted_server

KEY = "transport-test-key"


@pytest.mark.parametrize("segment", ["%2E%2E", "%2E", "proj%2F..", "a.b"])
def test_the_url_sent_is_the_url_built(emulator: Callable[..., Emulator], segment: str) -> None:
    """requests would turn `%2E` back into `.`, and a server would then drop the segment."""
    emu = emulator(api_key=KEY)
    session = new_session(emu.url, KEY)
    answer = session.request("GET", f"/api/pipelines/{segment}")
    session.close()
    assert emu.requests[-1].path == f"/api/pipelines/{segment}"
    assert answer.url == f"{emu.url}/api/pipelines/{segment}"


def test_a_dripping_log_host_ends_at_the_total_bound() -> None:
    closed = threading.Event()
    with scripted_server(dripping(closed)) as url:
        session = keyless_session({}, insecure=False, ca_bundle=None)
        started = time.monotonic()
        with (
            pytest.raises(TransportError) as caught,
            bounded(session, "GET", url, timeouts=Timeouts(connect=2, read=30, total=1)) as answer,
        ):
            answer.read(1 << 20)
        took = time.monotonic() - started
        session.close()
        assert closed.wait(5)  # and the connection was let go
    assert str(caught.value) == failures.OUT_OF_TIME
    assert 0.9 <= took < 3


def test_a_log_host_is_sent_no_key(emulator: Callable[..., Emulator]) -> None:
    emu = emulator(api_key=KEY)
    session = keyless_session({}, insecure=False, ca_bundle=None)
    with bounded(session, "GET", emu.url + "/api/builds/x", timeouts=Timeouts()) as answer:
        assert answer.status == 401
        answer.read(1 << 20)
    session.close()
    headers = emu.requests[-1].headers
    assert "authorization" not in headers
    assert "x-access-token" not in headers


@pytest.mark.parametrize("given", ["socket", "descriptor"])
def test_cut_socket_wakes_a_blocked_read(given: str) -> None:
    reader, writer = socket.socketpair()
    woke = threading.Event()

    def read() -> None:
        reader.recv(1)  # blocks: nothing is ever written
        woke.set()

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    time.sleep(0.05)
    cut_socket(reader if given == "socket" else reader.fileno())
    assert woke.wait(2)
    reader.close()
    writer.close()


def test_cut_socket_of_a_closed_socket_is_nothing() -> None:
    sock = socket.socket()
    sock.close()
    cut_socket(sock)  # no error: the connection it belonged to is gone already


def _head_then(after: float) -> Callable[[socket.socket], None]:
    """An event stream's head at once, then one event `after` seconds later."""

    def script(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n")
        time.sleep(after)
        conn.sendall(b"event: keep-alive\ndata: null\n\n")

    return script


def _head_dripped(conn: socket.socket) -> None:
    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: yes\r\n\r\n":
        conn.sendall(bytes([byte]))
        time.sleep(0.5)


SHORT = Timeouts(connect=2, read=5, total=1)


def test_a_stream_opens_within_the_total_bound() -> None:
    with scripted_server(_head_dripped) as url:
        session = keyless_session({}, insecure=False, ca_bundle=None)
        started = time.monotonic()
        with pytest.raises(TransportError) as caught:
            open_stream(session, url, headers={}, timeouts=SHORT)
        session.close()
    assert str(caught.value) == failures.OUT_OF_TIME
    assert time.monotonic() - started < 3


def test_a_stream_is_read_past_the_total_bound() -> None:
    """Its body lasts as long as the child: bounded by the silence allowed and the stop."""
    with scripted_server(_head_then(1.5)) as url:
        session = keyless_session({}, insecure=False, ca_bundle=None)
        response = open_stream(session, url, headers={}, timeouts=SHORT)
        assert response.raw.read1(1024) == b"event: keep-alive\ndata: null\n\n"
        response.close()
        session.close()
