"""PIPELINE_SPEC end to end: the real entrypoint against the emulator's projects and
pipelines (README, "Pipelines from a spec")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from cfstep.emulator import Emulator, Fault
from fakeclock import FakeClock
from harness import SECRET, Result, base_env, run_step, start_cli

NAME = "team-a/deploy"
PROJECT = "team-a"
SPEC_TEXT = """\
version: '1.0'
kind: pipeline
metadata:
  name: team-a/deploy
  description: deploys the service
spec:
  triggers:
    - name: push-main
      type: git
      repo: acme/service
      events: [push.heads]
      branchRegex: /^main$/
    - name: nightly
      type: git
      repo: acme/service
      events: [push.tags]
  variables:
    - key: TARGET
      value: ${{CF_BRANCH}}-${{X}}
  steps:
    deploy:
      image: alpine:3.19
      commands:
        - echo deploying ${{X}} to $TARGET
"""


def _spec(**changes: Any) -> dict[str, Any]:
    document = yaml.safe_load(SPEC_TEXT)
    for path, value in changes.items():
        node = document
        *parents, last = path.split("__")
        for part in parents:
            node = node[part]
        node[last] = value
    return document


def _write(folder: Path, document: dict[str, Any] | str, name: str = "deploy.yml") -> Path:
    path = folder / name
    text = document if isinstance(document, str) else yaml.safe_dump(document, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def _apply(
    emu: Emulator, clock: FakeClock, *specs: Path, extra: dict[str, str] | None = None, **kw: Any
) -> Result:
    argv = [a for spec in specs for a in ("--pipeline-spec", str(spec))]
    env = base_env(emu, SPEC_ONLY="true", **(extra or {}))
    return run_step(emu, env, argv, clock, **kw)


def _writes(result: Result) -> list[tuple[str, str]]:
    return [
        (r.method, r.path)
        for r in result.requests
        if r.method in ("POST", "PUT")
        and not r.path.startswith("/api/pipelines/run/")
        and r.path != "/api/pipelines/yaml/validator"
    ]


def test_created_with_its_project(emu: Emulator, fake_clock: FakeClock, tmp_path: Path) -> None:
    res = _apply(emu, fake_clock, _write(tmp_path, SPEC_TEXT))
    assert res.code == 0, res.stderr
    assert _writes(res) == [("POST", "/api/projects"), ("POST", "/api/pipelines")]
    stored = emu.pipelines.document(NAME)
    assert stored is not None
    assert res.exports["PIPELINE_SPEC_RESULT"] == "created"
    assert res.exports["PIPELINE_SPEC_ID"] == stored["metadata"]["id"]
    assert f"Pipeline {NAME} created" in res.stderr
    assert "Created project team-a" in res.stderr
    assert res.run_requests == []  # SPEC_ONLY


def test_spec_sent_as_written_with_expressions_verbatim(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    res = _apply(emu, fake_clock, _write(tmp_path, SPEC_TEXT))
    (create,) = res.sent("POST", "/api/pipelines")[-1:]
    assert create.json == yaml.safe_load(SPEC_TEXT)
    assert "${{CF_BRANCH}}-${{X}}" in create.body.decode()
    assert "echo deploying ${{X}} to $TARGET" in create.body.decode()


def test_unchanged_sends_no_write(emu: Emulator, fake_clock: FakeClock, tmp_path: Path) -> None:
    path = _write(tmp_path, SPEC_TEXT)
    _apply(emu, fake_clock, path)
    res = _apply(emu, fake_clock, path)
    assert res.code == 0, res.stderr
    assert _writes(res) == []
    assert [r.method for r in res.requests] == ["GET"]
    assert res.exports["PIPELINE_SPEC_RESULT"] == "unchanged"
    assert f"Pipeline {NAME} unchanged" in res.stderr


def test_updated_sends_the_changed_document_and_keeps_trigger_ids(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    _apply(emu, fake_clock, _write(tmp_path, SPEC_TEXT))
    before = emu.pipelines.document(NAME)
    assert before is not None
    ids = {t["name"]: t["id"] for t in before["spec"]["triggers"]}
    changed = _spec(metadata__description="deploys the service, faster")
    changed["spec"]["steps"]["deploy"]["image"] = "alpine:3.20"
    res = _apply(emu, fake_clock, _write(tmp_path, changed))
    assert res.code == 0, res.stderr
    (put,) = res.sent("PUT")
    assert _writes(res) == [("PUT", "/api/pipelines/team-a%2Fdeploy")]
    sent = put.json
    assert {t["name"]: t["id"] for t in sent["spec"]["triggers"]} == ids
    assert sent["spec"]["steps"]["deploy"]["image"] == "alpine:3.20"
    assert sent["metadata"]["revision"] == before["metadata"]["revision"]
    after = emu.pipelines.document(NAME)
    assert after is not None
    assert {t["name"]: t["id"] for t in after["spec"]["triggers"]} == ids
    assert res.exports["PIPELINE_SPEC_RESULT"] == "updated"
    assert res.exports["PIPELINE_SPEC_ID"] == before["metadata"]["id"]
    assert "metadata.description, spec.steps.deploy.image changed" in res.stderr


def test_get_pipeline_yaml_round_trips_as_unchanged(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """What `codefresh get pipeline NAME -o yaml` writes (the stored document, server
    fields and all) applied again is unchanged."""
    _apply(emu, fake_clock, _write(tmp_path, SPEC_TEXT))
    shown = emu.pipelines.document(NAME)
    exported = _write(tmp_path, yaml.safe_dump(shown, sort_keys=False), "exported.yml")
    res = _apply(emu, fake_clock, exported)
    assert res.code == 0, res.stderr
    assert res.exports["PIPELINE_SPEC_RESULT"] == "unchanged"
    assert _writes(res) == []


def test_invalid_file_exits_5_and_sends_nothing(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    good = _write(tmp_path, SPEC_TEXT, "a.yml")
    bad = _write(tmp_path, _spec(kind="Pipeline"), "b.yml")
    res = _apply(emu, fake_clock, good, bad)
    assert res.code == 5
    assert res.requests == []
    assert len(res.stderr_lines) == 1
    assert str(bad) in res.stderr
    assert "kind" in res.stderr


def test_validator_refusal_exits_5_and_writes_nothing(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    document = _spec()
    document["spec"]["steps"]["deploy"] = {"commands": ["echo no image"]}
    res = _apply(emu, fake_clock, _write(tmp_path, document))
    assert res.code == 5, res.stderr
    assert emu.writes() == []
    assert res.sent("POST", "/api/pipelines/yaml/validator")
    assert "step deploy: needs an image or a type" in res.stderr
    assert len(res.stderr_lines) == 1


def test_403_names_the_permission_and_user_key(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    emu.pipelines.add_project(PROJECT)
    emu.pipelines.forbid.add("create")
    res = _apply(emu, fake_clock, _write(tmp_path, SPEC_TEXT))
    assert res.code == 4
    assert "may not create pipelines" in res.stderr
    assert "CF_API_KEY" in res.stderr
    assert emu.pipelines.document(NAME) is None


def test_403_on_project_create(emu: Emulator, fake_clock: FakeClock, tmp_path: Path) -> None:
    emu.pipelines.forbid.add("project")
    res = _apply(emu, fake_clock, _write(tmp_path, SPEC_TEXT))
    assert res.code == 4
    assert "may not create projects" in res.stderr


def test_race_on_create_ends_well(emu: Emulator, fake_clock: FakeClock, tmp_path: Path) -> None:
    """Another build creates the same pipeline between our read and our create."""
    emu.pipelines.race_create = True
    res = _apply(emu, fake_clock, _write(tmp_path, SPEC_TEXT))
    assert res.code == 0, res.stderr
    assert [r.status for r in res.sent("POST", "/api/pipelines") if r.path == "/api/pipelines"] == [
        409
    ]
    assert res.exports["PIPELINE_SPEC_RESULT"] == "unchanged"
    assert len(res.sent("GET", "/api/pipelines/")) == 2  # read again after the refusal


def test_stale_revision_on_replace_is_read_again_and_retried_once(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    _apply(emu, fake_clock, _write(tmp_path, SPEC_TEXT))
    emu.pipelines.race_replace = True
    res = _apply(emu, fake_clock, _write(tmp_path, _spec(metadata__description="new")))
    assert res.code == 0, res.stderr
    assert [r.status for r in res.sent("PUT")] == [409, 200]
    puts = res.sent("PUT")
    assert puts[1].json["metadata"]["revision"] == puts[0].json["metadata"]["revision"] + 1
    assert res.exports["PIPELINE_SPEC_RESULT"] == "updated"
    stored = emu.pipelines.document(NAME)
    assert stored is not None
    assert stored["metadata"]["description"] == "new"


def test_lost_answer_to_create_reads_again_never_creates_twice(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    emu.pipelines.add_project(PROJECT)
    no_steps = _spec()
    del no_steps["spec"]["steps"]  # no validator call: the create is the first POST
    emu.add_fault(Fault("POST", "/api/pipelines", "drop_after", times=1))
    res = _apply(emu, fake_clock, _write(tmp_path, no_steps))
    assert res.code == 0, res.stderr
    creates = [r for r in res.requests if (r.method, r.path) == ("POST", "/api/pipelines")]
    # The first create was processed and its answer lost. Whether it is sent again (the
    # transport resends once on a kept-alive connection the server closed) or not, the
    # pipeline exists once: a second create is refused (409) and the pipeline read again.
    assert creates[0].status is None
    assert [r.status for r in creates[1:]] in ([], [409])
    assert sum(1 for r in creates if r.status is not None and r.status < 300) == 0
    assert emu.pipelines.document(NAME) is not None
    assert res.exports["PIPELINE_SPEC_RESULT"] in ("created", "unchanged")


def test_spec_then_trigger_defaults_pipeline_id(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    out = tmp_path / "out.json"
    env = base_env(emu, PIPELINE_SPEC=str(_write(tmp_path, SPEC_TEXT)), OUTPUT_JSON=str(out))
    res = run_step(emu, env, (), fake_clock)
    assert res.code == 0, res.stderr
    (run,) = res.run_requests
    assert run.path == "/api/pipelines/run/team-a%2Fdeploy"
    assert res.exports["PIPELINE_SPEC_RESULT"] == "created"
    assert res.exports["BUILD_STATUS"] == "success"
    assert res.output_json["outputs"]["PIPELINE_SPEC_RESULT"] == "created"
    assert res.output_json["outputs"]["PIPELINE_SPEC_ID"] == res.exports["PIPELINE_SPEC_ID"]


def test_spec_only_outputs_in_json(emu: Emulator, fake_clock: FakeClock, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    res = _apply(emu, fake_clock, _write(tmp_path, SPEC_TEXT), extra={"OUTPUT_JSON": str(out)})
    assert res.code == 0, res.stderr
    assert res.run_requests == []
    assert res.output_json["outputs"]["PIPELINE_SPEC_RESULT"] == "created"


def test_dry_run_writes_nothing_and_shows_the_diff(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    _apply(emu, fake_clock, _write(tmp_path, SPEC_TEXT))
    changed = _spec(metadata__description="new words")
    res = _apply(emu, fake_clock, _write(tmp_path, changed), extra={"DRY_RUN": "true"})
    assert res.code == 0, res.stderr
    assert _writes(res) == []
    assert f"dry run: {NAME} would be updated" in res.stdout
    assert '~ metadata.description: "deploys the service" → "new words"' in res.stdout
    assert "PIPELINE_SPEC_RESULT" not in res.exports


def test_dry_run_of_a_new_pipeline(emu: Emulator, fake_clock: FakeClock, tmp_path: Path) -> None:
    env = base_env(emu, PIPELINE_SPEC=str(_write(tmp_path, SPEC_TEXT)), DRY_RUN="true")
    res = run_step(emu, env, (), fake_clock)
    assert res.code == 0, res.stderr
    assert emu.writes() == []
    assert res.run_requests == []
    assert f"dry run: {NAME} would be created (and project {PROJECT})" in res.stdout
    assert "/api/pipelines/run/team-a%2Fdeploy" in res.stdout  # then the run request


def test_glob_of_three_specs(emu: Emulator, fake_clock: FakeClock, tmp_path: Path) -> None:
    folder = tmp_path / "pipelines"
    folder.mkdir()
    for name in ("a", "b", "c"):
        _write(folder, _spec(metadata__name=f"team-b/{name}"), f"{name}.yml")
    first = _apply(emu, fake_clock, folder / "b.yml")
    res = run_step(
        emu,
        base_env(emu),
        ["--pipeline-spec", str(folder / "*.yml"), "--spec-only"],
        fake_clock,
    )
    assert res.code == 0, res.stderr
    assert res.exports["PIPELINE_SPEC_RESULT"] == "created unchanged created"
    ids = res.exports["PIPELINE_SPEC_ID"].split()
    assert ids[1] == first.exports["PIPELINE_SPEC_ID"]
    assert [emu.pipelines.document(f"team-b/{n}")["metadata"]["id"] for n in "abc"] == ids  # type: ignore[index]
    assert sum(1 for r in res.requests if r.path == "/api/projects") == 0  # known already


def test_glob_that_matches_nothing(emu: Emulator, fake_clock: FakeClock, tmp_path: Path) -> None:
    res = _apply(emu, fake_clock, tmp_path / "nothing-*.yml")
    assert res.code == 5
    assert "matches no file" in res.stderr
    assert res.requests == []


def test_encrypted_variables_always_updated_and_never_shown(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    document = _spec()
    document["spec"]["variables"].append({"key": "TOKEN", "value": SECRET, "encrypted": True})
    path = _write(tmp_path, document)
    created = _apply(emu, fake_clock, path)
    assert created.exports["PIPELINE_SPEC_RESULT"] == "created"
    assert emu.pipelines.stored_secret(NAME, "TOKEN") == SECRET
    again = _apply(emu, fake_clock, path)
    assert again.code == 0, again.stderr
    assert again.exports["PIPELINE_SPEC_RESULT"] == "updated"
    assert "encrypted variables" in again.stderr
    dry = _apply(emu, fake_clock, path, extra={"DRY_RUN": "true"})
    assert "encrypted variables" in dry.stdout
    # run_step's leak check has scanned every output for SECRET


def test_inline_spec_from_a_typed_step(emu: Emulator, fake_clock: FakeClock) -> None:
    env = base_env(emu, PIPELINE_SPEC=json.dumps(yaml.safe_load(SPEC_TEXT)), SPEC_ONLY="true")
    res = run_step(emu, env, (), fake_clock)
    assert res.code == 0, res.stderr
    assert f"Pipeline {NAME} created (the inline spec)" in res.stderr
    assert res.exports["PIPELINE_SPEC_RESULT"] == "created"


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"SPEC_ONLY": "true"}, "SPEC_ONLY"),
        ({"SPEC_ONLY": "true", "PIPELINE_ID": "proj/ok", "PIPELINE_SPEC": "x"}, "SPEC_ONLY"),
    ],
)
def test_spec_only_misuse(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path, env: dict[str, str], names: str
) -> None:
    if env.get("PIPELINE_SPEC"):
        env = {**env, "PIPELINE_SPEC": str(_write(tmp_path, SPEC_TEXT))}
    res = run_step(emu, base_env(emu, **env), (), fake_clock)
    assert res.code == 5
    assert names in res.stderr
    assert res.requests == []


def test_several_specs_need_a_pipeline_id(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    a = _write(tmp_path, _spec(metadata__name="p/a"), "a.yml")
    b = _write(tmp_path, _spec(metadata__name="p/b"), "b.yml")
    res = run_step(emu, base_env(emu, PIPELINE_SPEC=f"{a}\n{b}"), (), fake_clock)
    assert res.code == 5
    assert "PIPELINE_ID" in res.stderr
    assert res.requests == []


def test_exported_spec_with_an_old_revision_still_updates(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """A spec exported with `get -o yaml` long ago carries an old revision: the replace
    carries the current one, read just before."""
    _apply(emu, fake_clock, _write(tmp_path, SPEC_TEXT))
    exported = emu.pipelines.document(NAME)
    assert exported is not None
    _apply(emu, fake_clock, _write(tmp_path, _spec(metadata__description="second")))
    exported["metadata"]["description"] = "third"
    res = _apply(emu, fake_clock, _write(tmp_path, exported))
    assert res.code == 0, res.stderr
    assert [r.status for r in res.sent("PUT")] == [200]
    assert res.exports["PIPELINE_SPEC_RESULT"] == "updated"


def test_a_trigger_change_is_shown_by_name(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    _apply(emu, fake_clock, _write(tmp_path, SPEC_TEXT))
    changed = _spec()
    changed["spec"]["triggers"][0]["branchRegex"] = "/^release/"
    res = _apply(emu, fake_clock, _write(tmp_path, changed), extra={"DRY_RUN": "true"})
    assert '~ spec.triggers[name=push-main].branchRegex: "/^main$/" → "/^release/"' in res.stdout


def test_spec_for_an_existing_pipeline_of_the_scenario(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    res = _apply(emu, fake_clock, _write(tmp_path, _spec(metadata__name="proj/ok")))
    assert res.code == 0, res.stderr
    assert res.exports["PIPELINE_SPEC_RESULT"] == "updated"
    again = _apply(emu, fake_clock, _write(tmp_path, _spec(metadata__name="proj/ok")))
    assert again.exports["PIPELINE_SPEC_RESULT"] == "unchanged"
    assert again.exports["PIPELINE_SPEC_ID"] == res.exports["PIPELINE_SPEC_ID"]


def test_glob_from_the_environment(emu: Emulator, fake_clock: FakeClock, tmp_path: Path) -> None:
    folder = tmp_path / "specs"
    folder.mkdir()
    for name in ("x", "y"):
        _write(folder, _spec(metadata__name=f"team-c/{name}"), f"{name}.yaml")
    env = base_env(emu, PIPELINE_SPEC=f"{folder}/*.yaml", SPEC_ONLY="yes")
    res = run_step(emu, env, (), fake_clock)
    assert res.code == 0, res.stderr
    assert res.exports["PIPELINE_SPEC_RESULT"] == "created created"
    assert len([line for line in res.stderr_lines if line.startswith("Pipeline ")]) == 2


def test_unavailable_answers_are_waited_out_and_the_write_decided_again(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    _apply(emu, fake_clock, _write(tmp_path, SPEC_TEXT))
    emu.add_fault(Fault("GET", "/api/pipelines/team-a", "status", times=2))
    emu.add_fault(Fault("PUT", "/api/pipelines/team-a", "status", status=503, times=1))
    res = _apply(emu, fake_clock, _write(tmp_path, _spec(metadata__description="after 503")))
    assert res.code == 0, res.stderr
    assert [r.status for r in res.sent("PUT")] == [503, 200]
    # read before the first write, and again before the second
    assert [r.status for r in res.sent("GET")] == [503, 503, 200, 200]
    assert res.exports["PIPELINE_SPEC_RESULT"] == "updated"


def test_a_key_without_read_access_exits_4(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    _apply(emu, fake_clock, _write(tmp_path, SPEC_TEXT))
    emu.pipelines.forbid.add("read")
    res = _apply(emu, fake_clock, _write(tmp_path, SPEC_TEXT))
    assert res.code == 4
    assert "may not read pipelines" in res.stderr
    assert len(res.stderr_lines) == 1
    assert _writes(res) == []


def test_two_builds_applying_the_same_specs_at_once_both_end_well(
    real_emu: Emulator, tmp_path: Path
) -> None:
    """Two real processes, started together, on three new pipelines of one new project."""
    folder = tmp_path / "specs"
    folder.mkdir()
    for name in ("a", "b", "c"):
        _write(folder, _spec(metadata__name=f"team-r/{name}"), f"{name}.yml")
    argv = ["--pipeline-spec", str(folder / "*.yml"), "--spec-only"]
    volumes = [tmp_path / "one", tmp_path / "two"]
    running = []
    for volume in volumes:
        volume.mkdir()
        running.append(start_cli(real_emu, base_env(real_emu), argv, volume=volume))
    results = [r.finish(60) for r in running]
    for res in results:
        assert res.code == 0, res.stderr
        assert len(res.exports["PIPELINE_SPEC_ID"].split()) == 3
    assert results[0].exports["PIPELINE_SPEC_ID"] == results[1].exports["PIPELINE_SPEC_ID"]
    created = [
        r
        for r in real_emu.writes()
        if (r.method, r.path, r.status) == ("POST", "/api/pipelines", 200)
    ]
    assert len(created) == 3  # each pipeline created once
    projects = [r for r in real_emu.writes() if r.path == "/api/projects" and r.status == 201]
    assert len(projects) == 1
