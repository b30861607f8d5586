"""End to end: a name made of dots reaches the endpoint it names (or is refused before
anything is sent), the URL a message prints is a URL that was sent, and a status answer
about another build is not followed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cfstep.emulator import Emulator, Fault
from fakeclock import FakeClock
from harness import Result, base_env, run_step


def _printed_urls(result: Result, emu: Emulator) -> list[str]:
    return re.findall(re.escape(emu.url) + r"/api/\S*[^\s,.)]", result.stderr)


@pytest.mark.parametrize("name", ["..", "."])
def test_a_pipeline_id_of_dots_never_reaches_another_endpoint(
    emu: Emulator, fake_clock: FakeClock, name: str
) -> None:
    """`..` used to become `POST /api/pipelines/` (create a pipeline) with the key and the
    run body, while the message named `…/pipelines/run/..`."""
    res = run_step(emu, base_env(emu, PIPELINE_ID=name), clock=fake_clock)
    assert res.code in (4, 5), res.stderr  # not found, or refused as an input
    assert all(r.path.startswith("/api/pipelines/run/%2E") for r in res.requests), [
        r.path for r in res.requests
    ]
    assert emu.runs() == []
    printed = [url.partition("?")[0] for url in _printed_urls(res, emu)]
    assert set(printed) <= {emu.url + r.path for r in res.requests}


def test_a_spec_project_of_dots_is_looked_up_by_name_not_listed(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    spec = tmp_path / "deploy.yml"
    spec.write_text("version: '1.0'\nkind: pipeline\nmetadata:\n  name: ../deploy\n")
    env = base_env(emu, PIPELINE_SPEC=str(spec), SPEC_ONLY="true")
    res = run_step(emu, env, clock=fake_clock)
    gets = [r.path for r in res.requests if r.method == "GET"]
    assert "/api/projects/" not in gets
    assert "/api/projects" not in gets
    assert [p for p in gets if p.startswith("/api/projects")] in (
        [],  # refused as an input, or not needed
        ["/api/projects/name/%2E%2E"],
    )


def test_a_status_answer_about_another_build_is_not_followed(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    other = {"id": "b0000000000000000000000b", "status": "success", "progress": "p-other"}
    body = json.dumps(other).encode()
    emu.add_fault(Fault("GET", "/api/builds/", "status", times=-1, status=200, body=body))
    res = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok"), clock=fake_clock)
    assert res.code == 4, res.stderr
    assert "b0000000000000000000000b" in res.stderr_lines[-1]
    assert res.build_ids[0] in res.stderr_lines[-1]
    assert res.exports.get("BUILD_STATUS") != "success"
