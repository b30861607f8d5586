"""A spec compared with the pipeline Codefresh has (`cfstep.specs.compare`): what the
server adds never makes a difference, list items are matched by name or key, encrypted
values are never shown, and a replacement keeps trigger ids and the current revision."""

from __future__ import annotations

import copy
from typing import Any

from cfstep.specs import compare

SPEC: dict[str, Any] = {
    "version": "1.0",
    "kind": "pipeline",
    "metadata": {"name": "team/deploy", "labels": {"tags": ["a"]}},
    "spec": {
        "triggers": [{"name": "push", "branchRegex": "/main/"}, {"name": "pr", "events": ["pr"]}],
        "variables": [{"key": "REGION", "value": "eu"}, {"key": "TAG", "value": "1"}],
        "steps": {"build": {"image": "alpine"}},
    },
}


def as_stored(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec as Codefresh answers it: ids, a revision, dates and defaults added."""
    stored = copy.deepcopy(spec)
    stored["metadata"].update(
        id="64f0c0ffee0123456789abcd",
        revision=3,
        accountId="acc",
        created_at="2024-01-01T00:00:00Z",
        updated_at="2024-01-02T00:00:00Z",
        originalYamlString="version: 1.0",
        project="team",
        projectId="p1",
    )
    for n, trigger in enumerate(stored["spec"]["triggers"]):
        trigger["id"] = f"trigger-{n}"
    stored["spec"]["contexts"] = []  # a default the server fills in
    stored["spec"]["options"] = {"noCache": None}
    return stored


def test_what_the_server_adds_is_no_difference() -> None:
    assert compare.changes(SPEC, as_stored(SPEC)) == []
    assert compare.comparable(as_stored(SPEC)) == {
        **SPEC,
        "spec": {**SPEC["spec"], "contexts": [], "options": {"noCache": None}},
    }


def test_each_difference_is_one_line_with_its_path() -> None:
    changed = copy.deepcopy(SPEC)
    changed["spec"]["variables"][1]["value"] = "2"
    changed["spec"]["variables"].append({"key": "NEW", "value": "x"})
    changed["metadata"]["labels"]["tags"] = ["a", "b"]
    del changed["spec"]["steps"]
    assert compare.changes(changed, as_stored(SPEC)) == [
        '~ metadata.labels.tags: ["a"] → ["a", "b"]',
        '~ spec.variables[key=TAG].value: "1" → "2"',
        '+ spec.variables[key=NEW]: {"key": "NEW", "value": "x"}',
        '- spec.steps: {"build": {"image": "alpine"}}',
    ]


def test_list_items_are_matched_by_name_not_position() -> None:
    reordered = copy.deepcopy(SPEC)
    reordered["spec"]["triggers"].reverse()
    reordered["spec"]["variables"].reverse()
    assert compare.changes(reordered, as_stored(SPEC)) == []


def test_a_list_without_names_is_compared_whole() -> None:
    changed = copy.deepcopy(SPEC)
    changed["spec"]["steps"] = ["one", "two"]
    stored = as_stored(SPEC)
    stored["spec"]["steps"] = ["two", "one"]
    assert compare.changes(changed, stored) == ['~ spec.steps: ["two", "one"] → ["one", "two"]']


def test_an_encrypted_value_is_never_shown_in_a_difference() -> None:
    spec = copy.deepcopy(SPEC)
    spec["spec"]["variables"].append({"key": "TOKEN", "value": "s3cr3t", "encrypted": True})
    stored = as_stored(SPEC)
    stored["spec"]["variables"].append({"key": "TOKEN", "value": "*****", "encrypted": True})
    assert compare.has_encrypted(spec)
    assert not compare.has_encrypted(SPEC)
    assert compare.changes(spec, stored) == []  # compared masked: it cannot be compared
    del stored["spec"]["variables"][-1]
    (line,) = compare.changes(spec, stored)
    assert line.startswith("+ spec.variables[key=TOKEN]: ")
    assert "s3cr3t" not in line
    assert '"value": "*****"' in line


def test_a_long_value_is_cut_in_the_line() -> None:
    changed = copy.deepcopy(SPEC)
    changed["spec"]["steps"]["build"]["image"] = "alpine:" + "x" * 500
    (line,) = compare.changes(changed, as_stored(SPEC))
    assert line.startswith('~ spec.steps.build.image: "alpine" → "alpine:xxx')
    assert line.endswith("…")
    assert len(line) < 300


def test_a_replacement_keeps_the_trigger_ids_and_the_current_revision() -> None:
    current = as_stored(SPEC)
    spec = copy.deepcopy(SPEC)
    spec["metadata"]["revision"] = 1  # exported long ago
    spec["spec"]["triggers"].append({"name": "new-one"})
    sent = compare.with_trigger_ids(spec, current)
    assert [t.get("id") for t in sent["spec"]["triggers"]] == ["trigger-0", "trigger-1", None]
    assert sent["metadata"]["revision"] == 3
    assert spec["spec"]["triggers"][0].get("id") is None  # the spec itself is not changed


def test_a_trigger_id_written_in_the_spec_is_kept() -> None:
    spec = copy.deepcopy(SPEC)
    spec["spec"]["triggers"][0]["id"] = "mine"
    sent = compare.with_trigger_ids(spec, as_stored(SPEC))
    assert sent["spec"]["triggers"][0]["id"] == "mine"
