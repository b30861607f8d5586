"""No secret reaches any output whatever the shape of the error, through the real
entrypoint and the emulator: a malformed secret is never echoed, and a secret is masked
when a server's message cuts it, collapses its whitespace or escapes it, and when it spans
lines (a PEM key) in a log tail or a returned value."""

from __future__ import annotations

import json

import pytest

from cfstep.emulator import Emulator
from cfstep.emulator.faults import Fault
from fakeclock import FakeClock
from harness import API_KEY, RUN_PREFIX, SECRET, base_env, run_step


def test_a_secrets_map_where_a_list_item_belongs_is_not_echoed(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    pipelines = f'[{{pipeline: proj/ok, secrets: [{{TOKEN: "{SECRET}"}}]}}]'
    result = run_step(emu, base_env(emu, PIPELINES=pipelines), clock=fake_clock)
    assert result.code == 5
    assert result.requests == []
    assert result.exports == {}
    (line,) = result.stderr_lines
    assert "PIPELINES item 1 secrets" in line
    assert "TOKEN" not in line


@pytest.mark.parametrize(
    "pipelines",
    [
        f"{{pipeline: proj/ok, secrets: [TOKEN={SECRET}]}}",  # a map where the list belongs
        f"- [proj/ok, {{secrets: [TOKEN={SECRET}]}}]",  # an item that is a list
        f"- pipeline: proj/ok\n  secrets: {{TOKEN: [{SECRET}]}}",  # a value that is a list
        f"- pipeline: proj/ok\n  secrets: {SECRET}",  # not KEY=VALUE
    ],
    ids=["map-not-list", "item-is-a-list", "value-is-a-list", "no-equals"],
)
def test_no_malformed_secrets_form_is_echoed(
    emu: Emulator, fake_clock: FakeClock, pipelines: str
) -> None:
    result = run_step(emu, base_env(emu, PIPELINES=pipelines), clock=fake_clock)
    assert result.code == 5
    assert result.requests == []
    assert len(result.stderr_lines) == 1  # the leak check in run_step: SECRET absent


def test_a_misspelt_api_key_flag_does_not_print_its_value(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    env = base_env(emu)
    del env["CF_API_KEY"]
    result = run_step(emu, env, ["proj/ok", "--apikey", API_KEY], clock=fake_clock)
    assert result.code == 5
    assert result.requests == []
    (line,) = result.stderr_lines
    assert "--apikey" in line
    assert "hidden" in line


def _secret_env(emu: Emulator, secret: str, **extra: str) -> dict[str, str]:
    return base_env(emu, SECRETS=json.dumps([f"TOKEN={secret}"]), **extra)


def test_a_secret_cut_by_a_long_server_message_is_masked(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    message = "invalid variable value " + "x" * (300 - 23 - 10) + " " + SECRET
    body = json.dumps({"message": message}).encode()
    emu.add_fault(Fault("POST", RUN_PREFIX, "status", status=400, body=body))
    result = run_step(emu, _secret_env(emu, SECRET, PIPELINE_ID="proj/ok"), clock=fake_clock)
    assert result.code == 4
    assert result.exports == {}
    assert SECRET[:9] not in result.stderr  # not even the part before the cut
    assert "***…" in result.stderr


def test_a_secret_with_whitespace_collapsed_by_the_message_is_masked(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    secret = "multi  word\tSENSITIVE\nsecret"  # noqa: S105 - a test value
    body = json.dumps({"message": f"refused: {secret}"}).encode()
    emu.add_fault(Fault("POST", RUN_PREFIX, "status", status=400, body=body))
    result = run_step(
        emu, _secret_env(emu, secret, PIPELINE_ID="proj/ok"), clock=fake_clock, secrets=[secret]
    )
    assert result.code == 4
    assert "refused: ***" in result.stderr
    assert "word SENSITIVE" not in result.stderr


def test_a_secret_escaped_in_a_condition_message_is_masked(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    """The condition is shown with `\\` doubled; the secret's quote breaks the syntax."""
    secret = 'back\\slash"SENSITIVE'  # noqa: S105 - a test value
    env = _secret_env(emu, secret, PIPELINE_ID="proj/ok", CONDITION_ALL='"${{TOKEN}}" == "x"')
    env["TOKEN"] = secret
    result = run_step(emu, env, clock=fake_clock, secrets=[secret, secret.replace("\\", "\\\\")])
    assert result.code == 5
    assert result.requests == []
    assert "***" in result.stderr


PEM = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7SENSITIVEaaaa\n"
    "bbbbSENSITIVEcccc1234567890abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL\n"
    "Zm9v\n"
    "-----END PRIVATE KEY-----"
)


def test_a_multi_line_secret_in_the_log_tail_is_masked(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    emu.add_pipeline(
        "proj/pem-log",
        {
            "timeline": [{"status": "running", "seconds": 1}],
            "final": "error",
            "logs": ["loading the key:", *PEM.splitlines(), "boom"],
        },
    )
    result = run_step(
        emu,
        _secret_env(emu, PEM, PIPELINE_ID="proj/pem-log", FOLLOW_LOGS="false"),
        clock=fake_clock,
    )
    assert result.code == 1
    assert result.exports["BUILD_STATUS"] == "error"
    assert "  | boom" in result.stderr
    assert "  | ***" in result.stderr


def test_a_multi_line_secret_returned_is_masked_in_its_joined_form(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    emu.add_pipeline(
        "proj/pem-return",
        {
            "timeline": [{"status": "running", "seconds": 1}],
            "final": "success",
            "annotations": {"cfstep_out_KEY": PEM.replace("\n", "\r\n")},
        },
    )
    env = _secret_env(emu, PEM, PIPELINE_ID="proj/pem-return", OUTPUT_JSON="")
    result = run_step(emu, env, clock=fake_clock)
    assert result.code == 0
    assert "SENSITIVE" not in result.exports["KEY"]
