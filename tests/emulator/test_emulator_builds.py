"""Run, de-duplicate, follow and terminate builds through the HTTP API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from emuhttp import build, call, run, run_path

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from scenarios import FAIL_ID, OK_ID

Factory = Callable[..., Emulator]


def test_run_returns_a_new_24_hex_build_id_and_stores_the_request(emulator: Factory) -> None:
    emu = emulator()
    body = {
        "branch": "main",
        "variables": [{"key": "A", "value": "1"}, {"key": "S", "value": "x", "encrypted": True}],
        "annotations": {"cf_predecessor": "parent0123456789abcdef01"},
        "options": {"noCache": True},
    }
    build_id = run(emu, "proj/ok", body, req_id="r-1")
    assert len(build_id) == 24
    assert int(build_id, 16) >= 0
    stored = emu.builds[build_id]
    assert (stored.pipeline, stored.req_id, dict(stored.body)) == ("proj/ok", "r-1", body)
    assert len(stored.progress) == 24
    assert stored.progress != build_id
    recorded = emu.requests[-1]
    assert recorded.path == "/api/pipelines/run/proj%2Fok"
    assert recorded.query == {"reqId": ["r-1"]}
    assert recorded.json == body


def test_run_answers_with_a_location_of_the_build(emulator: Factory) -> None:
    emu = emulator()
    reply = call(emu, "POST", run_path("proj/ok"), {})
    assert reply.headers["location"] == f"{emu.url}/api/builds/{reply.json}"
    assert reply.headers["content-type"].startswith("application/json")


def test_same_req_id_returns_the_same_build_and_creates_no_other(emulator: Factory) -> None:
    emu = emulator()
    first = run(emu, "proj/ok", req_id="same")
    assert run(emu, "proj/ok", req_id="same") == first
    assert run(emu, OK_ID, req_id="same") == first  # the id names the same pipeline
    assert len(emu.runs()) == 1


def test_req_id_is_per_pipeline_and_absent_req_id_never_dedupes(emulator: Factory) -> None:
    emu = emulator()
    assert run(emu, "proj/ok", req_id="r") != run(emu, "proj/fail", req_id="r")
    assert run(emu, "proj/ok") != run(emu, "proj/ok")
    assert len(emu.runs("proj/ok")) == 3
    assert len(emu.runs()) == 4


def test_run_by_pipeline_id_and_runs_filter(emulator: Factory) -> None:
    emu = emulator()
    build_id = run(emu, FAIL_ID)
    assert emu.builds[build_id].pipeline == FAIL_ID
    assert [b.id for b in emu.runs("proj/fail")] == [build_id]
    assert [b.id for b in emu.runs(FAIL_ID)] == [build_id]
    assert emu.runs("proj/ok") == []


def test_variables_may_be_a_plain_map(emulator: Factory) -> None:
    emu = emulator()
    build_id = run(emu, "proj/ok", {"variables": {"A": "1"}})
    assert emu.builds[build_id].body["variables"] == {"A": "1"}


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        (run_path("proj/nope"), {}, 404, "Pipeline proj/nope not found"),
        ("/api/pipelines/run/proj/ok", {}, 404, "Cannot POST"),  # name not encoded
        (run_path("proj/strict"), {"trigger": "other"}, 400, "Trigger other not found"),
        (run_path("proj/strict"), {"branch": "dev"}, 400, "incorrect branch / revision"),
        (run_path("proj/ok"), {"variables": [{"k": "A"}]}, 400, "Invalid variable"),
        (run_path("proj/ok"), ["not", "an", "object"], 400, "JSON object"),
    ],
    ids=["unknown", "unencoded", "trigger", "branch", "variables", "body"],
)
def test_refused_runs_create_no_build(
    emulator: Factory, path: str, body: Any, status: int, message: str
) -> None:
    emu = emulator()
    reply = call(emu, "POST", path, body)
    assert reply.status == status
    assert message in reply.json["message"]
    assert emu.runs() == []


def test_strict_pipeline_accepts_its_trigger_and_branch(emulator: Factory) -> None:
    emu = emulator()
    run(emu, "proj/strict", {"trigger": "deploy-trigger", "branch": "main"})
    assert len(emu.runs("proj/strict")) == 1


@pytest.mark.parametrize(
    ("pipeline", "timeline"),
    [
        ("proj/ok", [(0, "pending"), (0.5, "pending"), (1, "running"), (3, "success")]),
        ("proj/fail", [(0, "running"), (1, "error")]),
        ("proj/approval", [(0, "pending"), (1, "pending-approval"), (1e5, "pending-approval")]),
        ("proj/slow", [(0, "running"), (1e6, "running")]),
        ("proj/terminated", [(0, "running"), (1, "terminated")]),
        ("proj/unknown", [(0, "running"), (1, "weird-status")]),
    ],
)
def test_status_follows_the_fake_clock(
    emulator: Factory, fake_clock: FakeClock, pipeline: str, timeline: list[tuple[float, str]]
) -> None:
    emu = emulator(clock=fake_clock)
    start = fake_clock.now()
    build_id = run(emu, pipeline)
    for at, status in timeline:
        fake_clock.advance(start + at - fake_clock.now())
        assert build(emu, build_id)["status"] == status, f"at +{at}s"
        assert emu.builds[build_id].status == status


def test_times_are_iso_utc_and_finished_appears_only_at_the_end(
    emulator: Factory, fake_clock: FakeClock
) -> None:
    emu = emulator(clock=fake_clock)
    build_id = run(emu, "proj/ok")
    doc = build(emu, build_id)
    assert "finished" not in doc
    assert "started" not in doc
    assert doc["created"].endswith("Z")
    fake_clock.advance(3.25)
    doc = build(emu, build_id)
    created, started, finished = (
        datetime.fromisoformat(doc[k]) for k in ("created", "started", "finished")
    )
    assert (started - created).total_seconds() == pytest.approx(1.0, abs=0.002)
    assert (finished - created).total_seconds() == pytest.approx(3.0, abs=0.002)
    assert doc["updated"] == doc["finished"]
    assert emu.builds[build_id].finished == pytest.approx(fake_clock.now() - 0.25)


def test_build_document_names_pipeline_branch_and_trigger(emulator: Factory) -> None:
    emu = emulator()
    build_id = run(
        emu, "proj/strict", {"branch": "main", "sha": "abc", "trigger": "deploy-trigger"}
    )
    doc = build(emu, build_id)
    expected = {
        "id": build_id,
        "pipelineName": "proj/strict",
        "branchName": "main",
        "revision": "abc",
        "pipelineTriggerName": "deploy-trigger",
        "progress": emu.builds[build_id].progress,
    }
    assert {k: doc[k] for k in expected} == expected


def test_terminate_goes_through_terminating_to_terminated(
    emulator: Factory, fake_clock: FakeClock
) -> None:
    emu = emulator(clock=fake_clock)
    build_id = run(emu, "proj/slow")
    progress = build(emu, build_id)["progress"]
    assert call(emu, "DELETE", f"/api/progress/{progress}").status == 200
    assert build(emu, build_id)["status"] == "terminating"
    fake_clock.advance(0.5)
    doc = build(emu, build_id)
    assert doc["status"] == "terminated"
    assert "finished" in doc
    # a second terminate changes nothing
    assert call(emu, "DELETE", f"/api/progress/{progress}").status == 200
    assert emu.builds[build_id].terminated_at == pytest.approx(fake_clock.now() - 0.5)


def test_terminating_a_finished_build_is_accepted_and_changes_nothing(
    emulator: Factory, fake_clock: FakeClock
) -> None:
    emu = emulator(clock=fake_clock)
    build_id = run(emu, "proj/fail")
    fake_clock.advance(5)
    progress = emu.builds[build_id].progress
    assert call(emu, "DELETE", f"/api/progress/{progress}").status == 200
    fake_clock.advance(5)
    assert build(emu, build_id)["status"] == "error"
    assert emu.builds[build_id].terminated_at is None


def test_unknown_build_and_progress_are_404(emulator: Factory) -> None:
    emu = emulator()
    missing = "f" * 24
    for method, path in [
        ("GET", f"/api/builds/{missing}"),
        ("DELETE", f"/api/progress/{missing}"),
        ("GET", f"/api/progress/{missing}"),
        ("GET", f"/api/progress/download/{missing}"),
    ]:
        reply = call(emu, method, path)
        assert reply.status == 404, path
        assert missing in reply.json["message"]


def test_add_pipeline_at_run_time(emulator: Factory, fake_clock: FakeClock) -> None:
    emu = emulator({"pipelines": {}}, clock=fake_clock)
    assert call(emu, "POST", run_path("late/one"), {}).status == 404
    emu.add_pipeline("late/one", {"final": "error"})
    build_id = run(emu, "late/one")
    assert build(emu, build_id)["status"] == "error"
