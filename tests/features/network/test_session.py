"""The session: one kept-alive connection for a whole run, proxies chosen from the step's
environment with requests' own rules."""

from __future__ import annotations

import pytest
import urllib3

from cfstep.codefresh.network import proxies_for
from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import base_env, run_step


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every TCP connection the HTTP client opens (urllib3, under requests)."""
    opened: list[str] = []
    original = urllib3.connection.HTTPConnection.connect

    def connect(self: urllib3.connection.HTTPConnection) -> None:
        opened.append(f"{self.host}:{self.port}")
        original(self)

    monkeypatch.setattr(urllib3.connection.HTTPConnection, "connect", connect)
    return opened


def test_one_connection_for_the_whole_run(
    emu: Emulator, fake_clock: FakeClock, connects: list[str]
) -> None:
    # live logs off: they read with a connection of their own, in their own thread
    res = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok", FOLLOW_LOGS="false"), clock=fake_clock)
    assert res.code == 0, res.stderr
    assert len(res.requests) >= 4  # run, status polls, annotations
    assert connects == [f"127.0.0.1:{emu.port}"]


def test_an_error_answer_does_not_cost_the_connection(
    emu: Emulator, fake_clock: FakeClock, connects: list[str]
) -> None:
    res = run_step(
        emu, base_env(emu, PIPELINE_ID="proj/fail", FOLLOW_LOGS="false"), clock=fake_clock
    )
    assert res.code == 1, res.stderr
    # The log tail reads the log's own host with a keyless session: not the API's connection.
    assert [c for c in connects if c == f"127.0.0.1:{emu.port}"] == [f"127.0.0.1:{emu.port}"]


URL = "https://cf.corp.example:8443"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, {}),
        ({"HTTPS_PROXY": "http://p:3128"}, {"https": "http://p:3128"}),
        ({"https_proxy": "http://low:1", "HTTPS_PROXY": "http://up:2"}, {"https": "http://low:1"}),
        ({"ALL_PROXY": "http://p:3128"}, {"all": "http://p:3128"}),
        ({"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "corp.example"}, {}),
        ({"HTTPS_PROXY": "http://p:3128", "no_proxy": "other.example, .corp.example"}, {}),
        ({"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "cf.corp.example:8443"}, {}),
        ({"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "*"}, {}),
        (
            {"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "example.org"},
            {"https": "http://p:3128"},
        ),
    ],
)
def test_proxies_for(environ: dict[str, str], expected: dict[str, str]) -> None:
    assert {k: v for k, v in proxies_for(URL, environ).items() if k != "http"} == expected


def test_no_proxy_by_network() -> None:
    env = {"HTTP_PROXY": "http://p:3128", "NO_PROXY": "10.0.0.0/8"}
    assert proxies_for("http://10.1.2.3:8080", env) == {}
    assert proxies_for("http://192.168.1.1", env) == {"http": "http://p:3128"}
