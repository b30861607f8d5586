"""Text from outside reaches the reader's terminal and the closing line safely: control
sequences from a child's log or a server's answer, and secrets echoed back in any form
(docs/safety.md, and docs/decisions.md: masking)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cfstep.emulator import Emulator, Fault
from fakeclock import FakeClock
from harness import API_KEY, base_env, run_step

# OSC 52 writes the reader's clipboard; the others clear the screen, move the cursor,
# set the title, send a device control string, ring the bell, hide text behind a CR.
HOSTILE = [
    "\x1b]52;c;cm0gLXJmIH4K\x07clipboard",
    "\x1b[2J\x1b[Hcleared",
    "\x1b[5Aup five lines",
    "\x1b]0;pwned\x1b\\title",
    "\x1bP+q544e\x1b\\dcs",
    "bell\x07nul\x00",
    "all good\rFAILED",
    "\x9b2J eight-bit csi",
    "\x1b[1;31mred is fine\x1b[0m",
]
SCENARIO: dict[str, Any] = {
    "pipelines": {
        "proj/hostile-live": {
            "timeline": [{"status": "running", "seconds": 2}],
            "final": "error",
            "steps": [{"name": "Evil \x1b]52;c;eA==\x07step", "lines": HOSTILE}],
        },
        "proj/hostile-tail": {
            "timeline": [{"status": "running", "seconds": 1}],
            "final": "error",
            "logs": HOSTILE,
        },
        "proj/ok": {"timeline": [{"status": "running", "seconds": 1}], "final": "success"},
    }
}


@pytest.fixture
def hostile_emu(emulator: Callable[..., Emulator], fake_clock: FakeClock) -> Emulator:
    return emulator(SCENARIO, clock=fake_clock, api_key=API_KEY)


def _escapes(text: str) -> list[str]:
    """Every ESC (or 8-bit CSI) in the text with what follows it: only SGR may remain."""
    return [text[i : i + 12] for i, c in enumerate(text) if c in "\x1b\x9b\x9d\x90"]


@pytest.mark.parametrize(
    ("pipeline", "follow"),
    [("proj/hostile-live", "true"), ("proj/hostile-tail", "false")],
    ids=["live-log", "log-tail"],
)
def test_only_colour_from_a_childs_log_reaches_the_terminal(
    hostile_emu: Emulator, fake_clock: FakeClock, pipeline: str, follow: str
) -> None:
    env = base_env(hostile_emu, PIPELINE_ID=pipeline, FOLLOW_LOGS=follow)
    result = run_step(hostile_emu, env, clock=fake_clock)
    assert result.code == 1, result.stderr
    assert "clipboard" in result.stderr  # the child's lines were shown
    assert all(e.startswith("\x1b[") and "m" in e for e in _escapes(result.stderr)), _escapes(
        result.stderr
    )
    assert "\x1b[1;31mred is fine\x1b[0m" in result.stderr
    for control in ("\x07", "\x00", "\r", "\x1b]", "\x1b[2J", "\x1bP"):
        assert control not in result.stderr, control
    assert "all good\\rFAILED" in result.stderr  # a CR cannot hide what came before it


# -- the closing line ------------------------------------------------------------------------


def _closing_line_of(result: Any) -> str:
    assert result.stderr.endswith("\n")
    return result.stderr.rstrip("\n").split("\n")[-1]


def test_a_servers_raw_bytes_stay_inside_one_closing_line(
    hostile_emu: Emulator, fake_clock: FakeClock
) -> None:
    """ESC, NUL, CR and LF in a refusal's message once split the closing line in two."""
    message = "bad\x1b[2J request\x00 \r\nsecond line\rthird"
    body = json.dumps({"message": message}).encode()
    hostile_emu.add_fault(Fault("POST", "/api/pipelines/run/", "status", status=400, body=body))
    result = run_step(hostile_emu, base_env(hostile_emu, PIPELINE_ID="proj/ok"), clock=fake_clock)
    assert result.code == 4
    assert len(result.stderr_lines) == 2, result.stderr  # "Triggering …", then the closing line
    line = _closing_line_of(result)
    assert line.isprintable(), repr(line)
    assert line.startswith("cfstep: 400")
    assert " — " in line


SERVER_BYTES = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).map(lambda t: json.dumps({"message": t}).encode()),
    st.text(max_size=200).map(lambda t: json.dumps({"error": t}, ensure_ascii=False).encode()),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=SERVER_BYTES, status=st.sampled_from([400, 401, 403, 404, 409, 422, 500]))
