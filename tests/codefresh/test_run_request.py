"""The run request's body from one child's inputs (reference: "Start a build")."""

from __future__ import annotations

from cfstep.codefresh.run_request import run_body
from cfstep.inputs.config import platform
from cfstep.model import ChildSpec


def _parent(environ: dict[str, str]) -> str | None:
    """This build's id, read from its environment as a run reads it."""
    return platform(environ).parent_build_id


def test_a_bare_child_sends_an_empty_body() -> None:
    assert run_body(ChildSpec(pipeline="p"), _parent({})) == {}


def test_every_field() -> None:
    child = ChildSpec(
        pipeline="p",
        trigger="t",
        branch="b",
        sha="s",
        variables=(("A", "1, 2"), ("B", "x=y")),
        secrets=(("TOKEN", "hunter2"),),
        contexts=("c1", "c 2"),
        annotations=(("k", "v"),),
        only=("o",),
        skip=("s1", "s2"),
        no_cache=True,
        no_cf_cache=True,
        reset_volume=True,
        enable_notifications=True,
        runtime_name="rt",
        pack_name="large",
        yaml="version: '1.0'\n",
    )
    assert run_body(child, _parent({"CF_BUILD_ID": "parent"})) == {
        "branch": "b",
        "sha": "s",
        "trigger": "t",
        "variables": [
            {"key": "A", "value": "1, 2"},
            {"key": "B", "value": "x=y"},
            {"key": "TOKEN", "value": "hunter2", "encrypted": True},
        ],
        "annotations": {"k": "v", "cf_predecessor": "parent"},
        "contexts": ["c1", "c 2"],
        "userYamlDescriptor": "version: '1.0'\n",
        "options": {
            "noCache": True,
            "noCfCache": True,
            "resetVolume": True,
            "enableNotifications": True,
            "only": ["o"],
            "skip": ["s1", "s2"],
        },
        "userMachineConfig": {"runtimeName": "rt", "packName": "large"},
    }


def test_cf_predecessor_only_when_cf_build_id_is_set() -> None:
    child = ChildSpec(pipeline="p")
    assert run_body(child, _parent({"CF_BUILD_ID": "  "})) == {}
    assert run_body(child, _parent({"CF_BUILD_ID": " abc \n"})) == {
        "annotations": {"cf_predecessor": "abc"}
    }


def test_the_parent_link_wins_over_a_user_annotation_of_the_same_key() -> None:
    child = ChildSpec(pipeline="p", annotations=(("cf_predecessor", "forged"), ("x", "1")))
    assert run_body(child, _parent({"CF_BUILD_ID": "real"}))["annotations"] == {
        "cf_predecessor": "real",
        "x": "1",
    }


def test_an_empty_yaml_file_is_still_sent() -> None:
    assert run_body(ChildSpec(pipeline="p", yaml=""), _parent({})) == {"userYamlDescriptor": ""}


def test_only_true_options_are_sent() -> None:
    body = run_body(ChildSpec(pipeline="p", reset_volume=True, runtime_name="rt"), _parent({}))
    assert body == {"options": {"resetVolume": True}, "userMachineConfig": {"runtimeName": "rt"}}


def test_secrets_follow_the_variables_encrypted() -> None:
    body = run_body(ChildSpec(pipeline="p", secrets=(("S", "v"),)), _parent({}))
    assert body == {"variables": [{"key": "S", "value": "v", "encrypted": True}]}
