"""Applying specs (`cfstep.specs.apply`), called as the entrypoint calls it, against the
emulator on a fake clock: every spec read and checked before the first write, a project
made when missing, a replacement that keeps trigger ids and the revision, what is said
and exported, and the dry run. The end-to-end cases (races, lost answers, permissions):
tests/features/pipeline_spec/."""

from __future__ import annotations

import copy
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from cfstep.codefresh.client import CodefreshClient, client_for
from cfstep.console import Console
from cfstep.emulator import Emulator, Fault
from cfstep.errors import ApiError, InputError
from cfstep.inputs import config as inputs
from cfstep.outputs import Exporter
from cfstep.specs.apply import apply_specs
from fakeclock import FakeClock
from harness import API_KEY

SPEC: dict[str, Any] = {
    "version": "1.0",
    "kind": "pipeline",
    "metadata": {"name": "team/deploy"},
    "spec": {
        "triggers": [{"name": "push", "type": "git", "repo": "acme/app", "events": ["push"]}],
        "variables": [{"key": "REGION", "value": "eu"}],
        "steps": {"deploy": {"image": "alpine", "commands": ["echo ${{REGION}}"]}},
    },
}


@dataclass
class SpecRun:
    """What one apply_specs call read, printed and exported."""

    sources: list[str]  # the spec files, in order
    said: list[str]  # every line printed, on either stream, in order
    exports: dict[str, str]


Apply = Callable[..., SpecRun]


def changed(**spec: Any) -> dict[str, Any]:
    return {**copy.deepcopy(SPEC), "spec": {**copy.deepcopy(SPEC["spec"]), **spec}}


def named(name: str, document: dict[str, Any]) -> dict[str, Any]:
    return {**document, "metadata": {"name": name}}


def writes(emu: Emulator) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in emu.writes()]


@pytest.fixture
def apply(emu: Emulator, fake_clock: FakeClock, tmp_path: Path) -> Iterator[Apply]:
    """`apply(*documents, **inputs)`: each document written to a file, then applied as the
    entrypoint applies PIPELINE_SPEC with SPEC_ONLY, through the run's one client (made
    only when the API is needed)."""
    made: list[CodefreshClient] = []

    def go(*documents: dict[str, Any], **more: str) -> SpecRun:
        sources = []
        for n, document in enumerate(documents):
            path = tmp_path / f"spec-{len(made)}-{n}.yml"
            path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
            sources.append(str(path))
        env = {
            "CF_URL": emu.url,
            "CF_API_KEY": API_KEY,
            "PIPELINE_SPEC": "\n".join(sources),
            "SPEC_ONLY": "true",
            **more,
        }
        config = inputs.parse([], {k: v for k, v in env.items() if v})
        printed = io.StringIO()
        console = Console(out=printed, err=printed)
        exporter = Exporter(None, console)

        def client() -> CodefreshClient:
            made.append(
                client_for(
                    config,
                    console,
                    clock=fake_clock.now,
                    sleep=fake_clock.sleep,
                    jitter=lambda: 1.0,
                )
            )
            return made[-1]

        apply_specs(config, console, exporter, client)
        return SpecRun(sources, printed.getvalue().splitlines(), exporter.values)

    yield go
    for client in made:
        client.session.close()


def test_a_new_pipeline_is_created_with_its_project(emu: Emulator, apply: Apply) -> None:
    done = apply(SPEC)
    created = emu.pipelines.document("team/deploy")
    assert created is not None
    pipeline_id = created["metadata"]["id"]
    assert writes(emu) == [("POST", "/api/projects"), ("POST", "/api/pipelines")]
    assert done.said == [
        "Created project team",
        f"Pipeline team/deploy created ({done.sources[0]}) [id {pipeline_id}]",
    ]
    assert done.exports == {"PIPELINE_SPEC_RESULT": "created", "PIPELINE_SPEC_ID": pipeline_id}


def test_a_pipeline_that_is_its_spec_already_is_left_alone(emu: Emulator, apply: Apply) -> None:
    apply(SPEC)
    before = len(emu.writes())
    done = apply(SPEC)
    assert len(emu.writes()) == before  # not one write
    assert done.exports["PIPELINE_SPEC_RESULT"] == "unchanged"
    assert done.said[-1].startswith(f"Pipeline team/deploy unchanged ({done.sources[0]}) [id ")


