"""The run request: every input reaches the body exactly (reference: "Start a build")."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import (
    API_KEY,
    RUN_PREFIX,
    SECRET,
    base_env,
    run_step,
)
from scenarios import ODD_PIPELINE, ODD_PIPELINE_SEGMENT, OK_ID

# Values that break naive parsers: `=`, `,`, spaces, both quotes, a colon, a hash.
TRICKY = [
    ("A", "1"),
    ("NOTE", "built by cfstep, with commas"),
    ("URL", "https://example.com/?a=b&c=d"),
    ("QUOTES", 'he said "hi" and it\'s fine'),
    ("SPACED", "two  inner  spaces"),
    ("HASH", "a #not-a-comment"),
]
YAML_TEXT = "version: '1.0'\nsteps:\n  hello:\n    image: alpine\n    commands: [echo hi]\n"


def _variables(pairs: list[tuple[str, str]]) -> list[dict[str, object]]:
    return [{"key": k, "value": v} for k, v in pairs]


def _yaml_list(pairs: list[tuple[str, str]]) -> str:
    return "".join(f"- {json.dumps(f'{k}={v}')}\n" for k, v in pairs)


@pytest.fixture
def yaml_file(tmp_path: Path) -> Path:
    path = tmp_path / "codefresh.yml"
    path.write_text(YAML_TEXT, encoding="utf-8")
    return path


def test_every_run_input_from_the_environment_reaches_the_body(
    emu: Emulator, fake_clock: FakeClock, yaml_file: Path
) -> None:
    env = base_env(
        emu,
        PIPELINE_ID="proj/ok",
        TRIGGER_ID="deploy-trigger",
        BRANCH="feature/x",
        SHA="0123abcd",
        VARIABLE=_yaml_list(TRICKY),
        SECRETS=f"TOKEN={SECRET}\n",
        CONTEXT="- shared-ctx\n- other ctx\n",
        ANNOTATION="owner=team a, b\nticket=CF-1=2",
        CF_BUILD_ID="64b0de0d00000000000000aa",
        ONLY="build\npush",
        SKIP="- 'test: slow'",
        NO_CACHE="true",
        NO_CF_CACHE="yes",
        RESET_VOLUME="on",
        ENABLE_NOTIFICATIONS="1",
        RUNTIME_NAME="my-runtime",
        PACK_NAME="large",
        YAML=str(yaml_file),
        DETACH="true",
    )
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 0, result.stderr
    assert result.body == {
        "branch": "feature/x",
        "sha": "0123abcd",
        "trigger": "deploy-trigger",
        "variables": [
            *_variables(TRICKY),
            {"key": "TOKEN", "value": SECRET, "encrypted": True},
        ],
        "annotations": {
            "owner": "team a, b",
            "ticket": "CF-1=2",
            "cf_predecessor": "64b0de0d00000000000000aa",
        },
        "contexts": ["shared-ctx", "other ctx"],
        "userYamlDescriptor": YAML_TEXT,
        "options": {
            "noCache": True,
            "noCfCache": True,
            "resetVolume": True,
            "enableNotifications": True,
            "only": ["build", "push"],
            "skip": ["test: slow"],
        },
        "userMachineConfig": {"runtimeName": "my-runtime", "packName": "large"},
    }
    (build,) = emu.runs()
    assert emu.annotations(build.id)["cf_predecessor"] == "64b0de0d00000000000000aa"


def test_every_run_input_from_flags_reaches_the_body(
    emu: Emulator, fake_clock: FakeClock, yaml_file: Path
) -> None:
    argv = ["--pipeline", "proj/ok", "-t", "deploy-trigger", "-b", "main", "-s", "abc"]
    for key, value in TRICKY:
        argv += ["-v", f"{key}={value}"]
    argv += ["--secret", f"TOKEN={SECRET}", "-S", f"OTHER=x{SECRET}"]
    argv += ["-c", "ctx-1", "--context", "ctx 2", "-a", "k=v=w", "--annotation", "j=a, b"]
    argv += ["--only", "build", "--skip", "test", "--skip", "lint"]
    argv += ["--no-cache", "--no-cf-cache", "--reset-volume", "--enable-notifications"]
    argv += ["--runtime-name", "rt", "--pack-name", "small", "--yaml", str(yaml_file), "-d"]
    result = run_step(emu, base_env(emu), argv, clock=fake_clock)

    assert result.code == 0, result.stderr
    assert result.body == {
        "branch": "main",
        "sha": "abc",
        "trigger": "deploy-trigger",
        "variables": [
            *_variables(TRICKY),
            {"key": "TOKEN", "value": SECRET, "encrypted": True},
            {"key": "OTHER", "value": f"x{SECRET}", "encrypted": True},
        ],
        "annotations": {"k": "v=w", "j": "a, b"},
        "contexts": ["ctx-1", "ctx 2"],
        "userYamlDescriptor": YAML_TEXT,
        "options": {
            "noCache": True,
            "noCfCache": True,
            "resetVolume": True,
            "enableNotifications": True,
            "only": ["build"],
            "skip": ["test", "lint"],
        },
        "userMachineConfig": {"runtimeName": "rt", "packName": "small"},
    }


def test_only_the_pipeline_gives_an_empty_body(emu: Emulator, fake_clock: FakeClock) -> None:
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok", DETACH="true"), clock=fake_clock)

    assert result.code == 0
    assert result.body == {}  # no cf_predecessor without CF_BUILD_ID, no false options


@pytest.mark.parametrize(
    "text",
    [
        "A=1\nNOTE=x, y\n\n  \nURL=https://e.com/?a=b\n",
        "- A=1\n- NOTE=x, y\n- URL=https://e.com/?a=b\n",
        '["A=1", "NOTE=x, y", "URL=https://e.com/?a=b"]',
        "\n\nA=1\r\nNOTE=x, y\r\nURL=https://e.com/?a=b\r\n",
    ],
    ids=["newlines", "yaml-block", "yaml-flow", "crlf-and-blank-lines"],
)
def test_list_inputs_from_yaml_or_newline_text(
    emu: Emulator, fake_clock: FakeClock, text: str
) -> None:
    env = base_env(emu, PIPELINE_ID="proj/ok", VARIABLE=text, DETACH="true")
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 0, result.stderr
    assert result.body["variables"] == _variables(
        [("A", "1"), ("NOTE", "x, y"), ("URL", "https://e.com/?a=b")]
    )


def test_a_list_is_never_split_on_commas(emu: Emulator, fake_clock: FakeClock) -> None:
    env = base_env(emu, PIPELINE_ID="proj/ok", CONTEXT="a,b", ONLY="x, y", DETACH="true")
    result = run_step(emu, env, clock=fake_clock)

    assert result.body["contexts"] == ["a,b"]
    assert result.body["options"] == {"only": ["x, y"]}


def test_a_repeated_key_takes_the_last_value(emu: Emulator, fake_clock: FakeClock) -> None:
    env = base_env(emu, PIPELINE_ID="proj/ok", VARIABLE="A=1\nB=2\nA=3", DETACH="true")
    result = run_step(emu, env, clock=fake_clock)

    assert result.body["variables"] == _variables([("A", "3"), ("B", "2")])


def test_an_empty_value_is_sent_empty(emu: Emulator, fake_clock: FakeClock) -> None:
    result = run_step(
        emu, base_env(emu, PIPELINE_ID="proj/ok"), ["-v", "EMPTY=", "-d"], clock=fake_clock
    )

    assert result.body["variables"] == [{"key": "EMPTY", "value": ""}]


def test_flags_win_over_the_environment(emu: Emulator, fake_clock: FakeClock) -> None:
    env = base_env(
        emu,
        PIPELINE_ID="proj/fail",
        BRANCH="env-branch",
        VARIABLE="FROM_ENV=1",
        CONTEXT="env-ctx",
        PACK_NAME="small",
        DETACH="true",
    )
    argv = ["--pipeline", "proj/ok", "-b", "flag-branch", "-v", "FROM_FLAG=2"]
    argv += ["-c", "flag-ctx", "--pack-name", "medium"]
    result = run_step(emu, env, argv, clock=fake_clock)

    assert result.code == 0
    assert [r.path for r in result.run_requests] == [f"{RUN_PREFIX}proj%2Fok"]
    assert result.body == {
        "branch": "flag-branch",
        "variables": [{"key": "FROM_FLAG", "value": "2"}],
        "contexts": ["flag-ctx"],
        "userMachineConfig": {"packName": "medium"},
    }


def test_a_boolean_flag_wins_over_the_environment(emu: Emulator, fake_clock: FakeClock) -> None:
    env = base_env(emu, PIPELINE_ID="proj/fail", PROPAGATE_FAILURE="false", LOG_TAIL="0")
    result = run_step(emu, env, ["--propagate-failure"], clock=fake_clock)

    assert result.code == 1


def test_the_positional_pipeline(emu: Emulator, fake_clock: FakeClock) -> None:
    result = run_step(emu, base_env(emu), ["proj/ok", "-d"], clock=fake_clock)

    assert result.code == 0
    assert [r.path for r in result.run_requests] == [f"{RUN_PREFIX}proj%2Fok"]


def test_a_pipeline_by_id(emu: Emulator, fake_clock: FakeClock) -> None:
    result = run_step(emu, base_env(emu, PIPELINE_ID=OK_ID), clock=fake_clock)

    assert result.code == 0
    assert [r.path for r in result.run_requests] == [f"{RUN_PREFIX}{OK_ID}"]
    (build,) = emu.runs("proj/ok")
    assert result.exports["BUILD_ID"] == build.id


def test_a_pipeline_name_with_slash_space_and_colon_is_one_segment(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    result = run_step(emu, base_env(emu, PIPELINE_ID=ODD_PIPELINE), clock=fake_clock)

    assert result.code == 0, result.stderr
    assert [r.path for r in result.run_requests] == [f"{RUN_PREFIX}{ODD_PIPELINE_SEGMENT}"]
    (build,) = emu.runs(ODD_PIPELINE)
    assert build.status == "success"
    assert result.exports["BUILD_STATUS"] == "success"


def test_the_run_request_carries_a_uuid4_req_id_and_the_raw_key(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok", DETACH="1"), clock=fake_clock)

    (request,) = result.run_requests
    (req_id,) = request.query["reqId"]
    assert uuid.UUID(req_id).version == 4
    assert request.headers["authorization"] == API_KEY  # no "Bearer"
    assert request.headers["content-type"] == "application/json"
    assert f"[reqId {req_id}]" in result.stderr


def test_each_run_has_a_fresh_req_id(emu: Emulator, fake_clock: FakeClock) -> None:
    env = base_env(emu, PIPELINE_ID="proj/ok", DETACH="1")
    first = run_step(emu, env, clock=fake_clock)
    second = run_step(emu, env, clock=fake_clock)

    assert first.run_requests[0].query != second.run_requests[0].query
    assert len(emu.runs()) == 2


def test_forward_copies_this_builds_variables_into_the_child(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    env = base_env(
        emu,
        PIPELINE_ID="proj/ok",
        CF_BRANCH="feature/x",
        CF_PULL_REQUEST_TITLE='Fix "quotes", commas = ok',
        FORWARD="CF_BRANCH\nCF_PULL_REQUEST_TITLE\nNOT_SET_HERE",
        VARIABLE="CF_BRANCH=overridden",
        DETACH="true",
    )
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 0
    assert result.body["variables"] == _variables(
        [("CF_BRANCH", "overridden"), ("CF_PULL_REQUEST_TITLE", 'Fix "quotes", commas = ok')]
    )
    assert "FORWARD: NOT_SET_HERE is not set" in result.stderr


def test_forward_by_flag(emu: Emulator, fake_clock: FakeClock) -> None:
    env = base_env(emu, PIPELINE_ID="proj/ok", APP_VERSION="1.2.3", DETACH="true")
    result = run_step(emu, env, ["--forward", "APP_VERSION"], clock=fake_clock)

    assert result.body["variables"] == [{"key": "APP_VERSION", "value": "1.2.3"}]


def test_a_variable_file_map_becomes_variables(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    path = tmp_path / "vars.yaml"
    path.write_text("FROM_FILE: a, b\nNUMBER: 3\nBOTH: file\n", encoding="utf-8")
    env = base_env(
        emu, PIPELINE_ID="proj/ok", VARIABLE_FILE=str(path), VARIABLE="BOTH=var", DETACH="1"
    )
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 0, result.stderr
    assert result.body["variables"] == _variables(
        [("FROM_FILE", "a, b"), ("NUMBER", "3"), ("BOTH", "var")]
    )


def test_a_trigger_and_branch_the_pipeline_accepts(emu: Emulator, fake_clock: FakeClock) -> None:
    env = base_env(emu, PIPELINE_ID="proj/strict", TRIGGER_ID="deploy-trigger", BRANCH="main")
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 0
    assert result.body == {"branch": "main", "trigger": "deploy-trigger"}


# -- DRY_RUN -----------------------------------------------------------------------------


def test_dry_run_prints_the_request_with_secrets_masked_and_sends_nothing(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    env = base_env(
        emu,
        PIPELINE_ID=ODD_PIPELINE,
        BRANCH="main",
        VARIABLE="A=1",
        SECRETS=f"TOKEN={SECRET}",
        CF_BUILD_ID="parent-build",
        DRY_RUN="true",
    )
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 0
    assert emu.requests == []
    assert emu.runs() == []
    document = json.loads(result.stdout)
    assert document == {
        "method": "POST",
        "url": f"{emu.url}{RUN_PREFIX}{ODD_PIPELINE_SEGMENT}?reqId=<uuid4>",
        "headers": {"Authorization": "***", "Content-Type": "application/json"},
        "body": {
            "branch": "main",
            "variables": [
                {"key": "A", "value": "1"},
                {"key": "TOKEN", "value": "***", "encrypted": True},
            ],
            "annotations": {"cf_predecessor": "parent-build"},
        },
    }
    assert "nothing was sent" in result.stderr
    assert "BUILD_ID" not in result.exports


def test_dry_run_needs_no_api_key(fake_clock: FakeClock) -> None:
    env = {"PIPELINE_ID": "proj/ok", "CF_URL": "http://127.0.0.1:9"}
    result = run_step(None, env, ["--dry-run"], clock=fake_clock)

    assert result.code == 0
    assert (
        json.loads(result.stdout)["url"]
        == "http://127.0.0.1:9/api/pipelines/run/proj%2Fok?reqId=<uuid4>"
    )
