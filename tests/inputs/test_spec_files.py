"""PIPELINE_SPEC files read and checked before any request (`cfstep.inputs.spec_files`,
README "Pipelines from a spec"): paths, globs, lists of them or one inline map; each
problem names the file and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cfstep.errors import InputError
from cfstep.inputs import spec_files
from cfstep.model import PipelineSpec

SPEC = """\
version: "1.0"
kind: pipeline
metadata:
  name: team/deploy
  created_at: 2024-01-02
spec:
  variables:
    - {key: IMAGE, value: "${{CF_BRANCH}}"}
    - {key: TOKEN, value: s3cr3t-value, encrypted: true}
  triggers:
    - name: push
      variables: [{key: HOOK, value: h00k-value, encrypted: true}, {key: PLAIN, value: p}]
"""


def _spec(tmp_path: Path, name: str, text: str = SPEC) -> str:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def _named(name: str) -> str:
    return SPEC.replace("team/deploy", name)


def test_a_spec_is_kept_as_written(tmp_path: Path) -> None:
    path = _spec(tmp_path, "deploy.yml")
    (spec,) = spec_files.read_specs(None, path)
    assert (spec.source, spec.name, spec.project) == (path, "team/deploy", "team")
    assert spec.document["metadata"]["created_at"] == "2024-01-02"  # a date stays text
    assert spec.document["spec"]["variables"][0]["value"] == "${{CF_BRANCH}}"  # the child's
    assert spec.encrypted_values == ("s3cr3t-value", "h00k-value")  # masked like SECRETS


def test_globs_and_lists_name_several_files_in_order(tmp_path: Path) -> None:
    _spec(tmp_path, "specs/b.yml", _named("team/b"))
    _spec(tmp_path, "specs/a.yml", _named("team/a"))
    _spec(tmp_path, "specs/deep/c.yaml", _named("team/c"))
    extra = _spec(tmp_path, "extra.yml", _named("other/x"))
    text = f"- {tmp_path}/specs/**/*.y*ml\n- {extra}\n"
    assert [s.name for s in spec_files.read_specs(None, text)] == [
        "team/a",
        "team/b",
        "team/c",
        "other/x",
    ]


def test_the_flag_wins_over_the_environment(tmp_path: Path) -> None:
    from_flag = _spec(tmp_path, "flag.yml", _named("team/flag"))
    (spec,) = spec_files.read_specs([from_flag], _spec(tmp_path, "env.yml"))
    assert spec.name == "team/flag"


def test_an_inline_map_from_a_typed_step(tmp_path: Path) -> None:
    document = {"kind": "pipeline", "metadata": {"name": "team/inline"}, "spec": {}}
    (spec,) = spec_files.read_specs(None, json.dumps(document))
    assert (spec.source, spec.name, spec.document) == ("the inline spec", "team/inline", document)


def test_nothing_given_is_no_spec() -> None:
    assert spec_files.read_specs(None, "  \n") == ()


def test_a_glob_that_matches_nothing_names_the_pattern(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"none-\*\.yml' matches no file — check the pattern"):
        spec_files.read_specs(None, f"{tmp_path}/none-*.yml")


def test_two_specs_of_one_pipeline_are_refused(tmp_path: Path) -> None:
    first, second = _spec(tmp_path, "a.yml"), _spec(tmp_path, "b.yml")
    with pytest.raises(InputError) as refused:
        spec_files.read_specs([first, second], "")
    assert f"{first} and {second} both define 'team/deploy'" in refused.value.message


@pytest.mark.parametrize(
    ("document", "says"),
    [
        (["kind", "pipeline"], "holds a list, not a pipeline spec — "),
        (None, "holds nothing, not a pipeline spec"),
        ({"metadata": {"name": "a/b"}}, "kind is missing — a pipeline spec has kind: pipeline"),
        ({"kind": "project", "metadata": {"name": "a/b"}}, "kind is 'project'"),
        ({"kind": "pipeline", "metadata": {}}, "metadata.name is missing — "),
        ({"kind": "pipeline", "metadata": {"name": "deploy"}}, "is not project/pipeline — "),
        ({"kind": "pipeline", "metadata": {"name": " /x"}}, "is not project/pipeline"),
        ({"kind": "pipeline", "metadata": {"name": "a/b"}, "spec": [1]}, "spec is not a map"),
        (
            {"kind": "pipeline", "metadata": {"name": "a/b"}, "spec": {"s": {1, 2}}},
            "holds a value JSON cannot carry",
        ),
    ],
    ids=[
        "a-list",
        "empty",
        "no-kind",
        "wrong-kind",
        "no-name",
        "no-project",
        "blank-project",
        "spec-a-list",
        "not-json",
    ],
)
def test_a_document_that_is_no_pipeline_spec_names_the_file_and_field(
    document: object, says: str
) -> None:
    with pytest.raises(InputError) as refused:
        spec_files.check(document, "deploy.yml")
    assert refused.value.message.startswith("PIPELINE_SPEC: deploy.yml")
    assert says in refused.value.message


def test_a_document_that_refers_to_itself_is_refused() -> None:
    loop: list[object] = []
    loop.append(loop)
    document = {"kind": "pipeline", "metadata": {"name": "a/b"}, "spec": {"loop": loop}}
    with pytest.raises(InputError, match="refers to itself through a YAML alias"):
        spec_files.check(document, "loop.yml")


def test_aliases_that_expand_past_the_budget_are_refused_without_expanding() -> None:
    level: object = ["x"] * 10
    for _ in range(5):  # 10**5 leaves, a handful of objects
        level = [level] * 10
    document = {"kind": "pipeline", "metadata": {"name": "a/b"}, "spec": {"big": level}}
    with pytest.raises(InputError, match=f"expands to more than {spec_files.MAX_VALUES} values"):
        spec_files.check(document, "big.yml")


def test_what_the_yaml_validator_is_given() -> None:
    def spec(body: dict[str, object], **top: object) -> PipelineSpec:
        return PipelineSpec("s.yml", "a/b", {"kind": "pipeline", **top, "spec": body})

    assert spec_files.validator_yaml(spec({"variables": []})) is None  # the repository's YAML
    text = spec_files.validator_yaml(spec({"steps": {"build": {"image": "alpine"}}}, version="1.0"))
    assert text == "version: '1.0'\nsteps:\n  build:\n    image: alpine\n"


def test_variable_lists_are_the_specs_and_its_triggers() -> None:
    document = {
        "spec": {
            "variables": [{"key": "A"}, "not a map"],
            "triggers": [{"variables": [{"key": "B"}]}, "not a trigger", {"name": "bare"}],
        }
    }
    assert spec_files.variable_lists(document) == [{"key": "A"}, {"key": "B"}]
    assert spec_files.variable_lists({"spec": "text"}) == []
