"""Corporate proxies: the step's own environment names the proxy, credentials included, and
the password is a secret like the key (see the README, "Proxies and certificates")."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cfstep.cli import proxy_passwords
from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import base_env, closed_url, run_step
from netkit import ForwardingProxy

USER = "builder"
PASSWORD = "proxy-SENSITIVE-pw"  # noqa: S105 - planted: any output holding it has leaked


@pytest.fixture
def proxy() -> Iterator[ForwardingProxy]:
    with ForwardingProxy(USER, PASSWORD) as server:
        yield server


def test_the_run_reaches_the_emulator_through_the_proxy(
    emu: Emulator, fake_clock: FakeClock, proxy: ForwardingProxy
) -> None:
    env = base_env(
        emu,
        PIPELINE_ID="proj/ok",
        HTTP_PROXY=proxy.url(USER, PASSWORD),
        DEBUG="true",
        FOLLOW_LOGS="false",  # the API's requests only: live logs have a test of their own
    )
    res = run_step(emu, env, clock=fake_clock, secrets=[PASSWORD])
    assert res.code == 0, res.stderr
    assert res.exports["BUILD_STATUS"] == "success"
    # every request went through the proxy, none around it
    assert len(proxy.forwarded) == len(res.requests) >= 3
    method, uri = proxy.forwarded[0]
    assert method == "POST"
    assert uri.startswith(f"{emu.url}/api/pipelines/run/proj%2Fok?reqId=")
    assert proxy.refused == 0
    assert all("proxy-authorization" not in r.headers for r in res.requests)


def test_lower_case_and_a_percent_encoded_password(emu: Emulator, fake_clock: FakeClock) -> None:
    with ForwardingProxy(USER, "p@ss:SENSITIVE") as proxy:
        url = f"http://{USER}:p%40ss%3ASENSITIVE@127.0.0.1:{proxy.server_port}"
        env = base_env(emu, PIPELINE_ID="proj/ok", http_proxy=url)
        res = run_step(emu, env, clock=fake_clock, secrets=["p@ss:SENSITIVE", "p%40ss%3ASENSITIVE"])
    assert res.code == 0, res.stderr
    assert proxy.forwarded


def test_a_wrong_password_is_exit_4_and_not_shown(
    emu: Emulator, fake_clock: FakeClock, proxy: ForwardingProxy
) -> None:
    wrong = "wrong-SENSITIVE-pw"
    env = base_env(emu, PIPELINE_ID="proj/ok", HTTP_PROXY=proxy.url(USER, wrong), DEBUG="true")
    res = run_step(emu, env, clock=fake_clock, secrets=[wrong])
    assert res.code == 4, res.stderr
    assert "407" in res.stderr_lines[-1]
    assert "HTTP_PROXY" in res.stderr_lines[-1]
    assert proxy.refused == 1  # a refusal, not retried
    assert emu.runs() == []


def test_no_proxy_bypasses_it(emu: Emulator, fake_clock: FakeClock, proxy: ForwardingProxy) -> None:
    env = base_env(
        emu, PIPELINE_ID="proj/ok", HTTP_PROXY=proxy.url(USER, PASSWORD), NO_PROXY="127.0.0.1"
    )
    res = run_step(emu, env, clock=fake_clock, secrets=[PASSWORD])
    assert res.code == 0, res.stderr
    assert proxy.forwarded == []
    assert proxy.refused == 0


def test_the_process_environment_is_not_read_behind_the_step(
    emu: Emulator, fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`main(environ=...)` is the whole environment: a proxy only in os.environ (here one
    where nothing listens) is not used."""
    monkeypatch.setenv("HTTP_PROXY", closed_url())
    monkeypatch.setenv("http_proxy", closed_url())
    res = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok"), clock=fake_clock)
    assert res.code == 0, res.stderr


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"HTTPS_PROXY": "http://u:pw1@proxy:3128"}, ["pw1"]),
        ({"https_proxy": "http://u:p%2Fw@proxy:3128/"}, ["p%2Fw", "p/w"]),
        ({"HTTP_PROXY": "http://u@proxy:3128", "ALL_PROXY": "proxy:3128"}, []),
        ({"all_proxy": "socks5://u:pw:with:colons@proxy"}, ["pw:with:colons"]),
    ],
)
def test_proxy_passwords_are_found(environ: dict[str, str], expected: list[str]) -> None:
    assert proxy_passwords(environ) == expected
