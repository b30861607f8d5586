"""What the step runs, read from its inputs (`cfstep.inputs.children`): the children of
PIPELINE_ID or PIPELINES with VARIABLE_FILE, VARIABLE and FORWARD, none when BUILD_ID
follows a build, the PIPELINE_SPEC files and SPEC_ONLY, and FOLLOW_LOGS's default."""

from __future__ import annotations

from pathlib import Path

import pytest

from cfstep.errors import InputError
from cfstep.inputs import children
from cfstep.inputs.given import Given
from cfstep.model import ChildSpec

SPEC = "version: '1.0'\nkind: pipeline\nmetadata: {name: team/deploy}\nspec: {}\n"


def read(
    env: dict[str, str], *, following_existing: bool = False, default_pipeline: str | None = None
) -> tuple[ChildSpec, ...]:
    given = Given({}, env)
    return children.read(
        given, env, following_existing=following_existing, default_pipeline=default_pipeline
    )


def _file(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_one_pipeline_is_one_child_with_the_steps_inputs() -> None:
    (child,) = read({"PIPELINE_ID": "proj/ok", "BRANCH": "main", "VARIABLE": "A=1"})
    assert child.pipeline == "proj/ok"
    assert child.branch == "main"
    assert child.variables == (("A", "1"),)


def test_forwarded_variables_come_first_and_variable_wins_over_them() -> None:
    env = {
        "PIPELINE_ID": "proj/ok",
        "FORWARD": "APP_VERSION\nNOT_SET_HERE\nREGION",
        "APP_VERSION": "1.2.3",
        "REGION": "eu",
        "VARIABLE": "REGION=us",
    }
    given = Given({}, env)
    (child,) = children.read(given, env, following_existing=False)
    assert child.variables == (("APP_VERSION", "1.2.3"), ("REGION", "us"))
    assert any(
        "FORWARD: NOT_SET_HERE is not set in this build; not forwarded" in warning
        for warning in given.warnings
    )


def test_a_variable_file_map_gives_variables_that_variable_overrides(tmp_path: Path) -> None:
    path = _file(tmp_path, "v.yaml", "A: from-file\nB: '2'\n")
    (child,) = read({"PIPELINE_ID": "p/q", "VARIABLE_FILE": path, "VARIABLE": "A=from-input"})
    assert dict(child.variables) == {"A": "from-input", "B": "2"}


def test_a_variable_file_list_starts_one_build_per_map(tmp_path: Path) -> None:
    path = _file(tmp_path, "v.yaml", "- {REGION: eu}\n- {REGION: us}\n")
    found = read({"PIPELINE_ID": "p/q", "VARIABLE_FILE": path, "VARIABLE": "TAG=x"})
    assert [c.pipeline for c in found] == ["p/q", "p/q"]
    assert [dict(c.variables) for c in found] == [
        {"REGION": "eu", "TAG": "x"},
        {"REGION": "us", "TAG": "x"},
    ]


def test_pipelines_take_one_variable_file_map_as_every_childs_default(tmp_path: Path) -> None:
    path = _file(tmp_path, "v.yaml", "A: '1'\n")
    found = read({"PIPELINES": "[a/b, {pipeline: c/d, variables: [A=2]}]", "VARIABLE_FILE": path})
    assert [(c.pipeline, dict(c.variables)) for c in found] == [
        ("a/b", {"A": "1"}),
        ("c/d", {"A": "2"}),
    ]


def test_pipelines_refuse_a_variable_file_list(tmp_path: Path) -> None:
    path = _file(tmp_path, "v.yaml", "- {A: '1'}\n- {A: '2'}\n")
    with pytest.raises(InputError, match=r"^VARIABLE_FILE: a list of maps .* — "):
        read({"PIPELINES": "[a/b]", "VARIABLE_FILE": path})


@pytest.mark.parametrize(
    "text",
    ["just text\n", "[]\n"],
    ids=["scalar", "empty-list"],
)
def test_a_variable_file_that_is_no_map_nor_list_of_maps_is_refused(
    tmp_path: Path, text: str
) -> None:
    path = _file(tmp_path, "v.yaml", text)
    with pytest.raises(InputError, match="not a map of variables or a non-empty list of maps"):
        read({"PIPELINE_ID": "p/q", "VARIABLE_FILE": path})


def test_pipelines_and_pipeline_id_together_are_refused() -> None:
    with pytest.raises(InputError, match=r"^PIPELINES: given together with PIPELINE_ID — "):
        read({"PIPELINES": "[a/b]", "PIPELINE_ID": "c/d"})


def test_following_a_build_runs_no_child_and_takes_no_pipeline() -> None:
    assert read({}, following_existing=True) == ()
    with pytest.raises(InputError, match=r"^BUILD_ID: given together with PIPELINE_ID"):
        read({"PIPELINE_ID": "p/q"}, following_existing=True)


def test_the_spec_names_the_pipeline_when_pipeline_id_is_not_given() -> None:
    (child,) = read({}, default_pipeline="team/deploy")
    assert child.pipeline == "team/deploy"
    (child,) = read({"PIPELINE_ID": "other/one"}, default_pipeline="team/deploy")
    assert child.pipeline == "other/one"
    assert [c.pipeline for c in read({"PIPELINES": "[a/b]"}, default_pipeline="x/y")] == ["a/b"]


def test_no_pipeline_says_what_to_give() -> None:
    with pytest.raises(InputError, match=r"^PIPELINE_ID: not set — give the pipeline") as plain:
        read({})
    assert "PIPELINE_SPEC" not in plain.value.message
    with pytest.raises(InputError, match="with several PIPELINE_SPEC files, or SPEC_ONLY=true"):
        read({"PIPELINE_SPEC": "a.yml b.yml"})


def test_yaml_is_read_once_into_the_child(tmp_path: Path) -> None:
    path = _file(tmp_path, "codefresh.yml", "version: '1.0'\nsteps: {}\n")
    (child,) = read({"PIPELINE_ID": "p/q", "YAML": path})
    assert child.yaml == "version: '1.0'\nsteps: {}\n"


# -- PIPELINE_SPEC and SPEC_ONLY -------------------------------------------------------------


def specs(env: dict[str, str], build_id: str | None = None) -> tuple[object, bool]:
    return children.pipeline_specs(Given({}, env), build_id)


def test_without_specs_there_is_nothing_to_apply() -> None:
    assert specs({}) == ((), False)


def test_spec_only_without_a_spec_is_refused() -> None:
    with pytest.raises(InputError, match=r"^SPEC_ONLY: true without PIPELINE_SPEC — "):
        specs({"SPEC_ONLY": "true"})


def test_a_spec_file_is_read_and_names_the_default_pipeline(tmp_path: Path) -> None:
    found, spec_only = children.pipeline_specs(
        Given({}, {"PIPELINE_SPEC": _file(tmp_path, "s.yml", SPEC)}), None
    )
    assert spec_only is False
    assert [s.name for s in found] == ["team/deploy"]
    assert children.spec_pipeline(found) == "team/deploy"
    assert children.spec_pipeline(found * 2) is None  # several: no default


@pytest.mark.parametrize(
    "also",
    [{"PIPELINE_ID": "p/q"}, {"PIPELINES": "[a/b]"}, {}],
    ids=["pipeline", "pipelines", "build"],
)
def test_spec_only_with_something_to_trigger_is_refused(
    tmp_path: Path, also: dict[str, str]
) -> None:
    env = {"PIPELINE_SPEC": _file(tmp_path, "s.yml", SPEC), "SPEC_ONLY": "true", **also}
    build_id = None if also else "65f0c0ffee0123456789abcd"
    with pytest.raises(InputError, match=r"^SPEC_ONLY: true together with a pipeline or build"):
        specs(env, build_id)


def test_a_pipeline_spec_that_names_no_file_is_refused() -> None:
    with pytest.raises(InputError, match=r"^PIPELINE_SPEC: names no file"):
        specs({"PIPELINE_SPEC": "[]"})


# -- FOLLOW_LOGS ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "count", "detach", "follows"),
    [
        ({}, 1, False, True),  # one child: on by default
        ({}, 3, False, False),  # several: only when asked
        ({"FOLLOW_LOGS": "true"}, 3, False, True),
        ({"FOLLOW_LOGS": "false"}, 1, False, False),
        ({"FOLLOW_LOGS": "true"}, 1, True, False),  # DETACH waits for nothing
    ],
    ids=["one", "several", "several-asked", "one-refused", "detach"],
)
def test_follow_logs_default_depends_on_the_number_of_children(
    env: dict[str, str], count: int, detach: bool, follows: bool
) -> None:
    found = (ChildSpec(pipeline="p/q"),) * count
    assert children.follow_logs(Given({}, env), found, detach) is follows
