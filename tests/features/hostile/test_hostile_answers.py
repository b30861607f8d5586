"""The hostile-answer matrix: every answer the step parses, replaced by one no honest server
gives — a lone surrogate in every field it reads, a body nested 200,000 deep, the wrong
shapes — for ever. The API client parses each into typed values or calls it unreadable
(docs/reliability.md, "Hostile answers"): never an internal error (exit 70), every started
child terminated or named with its URL, the exports written, nothing secret shown.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from cfstep.emulator import Emulator, Fault
from harness import SECRET, Figures, Result, base_env
from netkit import scripted_server

Run = Callable[..., Result]

LONE = "\\ud800"  # as JSON writes it: a lone surrogate once parsed
BODIES: dict[str, bytes] = {
    # every field any endpoint reads, holding a string that cannot be encoded
    "lone surrogate": (
        f'{{"id": "{LONE}", "status": "{LONE}", "progress": "{LONE}", '
        f'"created": "{LONE}", "finished": "{LONE}", '
        f'"location": {{"type": "{LONE}", "url": "http://x/{LONE}"}}, '
        f'"url": "{LONE}", "accessToken": "{LONE}", "message": "{LONE}", '
        f'"docs": [{{"key": "cfstep_out_X", "value": "{LONE}"}}, '
        f'{{"key": "{LONE}", "value": "v"}}]}}'
    ).encode(),
    "nested 200,000 deep": b"[" * 200_000 + b"]" * 200_000,
    "wrong types": json.dumps(
        {
            "id": ["x"],
            "status": 5,
            "progress": {},
            "created": 7,
            "location": "here",
            "docs": 7,
            "url": 1,
            "accessToken": [],
        }
    ).encode(),
    "a list": b"[1, 2, 3]",
    "a number": b"42",
    "null": b"null",
    "a status with a line break": b'{"status": "success\\nBUILD_STATUS=x", "progress": "p"}',
}


@dataclass(frozen=True)
class Endpoint:
    """One answer the step parses, the run that reads it, and what must come of it."""

    name: str
    method: str
    prefix: str
    pipeline: str
    code: int
    env: tuple[tuple[str, str], ...] = ()
    processed: bool = True  # the server acts on the request before the hostile answer


ENDPOINTS = {
    e.name: e
    for e in (
        # not processed: no build is started, the run request is given up after 60 s
        Endpoint("run", "POST", "/api/pipelines/run/", "proj/ok", 4, processed=False),
        # no status ever read: the deadline passes, the step tries to terminate it
        Endpoint(
            "build status",
            "GET",
            "/api/builds/",
            "proj/ok",
            3,
            (("TIMEOUT_MINS", "0.1"), ("ON_TIMEOUT", "terminate")),
        ),
        Endpoint("annotations", "GET", "/api/annotations", "proj/ok", 0),
        Endpoint("progress", "GET", "/api/progress/", "proj/fail", 1, (("FOLLOW_LOGS", "false"),)),
        Endpoint("firebaseAuth", "GET", "/api/user/firebaseAuth", "proj/fail", 1),
        Endpoint(
            "terminate",
            "DELETE",
            "/api/progress/",
            "proj/slow",
            3,
            (("TIMEOUT_MINS", "0.1"), ("ON_TIMEOUT", "terminate")),
        ),
    )
}


def arm(emu: Emulator, endpoint: Endpoint, body: bytes, times: int = -1) -> None:
    kind = "malformed_json" if endpoint.processed else "status"
    emu.add_fault(Fault(endpoint.method, endpoint.prefix, kind, times=times, status=200, body=body))


def run_against(run: Run, emu: Emulator, endpoint: Endpoint) -> Result:
    env = base_env(emu, PIPELINE_ID=endpoint.pipeline, SECRETS=f"TOKEN={SECRET}")
    env.update(dict(endpoint.env))
    return run(**env, secrets=[SECRET])


def assert_no_child_unmanaged(emu: Emulator, result: Result) -> None:
    """Every build the emulator started ended, was terminated, or is named (id and URL) in
    what the step printed and exported."""
    for build in emu.runs():
        if build.is_final or build.terminated_at is not None:
            continue
        assert build.id in result.exports.get("BUILD_ID", ""), result.stderr
        assert f"stop it at {emu.url}/build/{build.id}" in result.stderr, result.stderr


@pytest.mark.parametrize("body", list(BODIES))
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_a_hostile_answer_is_an_api_error_never_a_crash(
    endpoint: str, body: str, run: Run, emu: Emulator, figures: Figures
) -> None:
    case = ENDPOINTS[endpoint]
    arm(emu, case, BODIES[body])
    result = run_against(run, emu, case)
    figures.counts["hostile answers"] += 1
    assert "internal error" not in result.stderr, result.stderr
    assert result.code == case.code, result.stderr
    assert_no_child_unmanaged(emu, result)
    builds = emu.runs()
    if endpoint == "run":
        assert builds == [], "the answer was never readable: nothing may be started"
        assert "could not start" in result.stderr_lines[-1]
        assert "BUILD_ID" not in result.exports
        return
    (build,) = builds
    assert result.exports["BUILD_ID"] == build.id
    assert result.exports["BUILD_STATUS"] in {"success", "error", "timeout", "detached"}
    assert result.output_json["children"][0]["build_id"] == build.id
    if endpoint == "terminate":
        assert build.terminated_at is not None  # the DELETE was acted on; 2xx is accepted
    if endpoint == "build status":
        assert build.terminated_at is None  # its progress was never readable
        assert f"could not terminate {build.id}" in result.stderr


def test_created_with_a_zone_and_finished_without_one(run: Run, emu: Emulator) -> None:
    """A naive time is UTC: the two can be subtracted, the duration is 2 h 5 s."""
    body = (
        b'{"status": "error", "created": "2026-01-01T00:00:00+02:00", '
        b'"finished": "2026-01-01T00:00:05"}'
    )
    arm(emu, ENDPOINTS["build status"], body)
    result = run_against(run, emu, ENDPOINTS["annotations"])  # proj/ok, read as failed
    assert result.code == 1, result.stderr
    assert result.exports["BUILD_STATUS"] == "error"
    assert result.exports["BUILD_DURATION_SECONDS"] == "7205"
    assert "could not read the child's log (no progress id)" in result.stderr


def test_a_returned_value_with_a_lone_surrogate_is_left_out(run: Run, emu: Emulator) -> None:
    body = (
        f'[{{"key": "cfstep_out_BAD", "value": "a{LONE}b"}}, '
        f'{{"key": "cfstep_out_GOOD", "value": "fine"}}]'
    ).encode()
    arm(emu, ENDPOINTS["annotations"], body)
    result = run_against(run, emu, ENDPOINTS["annotations"])
    assert result.code == 0, result.stderr
    assert result.exports["GOOD"] == "fine"
    assert "BAD" not in result.exports
    assert result.output_json["children"][0]["returned"] == {"GOOD": "fine"}


def test_a_failed_childs_log_nested_too_deep_is_said_in_one_line(run: Run, emu: Emulator) -> None:
    """The stored log the step reads for the tail is JSON nested 200,000 deep: one line
    says so, the exit code is the child's 1."""
    deep = BODIES["nested 200,000 deep"]

    def stored_log(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(deep) + deep)

    with scripted_server(stored_log) as url:
        location = {"location": {"type": "s3", "url": f"{url}/log.json"}}
        arm(emu, ENDPOINTS["progress"], json.dumps(location).encode())
        result = run_against(run, emu, ENDPOINTS["progress"])
    assert result.code == 1, result.stderr
    assert result.exports["BUILD_STATUS"] == "error"
    assert "could not read the child's log (it nests too deep to read)" in result.stderr


def test_a_redirect_to_no_url_at_all(run: Run, emu: Emulator) -> None:
    """`Location: http://[bad` cannot be parsed: still a redirect not followed, exit 4."""
    emu.add_fault(Fault("POST", "/api/pipelines/run/", "redirect", location="http://[bad/x"))
    result = run_against(run, emu, ENDPOINTS["run"])
    assert result.code == 4, result.stderr
    assert "a redirect to an address that is not a URL, not followed" in result.stderr
    assert emu.runs() == []


def test_a_stored_log_redirecting_to_no_url_at_all(run: Run, emu: Emulator) -> None:
    def moved(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: http://[bad/x\r\nContent-Length: 0\r\n\r\n")

    with scripted_server(moved) as url:
        location = {"location": {"type": "s3", "url": f"{url}/log.json"}}
        arm(emu, ENDPOINTS["progress"], json.dumps(location).encode())
        result = run_against(run, emu, ENDPOINTS["progress"])
    assert result.code == 1, result.stderr
    assert "could not read the child's log" in result.stderr
