"""Leak scan: the API key and every SECRETS value never appear in stdout, stderr,
the export file or the output JSON — in debug output, dry runs, tracebacks of unexpected
errors, input errors, API errors, a child's log tail and its returned values.

Every run of the suite is scanned (`harness.run_step`); these tests make the runs where a leak
is most likely, and check that the secret was really there to leak (it shows masked as ***).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest

from cfstep.codefresh import transport
from cfstep.emulator import Emulator, Fault
from harness import API_KEY, SECOND_SECRET, Result, base_env, find_leaks

# Not one of the harness's secrets, which every run checks: in the run without SECRETS, the
# child's log shows it as it is, and that is no leak.
SECRET_VALUE = "s3cret-VALUE-b71af0c9"  # noqa: S105 - planted
QUOTED_SECRET = 'q"uo\\te-secret-9c1d'  # noqa: S105 - planted; JSON-escaped in a request body: \" and \\
SECRETS = [SECRET_VALUE, SECOND_SECRET, QUOTED_SECRET]
SECRETS_ENV = f"TOKEN={SECRET_VALUE}\nPASSWORD={SECOND_SECRET}\nQUOTED={QUOTED_SECRET}"


def _leaky(emu: Emulator) -> None:
    """A child that prints the secret in its log and hands it back as an annotation."""
    emu.add_pipeline(
        "proj/leaky",
        {
            "timeline": [{"status": "running", "seconds": 2}],
            "final": "error",
            "logs": [f"token is {SECRET_VALUE}", f"key is {API_KEY}", "done"],
            "annotations": {"cfstep_out_TOKEN": SECRET_VALUE, "cfstep_out_KEY": API_KEY},
        },
    )


def test_debug_output_of_a_failing_child(emu: Emulator, run: Callable[..., Result]) -> None:
    _leaky(emu)
    env = base_env(emu, PIPELINE_ID="proj/leaky", SECRETS=SECRETS_ENV, DEBUG="true")
    res = run(**env, secrets=SECRETS)
    assert res.code == 1
    assert "debug: POST /api/pipelines/run/" in res.stderr  # debug output was on
    assert "token is ***" in res.stderr  # the log tail, masked
    assert res.exports["TOKEN"] == "***"  # noqa: S105 - a returned value, masked
    assert res.exports["KEY"] == "***"
    sent = emu.requests[0]
    assert sent.headers["authorization"] == API_KEY  # the key was really in play
    assert {v["value"] for v in sent.json["variables"]} >= set(SECRETS)


def test_dry_run_prints_the_request_with_secrets_masked(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    """The secrets given as flags this time, in each spelling."""
    env = base_env(emu, PIPELINE_ID="proj/ok", DRY_RUN="true")
    res = run(
        *("--secret", f"TOKEN={SECRET_VALUE}"),
        f"--secret=PASSWORD={SECOND_SECRET}",
        *("-S", f"QUOTED={QUOTED_SECRET}"),
        "--debug",
        **env,
        secrets=SECRETS,
    )
    assert res.code == 0
    assert res.stdout.count('"value": "***"') == 3
    assert '"Authorization": "***"' in res.stdout
    assert emu.requests == []


def test_key_given_only_as_a_flag(emu: Emulator, run: Callable[..., Result]) -> None:
    env = {"CF_API_KEY": None, "PIPELINE_ID": "proj/leaky", "DEBUG": "true"}
    _leaky(emu)
    res = run(f"--api-key={API_KEY}", **env, secrets=[API_KEY])
    assert res.code == 1
    assert "key is ***" in res.stderr


def test_traceback_of_an_unexpected_error(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch, run: Callable[..., Result]
) -> None:
    """A cfstep bug whose exception message carries the request headers and body."""

    def broken(self: Any, method: str, target: str, payload: Any, headers: Any, *a: Any) -> Any:
        raise RuntimeError(f"cannot send {headers!r} with {payload!r}")

    monkeypatch.setattr(transport.ApiSession, "_exchange", broken)
    env = base_env(emu, PIPELINE_ID="proj/ok", SECRETS=SECRETS_ENV)
    res = run(**env, secrets=SECRETS)
    assert res.code == 70
    assert "Traceback" in res.stderr
    assert "RuntimeError: cannot send {'Authorization': '***'" in res.stderr


def test_api_error_that_echoes_the_key(emu: Emulator, run: Callable[..., Result]) -> None:
    body = f'{{"message": "key {API_KEY} may not run this; secret {SECRET_VALUE}"}}'
    emu.add_fault(Fault("POST", "/api/pipelines/run/", "status", status=403, body=body.encode()))
    env = base_env(emu, PIPELINE_ID="proj/ok", SECRETS=SECRETS_ENV)
    res = run(**env, secrets=SECRETS)
    assert res.code == 4
    assert "key *** may not run this; secret ***" in res.stderr


INPUT_ERRORS = {
    "SECRETS item without =": {"SECRETS": f"TOKEN {SECRET_VALUE}"},
    "SECRETS value alone": {"SECRETS": SECRET_VALUE},
    "SECRETS YAML map item": {"SECRETS": f"- {{TOKEN: {SECRET_VALUE}}}"},
    "SECRETS YAML list item": {"SECRETS": f"- [{SECRET_VALUE}]"},
    "SECRETS flow list": {"SECRETS": f'["TOKEN={SECOND_SECRET}", "{SECRET_VALUE}"]'},
    "PIPELINES item secrets": {
        "PIPELINE_ID": "",
        "PIPELINES": f"- pipeline: proj/ok\n  secrets: ['{SECRET_VALUE}']",
    },
    "PIPELINES item secrets map": {
        "PIPELINE_ID": "",
        "PIPELINES": f"- pipeline: proj/ok\n  secrets: {{TOKEN: [{SECRET_VALUE}]}}",
    },
    "API key with a line break": {"CF_API_KEY": f"{API_KEY}\n{SECRET_VALUE}"},
    "API key with a control character": {"CF_API_KEY": f"{API_KEY}\x07"},
    "misspelt secret flag": {"argv": f"--secrets=TOKEN={SECRET_VALUE}"},
}


@pytest.mark.parametrize("case", list(INPUT_ERRORS))
def test_input_errors_never_echo_a_secret(
    case: str, emu: Emulator, run: Callable[..., Result]
) -> None:
    extra = dict(INPUT_ERRORS[case])
    argv = [extra.pop("argv")] if "argv" in extra else []
    env = base_env(emu, PIPELINE_ID="proj/ok")
    env.update(extra)
    res = run(*argv, **env, secrets=SECRETS)
    assert res.code in (4, 5), res.stderr
    assert res.code == 5 or "API key" in case  # input errors; a key is only tried by the API
    assert res.stderr.startswith("cfstep: ") or "Triggering" in res.stderr
    assert emu.runs() == []


def test_the_scan_finds_a_secret_in_each_form() -> None:
    """The scan every run passes is not vacuous: as written, JSON-escaped, percent-encoded."""
    encoded = quote(SECOND_SECRET, safe="")
    escaped = json.dumps(QUOTED_SECRET)[1:-1]
    secrets = [SECOND_SECRET, QUOTED_SECRET]
    assert find_leaks({"log": f"x {SECOND_SECRET} y"}, secrets) == [f"log: {SECOND_SECRET!r}"]
    assert find_leaks({"url": f"/run?v={encoded}"}, secrets) == [f"url: {encoded!r}"]
    assert find_leaks({"body": f'{{"v": "{escaped}"}}'}, secrets) == [f"body: {escaped!r}"]
    assert find_leaks({"clean": "key ***, secret ***"}, secrets) == []
