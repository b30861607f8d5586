"""The key is sent as Codefresh's SDK sends it: a JWT in `x-access-token`, any other key in
`Authorization`; never both."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest

from cfstep.codefresh.network import auth_header, is_jwt
from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import run_step
from scenarios import SUITE_SCENARIO


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(header: object = None) -> str:
    head = _b64url(json.dumps(header or {"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64url(json.dumps({"accountId": "SENSITIVE-acct", "exp": 4102444800}).encode())
    return f"{head}.{body}.{_b64url(b'SENSITIVE-signature-bytes')}"


JWT = make_jwt()
PLAIN = "5f1a2b3c4d5e6f7a8b9c0d1e.SENSITIVEfe3a8d6c0b1f2e3d4c5b6a79"


@pytest.mark.parametrize(
    ("key", "header", "absent"),
    [(JWT, "x-access-token", "authorization"), (PLAIN, "authorization", "x-access-token")],
    ids=["jwt", "plain key"],
)
def test_the_emulator_receives_the_key_in_the_sdk_header(
    key: str,
    header: str,
    absent: str,
    emulator: Callable[..., Emulator],
    fake_clock: FakeClock,
) -> None:
    emu = emulator(SUITE_SCENARIO, clock=fake_clock, api_key=key)
    env = {"CF_URL": emu.url, "CF_API_KEY": key, "PIPELINE_ID": "proj/ok", "DEBUG": "true"}
    res = run_step(emu, env, clock=fake_clock, secrets=[key])
    assert res.code == 0, res.stderr
    assert len(res.requests) >= 3
    for request in res.requests:
        assert request.headers[header] == key
        assert absent not in request.headers


@pytest.mark.parametrize(
    "key",
    [
        "a.b",  # two parts: Codefresh's own API keys look like this
        "x.y.z",  # three parts, the first not base64url JSON
        f"{_b64url(b'[1, 2]')}.e30.sig",  # JSON, but not an object
        f"{_b64url(b'not json')}.e30.sig",
        f".{_b64url(b'{}')}.sig",  # empty header part
        "e30..sig",  # empty payload part
        "e30.e30.sig.more",  # four parts
    ],
)
def test_not_a_jwt(key: str) -> None:
    assert not is_jwt(key)
    assert auth_header(key) == {"Authorization": key}


def test_a_jwt_whatever_its_header_holds() -> None:
    assert is_jwt(make_jwt({"alg": "RS256"}))
    assert is_jwt("e30.e30.")  # `{}` as header and payload, unsigned
    assert auth_header(JWT) == {"x-access-token": JWT}
