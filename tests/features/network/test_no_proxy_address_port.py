"""`NO_PROXY=127.0.0.1:<port>` (an IP address with its port, as the README promises for any
host) sends the step straight to CF_URL, past the corporate proxy."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import API_KEY, base_env, run_step
from netkit import ForwardingProxy
from scenarios import CLI_SCENARIO

USER = "builder"
PASSWORD = "proxy-SENSITIVE-pw"  # noqa: S105 - planted: any output holding it has leaked


@pytest.fixture
def proxy() -> Iterator[ForwardingProxy]:
    with ForwardingProxy(USER, PASSWORD) as server:
        yield server


@pytest.mark.parametrize("listed", ["its port", "another port"])
def test_no_proxy_with_an_address_and_port(
    emulator: Callable[..., Emulator],
    fake_clock: FakeClock,
    proxy: ForwardingProxy,
    listed: str,
) -> None:
    emu = emulator(CLI_SCENARIO, clock=fake_clock, api_key=API_KEY)
    port = emu.port if listed == "its port" else emu.port + 1
    env = base_env(
        emu,
        PIPELINE_ID="proj/ok",
        FOLLOW_LOGS="false",
        HTTP_PROXY=proxy.url(USER, PASSWORD),
        NO_PROXY=f"127.0.0.1:{port}",
    )
    res = run_step(emu, env, clock=fake_clock, secrets=[PASSWORD])
    assert res.code == 0, res.stderr
    if listed == "its port":
        assert proxy.forwarded == []  # straight to the API
    else:
        assert len(proxy.forwarded) == len(res.requests) >= 3  # all through the proxy
