"""Waiting is never silent: the first failure to reach CF_URL is said at once, and an
http/https mix-up is named with its fix."""

from __future__ import annotations

import socket
import ssl
import sys
from collections.abc import Callable, Iterator

import pytest
import trustme

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import API_KEY, base_env, closed_url, run_step
from netkit import scripted_server
from scenarios import CLI_SCENARIO


@pytest.fixture
def tls_emu(fake_clock: FakeClock) -> Iterator[Emulator]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(context)
    with Emulator(CLI_SCENARIO, clock=fake_clock, api_key=API_KEY, tls=context) as emu:
        yield emu


def test_an_unreachable_cf_url_is_said_at_once_then_waited_out(fake_clock: FakeClock) -> None:
    url = closed_url()
    said_before_waiting: list[str] = []

    def on_sleep(n: int) -> None:
        if n == 1:  # the step's stderr is captured in a StringIO while it runs
            said_before_waiting.append(sys.stderr.getvalue())  # type: ignore[attr-defined]

    env = base_env(None, PIPELINE_ID="proj/ok", CF_URL=url)
    res = run_step(None, env, clock=fake_clock, on_sleep=on_sleep)
    assert res.code == 4, res.stderr
    line = f"cannot reach {url}: connection refused — retrying for up to 60 s"
    assert line in said_before_waiting[0].splitlines()
    assert sum(line.startswith("cannot reach") for line in res.stderr_lines) == 1
    assert len(fake_clock.sleeps) >= 3  # the retries came after the line, not before


def test_https_on_the_http_port_is_named_at_once(
    emulator: Callable[..., Emulator], fake_clock: FakeClock
) -> None:
    emu = emulator(CLI_SCENARIO, clock=fake_clock, api_key=API_KEY)
    url = emu.url.replace("http://", "https://")
    res = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok", CF_URL=url), clock=fake_clock)
    assert res.code == 4, res.stderr
    assert f"write CF_URL as http://127.0.0.1:{emu.port}" in res.stderr_lines[-1]
    assert fake_clock.sleeps == []  # the same answer every time: not retried
    assert emu.requests == []


def test_http_on_the_tls_port_is_named(tls_emu: Emulator, fake_clock: FakeClock) -> None:
    url = tls_emu.url.replace("https://", "http://")
    env = base_env(tls_emu, PIPELINE_ID="proj/ok", CF_URL=url)
    res = run_step(tls_emu, env, clock=fake_clock)
    assert res.code == 4, res.stderr
    (said,) = [line for line in res.stderr_lines if line.startswith("cannot reach")]
    assert f"CF_URL must start with https://: https://127.0.0.1:{tls_emu.port}" in said


def _plain_http_page(conn: socket.socket) -> None:
    page = b"<html><body>The plain HTTP request was sent to HTTPS port</body></html>"
    head = f"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nContent-Length: {len(page)}"
    conn.sendall(head.encode() + b"\r\n\r\n" + page)


def test_a_tls_port_that_answers_plain_http_with_a_page(fake_clock: FakeClock) -> None:
    """nginx answers a plain request on its TLS port with a 400 page."""
    with scripted_server(_plain_http_page) as url:
        env = base_env(None, PIPELINE_ID="proj/ok", CF_URL=url)
        res = run_step(None, env, clock=fake_clock)
    assert res.code == 4, res.stderr
    host = url.removeprefix("http://")
    assert f"CF_URL must start with https:// (https://{host})" in res.stderr_lines[-1]
