"""CF_URL over TLS: verified against CA_BUNDLE, REQUESTS_CA_BUNDLE or the default CAs; an
untrusted certificate ends the run at once (exit 4) naming the fixes; INSECURE warns."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import API_KEY, base_env, run_step
from netkit import ForwardingProxy
from scenarios import SUITE_SCENARIO


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_emu(ca: trustme.CA, fake_clock: FakeClock) -> Iterator[Emulator]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with Emulator(SUITE_SCENARIO, clock=fake_clock, api_key=API_KEY, tls=context) as emu:
        yield emu


@pytest.fixture
def ca_pem(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def other_ca_pem(tmp_path: Path) -> str:
    path = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return str(path)


def test_the_emulator_serves_https(tls_emu: Emulator) -> None:
    assert tls_emu.url.startswith("https://127.0.0.1:")


@pytest.mark.parametrize("how", ["CA_BUNDLE", "--ca-bundle", "REQUESTS_CA_BUNDLE"])
def test_a_trusted_ca_without_insecure(
    how: str, tls_emu: Emulator, fake_clock: FakeClock, ca_pem: str
) -> None:
    env = base_env(tls_emu, PIPELINE_ID="proj/ok")
    argv: list[str] = []
    if how.startswith("--"):
        argv = [how, ca_pem]
    else:
        env[how] = ca_pem
    res = run_step(tls_emu, env, argv, clock=fake_clock)
    assert res.code == 0, res.stderr
    assert res.exports["BUILD_URL"].startswith("https://127.0.0.1:")
    assert "INSECURE" not in res.stderr
    assert len(res.run_requests) == 1


@pytest.mark.parametrize("bundle", ["other CA", "default CAs"])
def test_an_untrusted_certificate_is_exit_4_at_once(
    bundle: str, tls_emu: Emulator, fake_clock: FakeClock, other_ca_pem: str
) -> None:
    env = base_env(tls_emu, PIPELINE_ID="proj/ok")
    if bundle == "other CA":
        env["CA_BUNDLE"] = other_ca_pem
    res = run_step(tls_emu, env, clock=fake_clock)
    assert res.code == 4, res.stderr
    (last,) = [line for line in res.stderr_lines if line.startswith("cfstep:")]
    assert "not trusted" in last
    assert "CA_BUNDLE" in last
    assert "INSECURE" in last
    assert tls_emu.requests == []  # no request got through the handshake
    assert fake_clock.sleeps == []  # and none was tried again: the same certificate fails again


def test_insecure_works_and_warns_once(tls_emu: Emulator, fake_clock: FakeClock) -> None:
    res = run_step(
        tls_emu, base_env(tls_emu, PIPELINE_ID="proj/ok", INSECURE="true"), clock=fake_clock
    )
    assert res.code == 0, res.stderr
    warnings = [line for line in res.stderr_lines if "INSECURE" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith("warning:")


@pytest.mark.parametrize("name", ["CA_BUNDLE", "REQUESTS_CA_BUNDLE"])
@pytest.mark.parametrize("problem", ["missing", "not PEM"])
def test_an_unreadable_bundle_is_an_input_error(
    name: str, problem: str, emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    path = tmp_path / "bundle.pem"
    if problem == "not PEM":
        path.write_text("just text\n")
    res = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok", **{name: str(path)}), clock=fake_clock)
    assert res.code == 5, res.stderr
    assert res.stderr_lines[-1].startswith(f"cfstep: {name}: ")
    assert str(path) in res.stderr
    assert res.requests == []


def test_https_through_a_proxy_tunnel_with_credentials(
    tls_emu: Emulator, fake_clock: FakeClock, ca_pem: str
) -> None:
    password = "tunnel-SENSITIVE-pw"  # noqa: S105 - planted
    with ForwardingProxy("u", password) as proxy:
        env = base_env(
            tls_emu,
            PIPELINE_ID="proj/ok",
            CA_BUNDLE=ca_pem,
            HTTPS_PROXY=proxy.url("u", password),
            DEBUG="true",
            FOLLOW_LOGS="false",  # one tunnel for the API; live logs open one of their own
        )
        res = run_step(tls_emu, env, clock=fake_clock, secrets=[password])
    assert res.code == 0, res.stderr
    assert len(res.requests) >= 3
    # one tunnel for the whole run: the session keeps its connection
    assert proxy.forwarded == [("CONNECT", f"127.0.0.1:{tls_emu.port}")]


def test_a_proxy_refusing_the_tunnel_is_exit_4_at_once(
    tls_emu: Emulator, fake_clock: FakeClock, ca_pem: str
) -> None:
    with ForwardingProxy("u", "right-pw") as proxy:
        env = base_env(
            tls_emu,
            PIPELINE_ID="proj/ok",
            CA_BUNDLE=ca_pem,
            HTTPS_PROXY=proxy.url("u", "wrong-SENSITIVE-pw"),
        )
        res = run_step(tls_emu, env, clock=fake_clock, secrets=["wrong-SENSITIVE-pw"])
    assert res.code == 4, res.stderr
    assert "407" in res.stderr_lines[-1]
    assert "HTTPS_PROXY" in res.stderr_lines[-1]
    assert proxy.refused == 1  # the same credentials would be refused again: not retried
    assert tls_emu.requests == []