def test_any_bytes_in_a_server_message_give_one_printable_closing_line(
    hostile_emu: Emulator, fake_clock: FakeClock, body: bytes, status: int
) -> None:
    """Through the real entrypoint, against a server that answers those bytes."""
    hostile_emu.clear_faults()
    hostile_emu.add_fault(Fault("POST", "/api/pipelines/run/", "status", status=status, body=body))
    result = run_step(hostile_emu, base_env(hostile_emu, PIPELINE_ID="proj/ok"), clock=fake_clock)
    assert result.code == 4
    lines = result.stderr.rstrip("\n").split("\n")
    assert lines[0].startswith("Triggering proj/ok")
    assert len(lines) == 2, result.stderr
    assert lines[1].isprintable(), repr(lines[1])
    assert lines[1].startswith(f"cfstep: {status} ")


# -- secrets echoed back in another form -------------------------------------------------------

COLLAPSED_SECRET = "K9x  Qz7\tW4v-collapse"  # noqa: S105 - planted, to be masked


@pytest.mark.parametrize(
    "echoed",
    [
        "K9x Qz7\\tW4v-collapse",  # whitespace collapsed and the tab escaped
        "K9x%20%20Qz7%5Ct W4v-collapse",  # percent-encoded, with an escaped tab
        "K9x&#32; Qz7\\\\tW4v-collapse",  # an entity, and an escape escaped again
    ],
    ids=["collapsed-and-escaped", "percent-and-escaped", "entity-and-double-escape"],
)
def test_a_secret_echoed_in_mixed_forms_is_masked(
    hostile_emu: Emulator, fake_clock: FakeClock, echoed: str
) -> None:
    body = json.dumps({"message": f"variable TOKEN has a bad value: {echoed}"}).encode()
    hostile_emu.add_fault(Fault("POST", "/api/pipelines/run/", "status", status=400, body=body))
    env = base_env(hostile_emu, PIPELINE_ID="proj/ok", SECRETS=f"TOKEN={COLLAPSED_SECRET}")
    result = run_step(hostile_emu, env, clock=fake_clock, secrets=[COLLAPSED_SECRET])
    assert result.code == 4
    assert "bad value: ***" in result.stderr_lines[-1], result.stderr
    assert "W4v-collapse" not in result.stderr


PROXY_USER, PROXY_PASSWORD = "builder", "proxy-SENSITIVE-pw"  # planted, to be masked
BASIC = base64.b64encode(f"{PROXY_USER}:{PROXY_PASSWORD}".encode()).decode()


class _EchoingProxy(ThreadingHTTPServer):
    """A proxy that refuses every request with a 407 whose message echoes the
    `Proxy-Authorization` it was sent, as some corporate proxies' error pages do."""

    daemon_threads = True

    def __init__(self, style: str) -> None:
        super().__init__(("127.0.0.1", 0), _EchoingHandler)
        self.style = style

    @property
    def url(self) -> str:
        return f"http://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:{self.server_port}"


class _EchoingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _EchoingProxy

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        header = self.headers.get("Proxy-Authorization", "")
        if self.server.style == "json":
            body = json.dumps({"message": f"refused {header}"}).encode()
        else:
            body = f"refused: Proxy-Authorization: {header}\r\n".encode()
        self.send_response(407, "Proxy Authentication Required")
        self.send_header(
            "Content-Type", "application/json" if self.server.style == "json" else "text/plain"
        )
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST


@pytest.fixture(params=["json", "text"])
def echoing_proxy(request: pytest.FixtureRequest) -> Iterator[_EchoingProxy]:
    proxy = _EchoingProxy(request.param)
    thread = threading.Thread(target=proxy.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    yield proxy
    proxy.shutdown()
    proxy.server_close()
    thread.join(5)


def test_a_proxys_407_echoing_its_credentials_shows_no_base64(
    hostile_emu: Emulator, fake_clock: FakeClock, echoing_proxy: _EchoingProxy
) -> None:
    env = base_env(hostile_emu, PIPELINE_ID="proj/ok", HTTP_PROXY=echoing_proxy.url)
    result = run_step(hostile_emu, env, clock=fake_clock, secrets=[PROXY_PASSWORD, BASIC])
    assert result.code == 4, result.stderr
    assert "407" in result.stderr_lines[-1]
    assert "Basic ***" in result.stderr_lines[-1]