def test_an_update_keeps_the_trigger_ids_and_sends_the_revision_read(
    emu: Emulator, apply: Apply
) -> None:
    apply(SPEC)
    current = emu.pipelines.document("team/deploy")
    assert current is not None
    done = apply(changed(variables=[{"key": "REGION", "value": "us"}]))
    (put,) = [r for r in emu.writes() if r.method == "PUT"]
    assert put.path == "/api/pipelines/team%2Fdeploy"
    sent = put.json
    assert sent["spec"]["triggers"][0]["id"] == current["spec"]["triggers"][0]["id"]
    assert sent["metadata"]["revision"] == current["metadata"]["revision"]
    assert done.exports["PIPELINE_SPEC_RESULT"] == "updated"
    assert "Pipeline team/deploy updated" in done.said[-1]
    assert "(spec.variables changed)" in done.said[-1]


def test_encrypted_variables_are_always_written_and_never_shown(
    emu: Emulator, apply: Apply
) -> None:
    secret = changed(variables=[{"key": "TOKEN", "value": "t0ken-value", "encrypted": True}])
    apply(secret)
    done = apply(secret)
    assert done.exports["PIPELINE_SPEC_RESULT"] == "updated"
    assert "always updated: it has encrypted variables" in done.said[-1]
    assert "t0ken-value" not in "\n".join(done.said)
    assert emu.pipelines.stored_secret("team/deploy", "TOKEN") == "t0ken-value"


def test_several_specs_are_all_checked_before_the_first_write(emu: Emulator, apply: Apply) -> None:
    """The second spec's steps are refused by the validator: nothing is written at all."""
    broken = named("team/other", changed(steps={"deploy": {"commands": ["echo no image"]}}))
    with pytest.raises(InputError) as refused:
        apply(SPEC, broken)
    assert "Codefresh's YAML validator refused the steps of team/other" in refused.value.message
    assert "nothing was created or changed" in refused.value.message
    assert writes(emu) == []


def test_results_are_exported_in_the_order_of_the_specs(emu: Emulator, apply: Apply) -> None:
    apply(SPEC)
    done = apply(changed(variables=[]), named("team/other", SPEC))
    assert done.exports["PIPELINE_SPEC_RESULT"] == "updated created"
    assert len(done.exports["PIPELINE_SPEC_ID"].split(" ")) == 2


def test_a_project_that_exists_is_not_created_again(emu: Emulator, apply: Apply) -> None:
    emu.pipelines.add_project("team")
    done = apply(SPEC)
    assert writes(emu) == [("POST", "/api/pipelines")]
    assert "Created project team" not in done.said


def test_reads_that_keep_failing_give_up_after_60_s(
    emu: Emulator, apply: Apply, fake_clock: FakeClock
) -> None:
    emu.add_fault(Fault("GET", "/api/pipelines/", "status", times=-1, status=503))
    started = fake_clock.now()
    with pytest.raises(ApiError) as gave_up:
        apply(SPEC)
    assert "could not apply team/deploy" in gave_up.value.message
    assert "for 60 s" in gave_up.value.message
    assert 50 <= fake_clock.now() - started <= 70
    assert writes(emu) == []


# -- the dry run ------------------------------------------------------------------------------


def test_a_dry_run_says_what_would_change_and_writes_nothing(emu: Emulator, apply: Apply) -> None:
    apply(SPEC, named("team/other", SPEC))
    written = len(emu.writes())
    other = named("team/other", changed(variables=[{"key": "REGION", "value": "us"}]))
    done = apply(SPEC, other, named("fresh/one", SPEC), DRY_RUN="true")
    assert len(emu.writes()) == written
    first, second, third = done.sources
    assert done.said == [
        f"dry run: team/deploy is unchanged: it already is {first}",
        f"dry run: team/other would be updated from {second}",
        '  ~ spec.variables[key=REGION].value: "eu" → "us"',
        f"dry run: fresh/one would be created (and project fresh) from {third}",
    ]
    assert done.exports == {}


def test_a_dry_run_without_a_key_sends_nothing(emu: Emulator, apply: Apply) -> None:
    done = apply(SPEC, DRY_RUN="true", CF_API_KEY="")
    assert emu.requests == []
    assert done.said == [
        f"dry run: team/deploy ({done.sources[0]}) would be created or updated",
        "dry run: without CF_API_KEY the specs cannot be compared with Codefresh",
    ]
