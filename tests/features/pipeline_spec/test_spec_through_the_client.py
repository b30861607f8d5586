"""PIPELINE_SPEC goes through the one Codefresh client: it fails as fast and as clearly as
the trigger does (an untrusted certificate, an oversized answer, an unreachable host), a
400 is what it says, and an answer about another pipeline is never trusted."""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from cfstep.codefresh.transport import API_BODY_LIMIT
from cfstep.emulator import Emulator, Fault
from fakeclock import FakeClock
from harness import API_KEY, Result, base_env, run_step
from scenarios import CLI_SCENARIO

NAME = "team-a/deploy"
SPEC = f"""\
version: '1.0'
kind: pipeline
metadata:
  name: {NAME}
spec:
  triggers:
    - name: push-main
      type: git
      repo: acme/service
      events: [push.heads]
  steps:
    deploy:
      image: alpine:3.19
      commands: [echo deploying]
"""
# No validator call: a fault on /api/pipelines is the write's.
WITHOUT_STEPS = SPEC.partition("  steps:")[0]


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "deploy.yml"
    path.write_text(SPEC, encoding="utf-8")
    return path


def _apply(emu: Emulator | None, clock: FakeClock, spec: Path, **env: str) -> Result:
    environ = base_env(emu, PIPELINE_SPEC=str(spec), SPEC_ONLY="true", **env)
    return run_step(emu, environ, clock=clock)


def _closing_line(result: Result) -> str:
    (line,) = [line for line in result.stderr_lines if line.startswith("cfstep:")]
    return line


# -- an untrusted certificate ---------------------------------------------------------------


@pytest.fixture
def tls_emu(fake_clock: FakeClock) -> Iterator[Emulator]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(context)
    with Emulator(CLI_SCENARIO, clock=fake_clock, api_key=API_KEY, tls=context) as emu:
        yield emu


def test_an_untrusted_certificate_ends_the_spec_path_as_the_trigger_path(
    tls_emu: Emulator, fake_clock: FakeClock, spec: Path
) -> None:
    started = time.monotonic()
    trigger = run_step(tls_emu, base_env(tls_emu, PIPELINE_ID="proj/ok"), clock=fake_clock)
    trigger_seconds = time.monotonic() - started
    started = time.monotonic()
    applied = _apply(tls_emu, fake_clock, spec)
    spec_seconds = time.monotonic() - started

    assert (trigger.code, applied.code) == (4, 4), applied.stderr
    assert _closing_line(applied) == _closing_line(trigger)  # one message, whatever the path
    assert "CA_BUNDLE" in _closing_line(applied)
    assert "INSECURE" in _closing_line(applied)
    assert fake_clock.sleeps == []  # not retried: the same certificate fails again
    assert spec_seconds < 1.0
    assert trigger_seconds < 1.0


# -- an oversized answer is never fetched twice ------------------------------------------------

HUGE = b'{"metadata": {"name": "x"}, "pad": "' + b"x" * API_BODY_LIMIT + b'"}'


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/pipelines/team-a%2Fdeploy"),
        ("GET", "/api/projects/name/team-a"),
        ("POST", "/api/pipelines/yaml/validator"),
        ("POST", "/api/projects"),
        ("POST", "/api/pipelines"),
    ],
)
def test_an_oversized_answer_is_never_retried(
    emu: Emulator, fake_clock: FakeClock, spec: Path, method: str, path: str
) -> None:
    if path != "/api/pipelines/yaml/validator":
        spec.write_text(WITHOUT_STEPS, encoding="utf-8")
    emu.add_fault(Fault(method, path, "status", times=-1, status=200, body=HUGE))
    res = _apply(emu, fake_clock, spec)
    assert res.code == 4, res.stderr
    assert "larger than 4 MB" in _closing_line(res)
    assert len([r for r in res.requests if (r.method, r.path) == (method, path)]) == 1


# -- a 400 is what it says -----------------------------------------------------------------------


def _bad_request(message: str, code: str = "BAD_REQUEST") -> bytes:
    return json.dumps({"status": 400, "code": code, "name": code, "message": message}).encode()


