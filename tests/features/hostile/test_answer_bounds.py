"""Answers no honest server gives: each request is bounded in time (a body dripped a byte at
a time) and in size (an answer of gigabytes), and `Retry-After: 0` is not obeyed into a
storm of requests."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Callable

import pytest

from cfstep.codefresh.transport import (
    API_BODY_LIMIT,
    BodyTooLarge,
    Timeouts,
    TransportError,
    new_session,
)
from cfstep.emulator import Emulator, Fault
from fakeclock import FakeClock
from harness import API_KEY, base_env, run_step
from netkit import scripted_server


def _drip(closed: threading.Event) -> object:
    """Headers at once, then the promised 1000 bytes one at a time, 0.2 s apart: each read
    gets a byte well within any read timeout, so only a total bound can stop it."""

    def script(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        try:
            for _ in range(1000):
                conn.sendall(b"x")
                time.sleep(0.2)
        except OSError:
            closed.set()  # the client gave up and closed the connection

    return script


@pytest.mark.parametrize("bound", ["Timeouts.total", "the caller's deadline"])
def test_a_dripping_body_is_abandoned_at_the_total_bound(bound: str) -> None:
    closed = threading.Event()
    with scripted_server(_drip(closed)) as url:  # type: ignore[arg-type]
        if bound == "Timeouts.total":
            session = new_session(url, "k", timeouts=Timeouts(connect=2, read=5, total=0.7))
            timeout = None
        else:
            session = new_session(url, "k", timeouts=Timeouts(connect=2, read=5, total=60))
            timeout = 0.7
        with pytest.raises(TransportError) as caught:
            session.request("GET", "/api/builds/abc", timeout=timeout)
        session.close()
        assert closed.wait(10)
    assert "time bound" in str(caught.value)
    assert caught.value.maybe_processed
    assert caught.value.retryable


def _answer(body: bytes, *headers: str) -> object:
    def script(conn: socket.socket) -> None:
        head = "".join(f"{h}\r\n" for h in (*headers, f"Content-Length: {len(body)}"))
        conn.sendall(f"HTTP/1.1 200 OK\r\n{head}\r\n".encode() + body)

    return script


def test_a_compressed_answer_is_read() -> None:
    document = b'{"id": "abc", "status": "running"}'
    with scripted_server(_answer(gzip.compress(document), "Content-Encoding: gzip")) as url:  # type: ignore[arg-type]
        session = new_session(url, "k")
        assert session.request("GET", "/api/builds/abc").json() == {
            "id": "abc",
            "status": "running",
        }
        session.close()


def test_a_body_over_the_limit_is_an_error_not_memory() -> None:
    with scripted_server(_answer(b"[" + b" " * API_BODY_LIMIT + b"]")) as url:  # type: ignore[arg-type]
        session = new_session(url, "k")
        with pytest.raises(BodyTooLarge) as caught:
            session.request("GET", "/api/builds/abc")
        session.close()
    assert not caught.value.retryable


def test_an_oversized_status_answer_is_exit_4_at_once(emu: Emulator, fake_clock: FakeClock) -> None:
    huge = b'{"status": "running", "pad": "' + b"x" * API_BODY_LIMIT + b'"}'
    emu.add_fault(Fault("GET", "/api/builds/", "status", times=-1, status=200, body=huge))
    res = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok"), clock=fake_clock)
    assert res.code == 4, res.stderr
    assert "larger than 4 MB" in res.stderr_lines[-1]
    assert len(res.sent("GET", "/api/builds/")) == 1  # not fetched again and again


def test_a_huge_log_shows_its_last_lines(
    emulator: Callable[..., Emulator], fake_clock: FakeClock
) -> None:
    """A log over twice the API's body limit: read as a stream, only its tail kept."""
    lines = [f"line {i} of a long log" for i in range(400_000)] + ["the very end"]
    assert sum(len(line) + 1 for line in lines) > 2 * API_BODY_LIMIT
    scenario = {"pipelines": {"proj/long-log": {"final": "error", "logs": lines}}}
    emu = emulator(scenario, clock=fake_clock, api_key=API_KEY)
    env = base_env(emu, PIPELINE_ID="proj/long-log", LOG_TAIL="3", FOLLOW_LOGS="false")
    res = run_step(emu, env, clock=fake_clock)
    assert res.code == 1, res.stderr
    shown = [line for line in res.stderr_lines if line.startswith("  | ")]
    assert shown == [
        "  | line 399998 of a long log",
        "  | line 399999 of a long log",
        "  | the very end",
    ]


def test_retry_after_0_on_the_run_request_is_no_storm(emu: Emulator, fake_clock: FakeClock) -> None:
    emu.add_fault(
        Fault("POST", "/api/pipelines/run/", "status", times=-1, status=503, retry_after="0")
    )
    res = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok"), clock=fake_clock)
    assert res.code == 4, res.stderr
    # the backoff's 0.5, 1, 2, 4, 8, 10, 10 ... s within the 60 s of the run request
    assert 5 <= len(res.run_requests) <= 12
    assert min(fake_clock.sleeps) >= 0.5
    assert emu.runs() == []


def test_retry_after_0_on_status_requests_is_no_storm(emu: Emulator, fake_clock: FakeClock) -> None:
    emu.add_fault(Fault("GET", "/api/builds/", "status", times=-1, status=503, retry_after="0"))
    res = run_step(emu, base_env(emu, PIPELINE_ID="proj/slow", TIMEOUT_MINS="1"), clock=fake_clock)
    assert res.code == 3, res.stderr
    # the follower's backoff: 1, 2, 4, 8, 15, 15 ... s until the one-minute timeout
    assert len(res.sent("GET", "/api/builds/")) <= 12


def _drip_head(closed: threading.Event) -> object:
    """The status line and headers themselves, one byte every 0.2 s."""

    def script(conn: socket.socket) -> None:
        head = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"y" * 1000 + b"\r\n\r\n"
        try:
            for byte in head:
                conn.sendall(bytes([byte]))
                time.sleep(0.2)
        except OSError:
            closed.set()

    return script


def test_dripping_headers_are_abandoned_at_the_total_bound() -> None:
    closed = threading.Event()
    with scripted_server(_drip_head(closed)) as url:  # type: ignore[arg-type]
        session = new_session(url, "k", timeouts=Timeouts(connect=2, read=5, total=0.7))
        with pytest.raises(TransportError) as caught:
            session.request("POST", "/api/pipelines/run/x", body={})
        session.close()
        assert closed.wait(10)
    assert "time bound" in str(caught.value)
    assert caught.value.maybe_processed  # it was sent: the server may act on it
