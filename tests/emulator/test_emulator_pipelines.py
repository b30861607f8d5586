"""Projects and pipeline documents: what the server adds, the revision check, the
validator, write counts (reference: "Pipelines from a spec")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emuhttp import call

from cfstep.emulator import Emulator

Factory = Callable[..., Emulator]
PATH = "/api/pipelines/p%2Fa"


def _doc(**spec: Any) -> dict[str, Any]:
    return {"version": "1.0", "kind": "pipeline", "metadata": {"name": "p/a"}, "spec": spec}


def test_create_needs_the_project_and_adds_server_fields(emulator: Factory) -> None:
    emu = emulator()
    assert call(emu, "GET", "/api/projects/name/p").status == 404
    assert call(emu, "POST", "/api/pipelines", _doc()).status == 404
    assert call(emu, "POST", "/api/projects", {"projectName": "p"}).status == 201
    assert call(emu, "POST", "/api/projects", {"projectName": "p"}).status == 409
    triggers = [{"name": "t1", "type": "git"}]
    variables = [{"key": "S", "value": "hidden", "encrypted": True}]
    created = call(emu, "POST", "/api/pipelines", _doc(triggers=triggers, variables=variables))
    assert created.status == 200
    shown = call(emu, "GET", PATH).json
    meta = shown["metadata"]
    assert meta["revision"] == 1
    assert meta["project"] == "p"
    for key in ("id", "accountId", "created_at", "updated_at", "originalYamlString", "projectId"):
        assert meta[key], key
    assert shown["spec"]["triggers"][0]["id"]
    assert shown["spec"]["variables"][0]["value"] == "*****"
    assert emu.pipelines.stored_secret("p/a", "S") == "hidden"
    assert call(emu, "POST", "/api/pipelines", _doc()).status == 409
    assert [(r.method, r.status) for r in emu.writes()] == [
        ("POST", 404),
        ("POST", 201),
        ("POST", 409),
        ("POST", 200),
        ("POST", 409),
    ]


def test_replace_checks_the_revision_unless_disabled(emulator: Factory) -> None:
    emu = emulator()
    emu.pipelines.put(_doc())
    stale = _doc(note=1)
    stale["metadata"]["revision"] = 0
    assert call(emu, "PUT", PATH, stale).status == 409
    stale["metadata"]["revision"] = 1
    assert call(emu, "PUT", PATH, stale).json["metadata"]["revision"] == 2
    assert call(emu, "PUT", PATH + "?disableRevisionCheck=true", _doc(note=2)).status == 200
    assert call(emu, "GET", PATH).json["spec"]["note"] == 2


def test_the_run_request_knows_a_created_pipeline(emulator: Factory) -> None:
    emu = emulator()
    stored = emu.pipelines.put(_doc())
    reply = call(emu, "POST", f"/api/pipelines/run/{stored['metadata']['id']}")
    assert reply.status == 200
    assert emu.runs("p/a")


def test_validator_and_forbidden_writes(emulator: Factory) -> None:
    emu = emulator()
    ok = call(emu, "POST", "/api/pipelines/yaml/validator", {"yaml": "steps: {a: {image: x}}"})
    assert ok.json["valid"] is True
    bad = call(emu, "POST", "/api/pipelines/yaml/validator", {"yaml": "steps: {a: {}}"})
    assert bad.json["valid"] is False
    assert bad.json["details"] == [{"message": "step a: needs an image or a type"}]
    emu.pipelines.forbid.add("create")
    emu.pipelines.add_project("p")
    assert call(emu, "POST", "/api/pipelines", _doc()).status == 403
    assert emu.pipelines.document("p/a") is None