ECHO = "steps.deploy: duplicate key 'image' (revision of the spec as sent); already exists"


@pytest.mark.parametrize("write", ["create", "replace"])
def test_a_400_that_echoes_the_spec_is_no_conflict(
    emu: Emulator, fake_clock: FakeClock, spec: Path, write: str
) -> None:
    """Its words ("duplicate", "revision", "already exists") are the spec's, not a race."""
    spec.write_text(WITHOUT_STEPS, encoding="utf-8")
    if write == "replace":
        assert _apply(emu, fake_clock, spec).code == 0
        spec.write_text(WITHOUT_STEPS + "  concurrency: 2\n", encoding="utf-8")
    method, path = ("POST", "/api/pipelines") if write == "create" else ("PUT", "/api/pipelines/")
    emu.add_fault(Fault(method, path, "status", times=-1, status=400, body=_bad_request(ECHO)))
    res = _apply(emu, fake_clock, spec)
    assert res.code == 4, res.stderr
    line = _closing_line(res)
    assert line.startswith(f"cfstep: 400 Bad Request from {method} {emu.url}/api/pipelines")
    assert "Codefresh refused the pipeline spec as sent" in line
    assert "kept changing" not in res.stderr
    assert len(res.sent(method, path)) == 1  # not read again and written again


def test_a_400_whose_code_names_an_existing_pipeline_is_a_conflict(
    emu: Emulator, fake_clock: FakeClock, spec: Path
) -> None:
    """Another build created it between the read and the create: read again, unchanged."""
    spec.write_text(WITHOUT_STEPS, encoding="utf-8")
    emu.pipelines.add_project("team-a")
    emu.pipelines.race_create = True  # the pipeline exists by the time the create arrives
    body = _bad_request("Pipeline exists", code="PIPELINE_ALREADY_EXIST")
    emu.add_fault(Fault("POST", "/api/pipelines", "status", times=1, status=400, body=body))
    res = _apply(emu, fake_clock, spec)
    assert res.code == 0, res.stderr
    assert res.exports["PIPELINE_SPEC_RESULT"] == "unchanged"


# -- an answer about another pipeline ------------------------------------------------------------


def _other_pipeline() -> bytes:
    return json.dumps(
        {
            "version": "1.0",
            "kind": "pipeline",
            "metadata": {"name": "other/pipeline", "id": "0ther0000000000000000000"},
            "spec": {"triggers": [{"name": "push-main", "id": "other-trigger-id"}]},
        }
    ).encode()


def test_a_pipeline_read_back_as_another_is_an_api_error(
    emu: Emulator, fake_clock: FakeClock, spec: Path
) -> None:
    assert _apply(emu, fake_clock, spec).code == 0  # it exists: the next apply replaces it
    spec.write_text(SPEC.replace("echo deploying", "echo changed"), encoding="utf-8")
    emu.add_fault(
        Fault("GET", "/api/pipelines/team-a%2Fdeploy", "status", -1, 200, body=_other_pipeline())
    )
    res = _apply(emu, fake_clock, spec)
    assert res.code == 4, res.stderr
    line = _closing_line(res)
    assert "'other/pipeline'" in line
    assert "0ther0000000000000000000" in line
    assert f"not '{NAME}'" in line
    assert res.sent("PUT") == []  # never written with the other pipeline's trigger ids
    assert "PIPELINE_SPEC_ID" not in res.exports


# -- an unreachable host ---------------------------------------------------------------------------


def test_the_first_failure_to_reach_codefresh_is_said_at_once(
    fake_clock: FakeClock, spec: Path
) -> None:
    env = {"CF_URL": "http://127.0.0.1:9"}  # nothing listens there
    res = _apply(None, fake_clock, spec, **env)
    assert res.code == 4, res.stderr
    said = [line for line in res.stderr_lines if line.startswith("cannot reach")]
    assert said == ["cannot reach http://127.0.0.1:9: connection refused — retrying for up to 60 s"]
    assert res.stderr_lines[0] == said[0]  # before the first wait
    assert len(fake_clock.sleeps) >= 3  # and then the retries, without a word each
