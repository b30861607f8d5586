"""Logs, annotations, authentication and the endpoints around builds."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from emuhttp import build, call, run

from cfstep.emulator import DEFAULT_API_KEY, Emulator
from fakeclock import FakeClock
from scenarios import FAIL_LOG_LINES, OK_ID

Factory = Callable[..., Emulator]


def test_progress_points_at_the_live_log_then_at_a_stored_log(
    emulator: Factory, fake_clock: FakeClock
) -> None:
    """As Codefresh: the live database while the build runs; once it has ended, a storage
    link on another host that the official CLI fetches without the key, JSON steps."""
    emu = emulator(clock=fake_clock)
    build_id = run(emu, "proj/fail")
    progress = build(emu, build_id)["progress"]
    doc = call(emu, "GET", f"/api/progress/{progress}").json
    assert doc == {"_id": progress, "location": {"type": "firebase"}, "status": "running"}
    fake_clock.advance(1 + emu.logstore.archive_seconds)
    doc = call(emu, "GET", f"/api/progress/{progress}").json
    url = f"{emu.logstore.url}/storage/{progress}.json"
    assert doc == {"_id": progress, "location": {"type": "storage", "url": url}, "status": "error"}
    stored = requests.get(url, timeout=5).json()
    assert [s["name"] for s in stored["steps"]] == ["Initializing Process", "main"]
    assert [line.strip() for line in stored["steps"][1]["logs"]] == FAIL_LOG_LINES
    assert stored["steps"][1]["status"] == "error"


def test_log_download_is_the_pipelines_lines_as_text(emulator: Factory) -> None:
    emu = emulator()
    build_id = run(emu, "proj/fail")
    progress = emu.builds[build_id].progress
    reply = call(emu, "GET", f"/api/progress/download/{progress}")
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/plain")
    assert reply.body.decode().splitlines() == FAIL_LOG_LINES


def test_annotations_of_the_run_request_are_on_the_build(emulator: Factory) -> None:
    emu = emulator()
    build_id = run(emu, "proj/slow", {"annotations": {"cf_predecessor": "p" * 24}})
    reply = call(emu, "GET", f"/api/annotations?entityType=workflow&entityId={build_id}")
    assert reply.status == 200
    (annotation,) = reply.json
    assert {k: annotation[k] for k in ("entityType", "entityId", "key", "value")} == {
        "entityType": "workflow",
        "entityId": build_id,
        "key": "cf_predecessor",
        "value": "p" * 24,
    }


def test_pipeline_annotations_appear_when_the_build_finishes(
    emulator: Factory, fake_clock: FakeClock
) -> None:
    emu = emulator(clock=fake_clock)
    build_id = run(emu, "proj/ok")
    path = f"/api/annotations?entityType=workflow&entityId={build_id}"
    assert call(emu, "GET", path).json == []
    fake_clock.advance(3)
    keys = {a["key"]: a["value"] for a in call(emu, "GET", path).json}
    assert keys == {"cfstep_out_VERSION": "1.2.3", "other_key": "not an output"}
    filtered = call(emu, "GET", path + "&key=cfstep_out_VERSION").json
    assert [a["value"] for a in filtered] == ["1.2.3"]
    assert emu.annotations(build_id)["cfstep_out_VERSION"] == "1.2.3"


def test_a_terminated_build_gets_no_pipeline_annotations(
    emulator: Factory, fake_clock: FakeClock
) -> None:
    emu = emulator(clock=fake_clock)
    build_id = run(emu, "proj/ok")
    call(emu, "DELETE", f"/api/progress/{emu.builds[build_id].progress}")
    fake_clock.advance(10)
    assert emu.builds[build_id].status == "terminated"
    assert emu.annotations(build_id) == {}


def test_post_annotation_adds_and_replaces_by_key(emulator: Factory) -> None:
    emu = emulator()
    build_id = run(emu, "proj/slow")
    for value in ("1", "2"):
        body = {"entityType": "workflow", "entityId": build_id, "key": "k", "value": value}
        reply = call(emu, "POST", "/api/annotations", body)
        assert reply.status == 200
        assert reply.json["value"] == value
    listed = call(emu, "GET", f"/api/annotations?entityType=workflow&entityId={build_id}").json
    assert [(a["key"], a["value"]) for a in listed] == [("k", "2")]


def test_post_annotation_without_key_is_400(emulator: Factory) -> None:
    emu = emulator()
    reply = call(emu, "POST", "/api/annotations", {"entityType": "workflow", "entityId": "x"})
    assert reply.status == 400


@pytest.mark.parametrize("key", [None, "wrong-key", f"Bearer {DEFAULT_API_KEY}"], ids=str)
def test_a_missing_or_wrong_key_is_401_and_does_nothing(emulator: Factory, key: str | None) -> None:
    emu = emulator()
    reply = call(emu, "POST", "/api/pipelines/run/proj%2Fok", {}, key=key)
    assert reply.status == 401
    assert "message" in reply.json
    assert emu.runs() == []
    assert emu.requests[-1].status == 401


def test_a_custom_api_key_is_required(emulator: Factory) -> None:
    emu = emulator(api_key="k-123")
    assert emu.api_key == "k-123"
    assert call(emu, "GET", "/api/user", key=DEFAULT_API_KEY).status == 401
    assert call(emu, "GET", "/api/user").status == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/nothing"), ("GET", "/"), ("PUT", "/api/builds/x"), ("GET", "/api/builds")],
)
def test_unknown_routes_are_404_json(emulator: Factory, method: str, path: str) -> None:
    emu = emulator()
    reply = call(emu, method, path)
    assert reply.status == 404
    assert "message" in reply.json


def test_user_and_pipeline_endpoints(emulator: Factory) -> None:
    emu = emulator()
    assert call(emu, "GET", "/api/user").json["activeAccountName"]
    for name in ("proj%2Fok", OK_ID):
        doc = call(emu, "GET", f"/api/pipelines/{name}").json
        assert doc["metadata"] == {"name": "proj/ok", "id": OK_ID, "project": "proj"}
    triggers = call(emu, "GET", "/api/pipelines/proj%2Fstrict").json["spec"]["triggers"]
    assert [t["name"] for t in triggers] == ["deploy-trigger"]
    assert call(emu, "GET", "/api/pipelines/proj%2Fnope").status == 404


def test_workflow_list_is_newest_first_and_filters(emulator: Factory) -> None:
    emu = emulator()
    first, second = run(emu, "proj/ok"), run(emu, "proj/ok")
    other = run(emu, "proj/fail", {"branch": "dev"})
    docs = call(emu, "GET", "/api/workflow").json["workflows"]
    assert [d["id"] for d in docs["docs"]] == [other, second, first]
    assert docs["total"] == 3
    by_pipeline = call(emu, "GET", f"/api/workflow?pipeline={OK_ID}&limit=1").json
    assert [d["id"] for d in by_pipeline["workflows"]["docs"]] == [second]
    assert by_pipeline["workflows"]["total"] == 2
    by_branch = call(emu, "GET", "/api/workflow?branchName=dev").json["workflows"]["docs"]
    assert [d["id"] for d in by_branch] == [other]


def test_one_trailing_slash_is_ignored_like_express(emulator: Factory) -> None:
    emu = emulator()
    build_id = run(emu, "proj/ok")
    assert call(emu, "GET", f"/api/builds/{build_id}/").json["id"] == build_id
