"""PIPELINES read into children (`cfstep.inputs.pipelines`, docs/fanout.md): each item a
name or a map of the child's own inputs, over the step's inputs as defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from cfstep.errors import InputError
from cfstep.inputs.pipelines import parse_pipelines
from cfstep.model import ChildSpec

STEP = ChildSpec(
    pipeline="",
    branch="main",
    contexts=("shared",),
    variables=(("REGION", "eu"), ("TAG", "1")),
    secrets=(("TOKEN", "step-secret"),),
)


def test_names_and_maps_each_give_a_child_over_the_steps_inputs() -> None:
    first, second = parse_pipelines("[a/b, {pipeline: c/d, branch: dev}]", STEP)
    assert first == ChildSpec(
        pipeline="a/b",
        branch="main",
        contexts=("shared",),
        variables=STEP.variables,
        secrets=STEP.secrets,
    )
    assert (second.pipeline, second.branch, second.contexts) == ("c/d", "dev", ("shared",))


def test_a_yaml_block_list_and_a_name_with_spaces_around() -> None:
    found = parse_pipelines("-   a/b  \n- pipeline: ' c/d '\n", STEP)
    assert [c.pipeline for c in found] == ["a/b", "c/d"]


def test_keys_are_input_names_in_any_case_with_codefresh_runs_aliases() -> None:
    (child,) = parse_pipelines(
        "- {Pipeline_ID: a/b, TRIGGER_ID: t, context: only-this, variable: [X=1]}", STEP
    )
    assert child.pipeline == "a/b"
    assert child.trigger == "t"
    assert child.contexts == ("only-this",)  # a list input replaces the step's
    assert dict(child.variables)["X"] == "1"


def test_key_value_inputs_add_to_the_steps_and_the_childs_value_wins() -> None:
    (child,) = parse_pipelines("- {pipeline: a/b, variables: {TAG: '2', NEW: x}}", STEP)
    assert child.variables == (("REGION", "eu"), ("TAG", "2"), ("NEW", "x"))
    (child,) = parse_pipelines("- {pipeline: a/b, secrets: [TOKEN=child-secret]}", STEP)
    assert child.secrets == (("TOKEN", "child-secret"),)


def test_values_are_read_as_their_kind() -> None:
    (child,) = parse_pipelines(
        "- {pipeline: a/b, sha: 123, no_cache: true, reset_volume: 'yes', only: build, "
        "pack_name: LARGE}",
        STEP,
    )
    assert child.sha == "123"  # a number YAML read is the text it was
    assert (child.no_cache, child.reset_volume) == (True, True)
    assert child.only == ("build",)  # one value is a list of one
    assert child.pack_name == "large"


def test_a_childs_yaml_is_read_from_its_file(tmp_path: Path) -> None:
    path = tmp_path / "child.yml"
    path.write_text("steps: {}\n", encoding="utf-8")
    (child,) = parse_pipelines(f"- {{pipeline: a/b, yaml: {path}}}", STEP)
    assert child.yaml == "steps: {}\n"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{pipeline: a/b}", "PIPELINES: holds a map, not a non-empty list — "),
        ("[]", "PIPELINES: holds an empty list, not a non-empty list — "),
        ("a/b", "PIPELINES: holds a str, not a non-empty list — "),
        ("[a/b, 42]", "PIPELINES item 2: is a int, neither a pipeline name nor a map — "),
        ("[a/b, [c/d]]", "PIPELINES item 2: is a list, neither"),
        ("[a/b, '  ']", "PIPELINES item 2: is a str, neither"),
        ("[{branch: main}]", "PIPELINES item 1: has no `pipeline` — name the pipeline"),
        ("[{pipeline: a/b, pipeline_id: c/d}]", "PIPELINES item 1: 'pipeline' is given twice"),
        ("[{pipeline: a/b, colour: red}]", "PIPELINES item 1: unknown key 'colour' — use one of"),
        ("[{pipeline: a/b, no_cache: ture}]", "PIPELINES item 1 no_cache: 'ture' is not a boolean"),
        ("[{pipeline: a/b, pack_name: huge}]", "PIPELINES item 1 pack_name: 'huge' is not one of"),
        ("[{pipeline: {name: a/b}}]", "PIPELINES item 1 pipeline: is a map, not text — "),
    ],
    ids=[
        "a-map",
        "empty",
        "text",
        "number-item",
        "list-item",
        "blank-item",
        "no-pipeline",
        "key-twice",
        "unknown-key",
        "bad-boolean",
        "bad-pack",
        "map-for-text",
    ],
)
def test_a_bad_item_is_an_input_error_naming_the_item_and_the_key(text: str, says: str) -> None:
    with pytest.raises(InputError) as refused:
        parse_pipelines(text, STEP)
    assert says in refused.value.message


def test_the_unknown_key_message_lists_the_keys_there_are() -> None:
    with pytest.raises(InputError) as refused:
        parse_pipelines("[{pipeline: a/b, timeout_mins: 5}]", STEP)
    for known in ("branch", "variables", "secrets", "pack_name", "yaml"):
        assert known in refused.value.message


@pytest.mark.parametrize(
    "text",
    [
        "[{pipeline: a/b, secrets: {TOKEN: [hidden-value]}}]",
        "[{pipeline: a/b, secrets: [{TOKEN: hidden-value}]}]",
        "{pipeline: a/b, secrets: [TOKEN=hidden-value]}",
    ],
    ids=["value-a-list", "item-a-map", "not-a-list"],
)
def test_a_misplaced_secret_is_never_echoed(text: str) -> None:
    with pytest.raises(InputError) as refused:
        parse_pipelines(text, STEP)
    assert "hidden-value" not in refused.value.message
