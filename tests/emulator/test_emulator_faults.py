"""Injected faults: what the client sees, and whether the request was processed."""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Callable

import pytest
from emuhttp import call, run, run_path, send

from cfstep.emulator import Emulator, Fault

Factory = Callable[..., Emulator]
RUN = "/api/pipelines/run/"


def test_status_fault_answers_without_processing(emulator: Factory) -> None:
    emu = emulator()
    emu.add_fault(Fault("POST", RUN, "status", status=429, retry_after="7"))
    reply = call(emu, "POST", run_path("proj/ok", "r"), {})
    assert (reply.status, reply.headers["retry-after"]) == (429, "7")
    assert reply.json == {"message": "injected 429"}
    assert emu.runs() == []
    assert (emu.requests[-1].status, emu.requests[-1].fault) == (429, "status")
    # used up: the retry goes through
    assert run(emu, "proj/ok", req_id="r")
    assert len(emu.runs()) == 1


def test_status_fault_defaults_to_503_and_can_carry_a_body(emulator: Factory) -> None:
    emu = emulator()
    emu.add_fault(Fault(None, "/api/user", "status"))
    emu.add_fault(Fault(None, "/api/user", "status", status=500, body=b"plain text"))
    assert call(emu, "GET", "/api/user").status == 503
    reply = call(emu, "GET", "/api/user")
    assert (reply.status, reply.body) == (500, b"plain text")


def test_times_counts_matches_and_minus_one_is_for_ever(emulator: Factory) -> None:
    emu = emulator()
    emu.add_fault(Fault("GET", "/api/user", "status", times=2))
    assert [call(emu, "GET", "/api/user").status for _ in range(3)] == [503, 503, 200]
    emu.add_fault(Fault("GET", "/api/user", "status", times=-1, status=502))
    assert [call(emu, "GET", "/api/user").status for _ in range(3)] == [502, 502, 502]
    emu.clear_faults()
    assert call(emu, "GET", "/api/user").status == 200


def test_faults_match_method_and_prefix_in_order_added(emulator: Factory) -> None:
    emu = emulator()
    emu.add_fault(Fault("POST", "/api/user", "status", status=500))
    emu.add_fault(Fault(None, "/api/us", "status", status=502))
    emu.add_fault(Fault(None, "/api/user", "status", status=504))
    assert call(emu, "GET", "/api/user").status == 502  # POST fault skipped
    assert call(emu, "GET", "/api/user").status == 504
    assert call(emu, "GET", "/api/builds/x").status == 404


def test_delay_waits_real_seconds_then_processes(emulator: Factory) -> None:
    emu = emulator()
    emu.add_fault(Fault("POST", RUN, "delay", delay=0.3))
    began = time.monotonic()
    build_id = run(emu, "proj/ok")
    assert time.monotonic() - began >= 0.3
    assert emu.requests[-1].fault == "delay"
    assert build_id in emu.builds


def test_delay_longer_than_the_client_timeout_is_a_read_timeout(emulator: Factory) -> None:
    emu = emulator()
    emu.add_fault(Fault("POST", RUN, "delay", delay=0.5))
    with pytest.raises(TimeoutError):
        call(emu, "POST", run_path("proj/ok", "r"), {}, timeout=0.1)
    time.sleep(0.6)
    # the build was created anyway: the client's retry with the same reqId must dedupe
    assert len(emu.runs()) == 1
    assert run(emu, "proj/ok", req_id="r") == emu.runs()[0].id


@pytest.mark.parametrize(("kind", "builds"), [("drop_before", 0), ("drop_after", 1)])
def test_drops_close_the_connection_without_an_answer(
    emulator: Factory, kind: str, builds: int
) -> None:
    emu = emulator()
    emu.add_fault(Fault("POST", RUN, kind))
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        call(emu, "POST", run_path("proj/ok"), {})
    assert len(emu.runs()) == builds
    assert (emu.requests[-1].status, emu.requests[-1].fault) == (None, kind)


@pytest.mark.parametrize(
    ("kind", "body", "builds"),
    [("malformed_json", b"{not json", 1), ("empty", b"", 1)],
)
def test_processed_then_unreadable_200(
    emulator: Factory, kind: str, body: bytes, builds: int
) -> None:
    emu = emulator()
    emu.add_fault(Fault("POST", RUN, kind))
    reply = call(emu, "POST", run_path("proj/ok"), {})
    assert (reply.status, reply.body) == (200, body)
    assert reply.headers["content-type"].startswith("application/json")
    assert len(emu.runs()) == builds


def test_html_fault_is_a_proxy_error_page(emulator: Factory) -> None:
    emu = emulator()
    emu.add_fault(Fault(None, "/api/builds/", "html"))
    emu.add_fault(Fault(None, "/api/builds/", "html", status=504))
    reply = call(emu, "GET", "/api/builds/x")
    assert reply.status == 502
    assert reply.headers["content-type"] == "text/html"
    assert b"<html>" in reply.body
    assert call(emu, "GET", "/api/builds/x").status == 504


def test_redirect_fault_points_elsewhere_without_processing(emulator: Factory) -> None:
    emu = emulator()
    emu.add_fault(Fault("POST", RUN, "redirect", location="http://127.0.0.2:9/steal"))
    reply = call(emu, "POST", run_path("proj/ok"), {})
    assert (reply.status, reply.headers["location"]) == (307, "http://127.0.0.2:9/steal")
    assert emu.runs() == []


def test_fault_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="kind"):
        Fault(None, "/", "explode")
    with pytest.raises(ValueError, match="location"):
        Fault(None, "/", "redirect")
    with pytest.raises(ValueError, match="times"):
        Fault(None, "/", "status", times=0)


def test_connections_are_kept_alive(emulator: Factory) -> None:
    emu = emulator()
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
    try:
        assert send(conn, emu, "GET", "/api/user").status == 200
        local = conn.sock.getsockname()
        assert send(conn, emu, "GET", "/api/nope").status == 404
        assert conn.sock.getsockname() == local  # same TCP connection
    finally:
        conn.close()


def test_stop_cuts_idle_keep_alive_connections(emulator: Factory) -> None:
    emu = emulator()
    port = emu.port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        assert send(conn, emu, "GET", "/api/user").status == 200
        emu.stop()
        with pytest.raises((http.client.HTTPException, ConnectionError)):
            send(conn, emu, "GET", "/api/user")
    finally:
        conn.close()
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), 1):
        pass
