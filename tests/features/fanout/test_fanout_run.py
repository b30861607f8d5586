"""Several children in one step (docs/fanout.md), end to end through `cfstep.cli.main` against the
emulator, with a fake clock shared by both so minutes of builds take milliseconds."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from cfstep.emulator import Emulator, Fault
from harness import (
    Result,
    build_gets,
    deleted_progress,
    max_in_flight,
    max_running,
    run_posts,
    variables_of,
)

Factory = Callable[..., Emulator]


def summary_rows(result: Result) -> dict[str, list[str]]:
    """The summary table's rows by their `#` column, split on runs of spaces."""
    header = next(
        i for i, line in enumerate(result.stderr_lines) if line.split()[:2] == ["#", "pipeline"]
    )
    rows = {}
    for line in result.stderr_lines[header + 1 :]:
        cells = line.split()
        if not cells or not cells[0].isdigit():
            break
        rows[cells[0]] = cells
    return rows


# -- all succeed ----------------------------------------------------------------------------


def test_three_children_succeed_with_outputs_per_child_in_list_order(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    # fan/a takes longest, so list order differs from the order the children end in.
    result = run(PIPELINES="[fan/a, fan/b, fan/c]", CF_STEP_NAME="release")
    assert result.code == 0
    builds = emu.runs()
    assert [b.pipeline for b in builds] == ["fan/a", "fan/b", "fan/c"]
    ids = [b.id for b in builds]
    out = result.exports
    assert out["BUILD_ID"] == " ".join(ids)
    assert out["BUILD_URL"] == " ".join(f"{emu.url}/build/{i}" for i in ids)
    assert out["BUILD_STATUS"] == "success"
    for n, build_id in enumerate(ids, start=1):
        assert out[f"BUILD_ID_{n}"] == build_id
        assert out[f"BUILD_URL_{n}"] == f"{emu.url}/build/{build_id}"
        assert out[f"BUILD_STATUS_{n}"] == "success"
    assert out["BUILD_DURATION_SECONDS_1"] == "5"
    assert out["BUILD_DURATION_SECONDS_2"] == "2"
    assert out["release_CF_OUTPUT_URL"] == f"{emu.url}/build/{ids[0]}"
    assert "BUILD_STATUS_4" not in out
    assert all(b.status == "success" and b.terminated_at is None for b in emu.runs())
    assert deleted_progress(emu) == []


def test_ids_and_urls_are_exported_right_after_each_trigger_before_any_wait(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    """The ids survive a cancel: each child's id and URL are written before the first poll."""
    result = run(PIPELINES="[fan/a, fan/b]")
    ids = [b.id for b in emu.runs()]
    lines = result.export_lines
    first_status = next(i for i, line in enumerate(lines) if line.startswith("BUILD_STATUS"))
    assert lines.index(f"BUILD_ID_2={ids[1]}") < first_status
    assert lines.index(f"BUILD_ID={ids[0]} {ids[1]}") < first_status


def test_summary_table_shows_every_child_with_build_status_duration_and_url(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    result = run(PIPELINES="[fan/a, fan/b, fan/c]")
    rows = summary_rows(result)
    header = next(line for line in result.stderr_lines if line.startswith("#  pipeline"))
    assert header.split() == ["#", "pipeline", "build", "status", "duration", "url"]
    assert sorted(rows) == ["1", "2", "3"]
    for n, build in enumerate(emu.runs(), start=1):
        _, pipeline, build_id, status, _, url = rows[str(n)]
        assert (pipeline, build_id, status) == (build.pipeline, build.id, "success")
        assert url == f"{emu.url}/build/{build.id}"
    assert [rows[n][4] for n in ("1", "2", "3")] == ["5.0s", "2.0s", "3.0s"]


def test_status_lines_name_the_child_once_per_change(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    """Two children of the same pipeline: each line says which one (#n), once per change."""
    result = run(PIPELINES="[fan/a, fan/a]")
    assert result.code == 0
    status_lines = [line for line in result.stderr_lines if line.startswith("[")]
    for n in (1, 2):
        mine = [line.split("] ", 1)[1] for line in status_lines if f"#{n} fan/a " in line]
        # First seen at 1 s (running), polled at 2, 3 and 4 s unchanged, success at 5 s.
        assert mine == [f"#{n} fan/a running", f"#{n} fan/a running → success"]
    assert len(status_lines) == 4  # nothing else, and no line without its child
    first, second = emu.runs()
    assert (
        f"Started build {second.id} of #2 fan/a: {emu.url}/build/{second.id}" in result.stderr_lines
    )
    assert f"#1 fan/a {first.id}: success after 5.0s" in result.stderr_lines


def test_a_single_child_keeps_the_plain_output_names(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    result = run(PIPELINES="[fan/b]")
    assert result.code == 0
    (build,) = emu.runs()
    assert result.exports["BUILD_ID"] == build.id
    assert result.exports["BUILD_STATUS"] == "success"
    assert not any(key.endswith("_1") for key in result.exports)


# -- a child fails --------------------------------------------------------------------------


def test_fail_fast_terminates_the_running_children_and_never_starts_the_rest(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    result = run(PIPELINES="[fan/slow, fan/fail, fan/slow, fan/b, fan/c]", MAX_PARALLEL="3")
    assert result.code == 1  # the first failure's (error), not the terminated ones' 2
    builds = emu.runs()
    assert [b.pipeline for b in builds] == ["fan/slow", "fan/fail", "fan/slow"]  # 4, 5 never
    slow1, failed, slow3 = builds
    assert deleted_progress(emu) == [slow1.progress, slow3.progress]
    assert failed.status == "error"
    assert failed.terminated_at is None
    assert slow1.terminated_at is not None
    assert slow3.terminated_at is not None
    out = result.exports
    assert out["BUILD_STATUS"] == "error"
    assert [out[f"BUILD_STATUS_{n}"] for n in range(1, 6)] == [
        "terminated",
        "error",
        "terminated",
        "skipped",
        "skipped",
    ]
    assert "BUILD_ID_4" not in out
    assert out["BUILD_ID"] == " ".join(b.id for b in builds)
    rows = summary_rows(result)
    assert [rows[n][3] for n in "123"] == ["terminated", "error", "terminated"]
    assert rows["4"][1:4] == ["fan/b", "-", "not"]  # "not started"
    assert "fan/fail failed: terminating the other children (FAIL_FAST)" in result.stderr
    assert f"child build {failed.id} of fan/fail ended in error" in result.stderr_lines[-1]
    assert "boom: the tests failed" in result.stderr  # the failed child's log, not the others'


def test_fail_fast_exit_code_is_the_first_failure_even_when_a_worse_one_is_stopped(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    """The first failure is a child terminated by someone else (2); the child that would
    have failed later is stopped by the step and does not count."""
    result = run(PIPELINES="[fan/late-fail, fan/terminated]")
    assert result.code == 2
    late, _ = emu.runs()
    assert deleted_progress(emu) == [late.progress]
    assert result.exports["BUILD_STATUS"] == "terminated"


def test_without_fail_fast_every_child_runs_to_its_end_and_the_worst_decides(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    # MAX_PARALLEL=2: children 3 and 4 are still queued when child 1 fails.
    result = run(PIPELINES="[fan/fail, fan/a, fan/b, fan/c]", FAIL_FAST="false", MAX_PARALLEL="2")
    assert result.code == 1
    builds = emu.runs()
    assert [b.pipeline for b in builds] == ["fan/fail", "fan/a", "fan/b", "fan/c"]
    assert [b.status for b in builds] == ["error", "success", "success", "success"]
    assert all(b.terminated_at is None for b in builds)
    assert deleted_progress(emu) == []
    out = result.exports
    assert [out[f"BUILD_STATUS_{n}"] for n in range(1, 5)] == ["error"] + ["success"] * 3
    assert out["BUILD_STATUS"] == "error"
    rows = summary_rows(result)
    assert [rows[n][3] for n in "1234"] == ["error", "success", "success", "success"]
    assert "FAIL_FAST" not in result.stderr


def test_without_fail_fast_the_worst_exit_code_wins_whatever_the_order(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    """error (1) ends first, terminated (2) later: the step exits 2."""
    result = run(PIPELINES="[fan/fail, fan/b, fan/late-fail, fan/terminated]", FAIL_FAST="no")
    assert result.code == 2
    assert result.exports["BUILD_STATUS"] == "terminated"
    assert [result.exports[f"BUILD_STATUS_{n}"] for n in range(1, 5)] == [
        "error",
        "success",
        "error",
        "terminated",
    ]


def test_propagate_failure_false_reports_the_failure_and_exits_0(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    result = run(PIPELINES="[fan/fail, fan/b]", PROPAGATE_FAILURE="false")
    assert result.code == 0
    assert result.exports["BUILD_STATUS_1"] == "error"
    assert "not failing this step (PROPAGATE_FAILURE=false)" in result.stderr


# -- how many at once -----------------------------------------------------------------------


def test_max_parallel_2_with_5_children_never_runs_more_than_2_at_once(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    result = run(PIPELINES="[fan/a, fan/b, fan/c, fan/b, fan/a]", MAX_PARALLEL="2")
    assert result.code == 0
    builds = emu.runs()
    assert len(builds) == 5
    assert max_in_flight(emu) == 2  # from the request log: runs minus ends seen
    assert max_running(emu) == 2  # from the builds' created and finished times
    # Each run after the second waits for an end: it is created when one has finished.
    for n, build in enumerate(builds[2:], start=3):
        ended = [b for b in builds[: n - 1] if b.finished and b.finished <= build.created]
        assert len(ended) >= n - 2
    assert [result.exports[f"BUILD_STATUS_{n}"] for n in range(1, 6)] == ["success"] * 5


def test_max_parallel_defaults_to_10(emu: Emulator, run: Callable[..., Result]) -> None:
    result = run(PIPELINES=json.dumps(["fan/b"] * 12))
    assert result.code == 0
    assert max_in_flight(emu) == 10
    assert len(emu.runs()) == 12


def test_children_are_followed_by_one_adaptive_poll_loop(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    """Polls per child follow the adaptive schedule (1 s floor here), whatever the others do."""
    result = run(PIPELINES="[fan/b, fan/a]")
    assert result.code == 0
    b, a = emu.runs()
    assert len(build_gets(emu, b.id)) == 2  # at 1 s and 2 s: a 2 s child
    assert len(build_gets(emu, a.id)) == 5  # a 5 s child


# -- where the children come from -----------------------------------------------------------


def test_variable_file_list_of_3_maps_starts_3_builds_with_the_variables_given(
    emu: Emulator, run: Callable[..., Result], tmp_path: Path
) -> None:
    file = tmp_path / "regions.yaml"
    file.write_text(
        "- {REGION: eu-west-1, REPLICAS: 3}\n"
        "- {REGION: us-east-1, COMMON: from-the-file}\n"
        "- REGION: ap-south-1\n  NOTE: 'a=b, c'\n"
    )
    result = run(PIPELINE_ID="fan/b", VARIABLE_FILE=str(file), VARIABLE="COMMON=from-the-step")
    assert result.code == 0
    builds = emu.runs()
    assert [b.pipeline for b in builds] == ["fan/b"] * 3
    assert [variables_of(b.body) for b in builds] == [
        {"REGION": "eu-west-1", "REPLICAS": "3", "COMMON": "from-the-step"},
        {"REGION": "us-east-1", "COMMON": "from-the-step"},
        {"REGION": "ap-south-1", "NOTE": "a=b, c", "COMMON": "from-the-step"},
    ]
    assert result.build_ids == [b.id for b in builds]
    assert [result.exports[f"BUILD_STATUS_{n}"] for n in (1, 2, 3)] == ["success"] * 3


def test_variable_file_map_gives_defaults_to_every_pipelines_child(
    emu: Emulator, run: Callable[..., Result], tmp_path: Path
) -> None:
    file = tmp_path / "vars.json"
    file.write_text('{"APP_VERSION": "1.2.3", "A": "file"}')
    result = run(
        PIPELINES="[fan/b, {pipeline: fan/c, variables: {A: child}}]", VARIABLE_FILE=str(file)
    )
    assert result.code == 0
    assert [variables_of(b.body) for b in emu.runs()] == [
        {"APP_VERSION": "1.2.3", "A": "file"},
        {"APP_VERSION": "1.2.3", "A": "child"},
    ]


@pytest.mark.parametrize(
    "pipelines",
    [
        pytest.param(
            """
- fan/b
- pipeline: fan/c
  branch: release
  sha: abc123
  trigger: t2
  variables: {B: child, C: "4"}
  secrets: [TOKEN2=s2]
  contexts: [other-ctx]
  annotations: {team: red}
  no_cache: true
  reset_volume: yes
  only: [deploy]
  skip: [lint, test]
  runtime_name: rt-2
  pack_name: large
""",
            id="yaml",
        ),
        pytest.param(
            json.dumps(
                [
                    "fan/b",
                    {
                        "pipeline": "fan/c",
                        "branch": "release",
                        "sha": "abc123",
                        "trigger": "t2",
                        "variables": ["B=child", "C=4"],
                        "secrets": {"TOKEN2": "s2"},
                        "contexts": "other-ctx",
                        "annotations": ["team=red"],
                        "no_cache": "true",
                        "reset_volume": True,
                        "only": ["deploy"],
                        "skip": ["lint", "test"],
                        "runtime_name": "rt-2",
                        "pack_name": "large",
                    },
                ]
            ),
            id="json",
        ),
    ],
)
def test_pipelines_items_as_names_and_maps_override_the_steps_defaults(
    emu: Emulator, run: Callable[..., Result], pipelines: str
) -> None:
    result = run(
        PIPELINES=pipelines,
        BRANCH="main",
        TRIGGER_ID="t1",
        VARIABLE="A=1\nB=2",
        SECRETS="TOKEN=s1",
        CONTEXT="shared-ctx",
        ANNOTATION="owner=release",
        SKIP="slow-step",
        CF_BUILD_ID="parent0123456789abcdef01",
    )
    assert result.code == 0, result.stderr
    by_name, by_map = (b.body for b in emu.runs())
    assert by_name == {
        "branch": "main",
        "trigger": "t1",
        "variables": [
            {"key": "A", "value": "1"},
            {"key": "B", "value": "2"},
            {"key": "TOKEN", "value": "s1", "encrypted": True},
        ],
        "annotations": {"owner": "release", "cf_predecessor": "parent0123456789abcdef01"},
        "contexts": ["shared-ctx"],
        "options": {"skip": ["slow-step"]},
    }
    assert by_map == {
        "branch": "release",
        "sha": "abc123",
        "trigger": "t2",
        "variables": [
            {"key": "A", "value": "1"},
            {"key": "B", "value": "child"},
            {"key": "C", "value": "4"},
            {"key": "TOKEN", "value": "s1", "encrypted": True},
            {"key": "TOKEN2", "value": "s2", "encrypted": True},
        ],
        "annotations": {
            "owner": "release",
            "team": "red",
            "cf_predecessor": "parent0123456789abcdef01",
        },
        "contexts": ["other-ctx"],
        "options": {
            "noCache": True,
            "resetVolume": True,
            "only": ["deploy"],
            "skip": ["lint", "test"],
        },
        "userMachineConfig": {"runtimeName": "rt-2", "packName": "large"},
    }
    assert "s1" not in result.stderr
    assert "s2" not in result.stderr


def test_a_childs_yaml_is_a_file_read_like_the_steps(
    emu: Emulator, run: Callable[..., Result], tmp_path: Path
) -> None:
    step_yaml = tmp_path / "step.yml"
    step_yaml.write_text("version: '1.0'\nsteps: {}\n")
    child_yaml = tmp_path / "child.yml"
    child_yaml.write_text("version: '1.0'\nsteps: {child: {image: alpine}}\n")
    result = run(PIPELINES=f"[fan/b, {{pipeline: fan/c, yaml: {child_yaml}}}]", YAML=str(step_yaml))
    assert result.code == 0
    first, second = emu.runs()
    assert first.body["userYamlDescriptor"] == step_yaml.read_text()
    assert second.body["userYamlDescriptor"] == child_yaml.read_text()


def test_the_same_pipeline_several_times_starts_one_build_each(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    result = run(PIPELINES="[fan/b, fan/b, fan/b]")
    assert result.code == 0
    builds = emu.runs()
    assert len({b.id for b in builds}) == 3
    assert len({b.req_id for b in builds}) == 3  # a fresh reqId per child: no de-duplication
    assert len(run_posts(emu)) == 3


@pytest.mark.parametrize(
    ("children", "heartbeat"),
    [
        pytest.param(2, "still waiting for 2 children: #1 fan/slow running, #2 fan/slow running"),
        pytest.param(7, "still waiting for 7 children: 7 running", id="counted"),
    ],
)
def test_a_quiet_fan_out_prints_one_heartbeat_line_a_minute_for_all_children(
    emu: Emulator, run: Callable[..., Result], children: int, heartbeat: str
) -> None:
    result = run(
        PIPELINES=json.dumps(["fan/slow"] * children), TIMEOUT_MINS="2.5", ON_TIMEOUT="detach"
    )
    assert result.code == 0
    beats = [line.split("] ", 1)[1] for line in result.stderr_lines if "] still" in line]
    assert beats == [heartbeat, heartbeat]  # at about 1 and 2 minutes, then the timeout
    assert [result.exports[f"BUILD_STATUS_{n}"] for n in range(1, children + 1)] == [
        "detached"
    ] * children


def test_fail_fast_a_child_codefresh_refuses_to_stop_is_reported_still_running(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    """DELETE refused (403): the other child is not claimed terminated; its URL is shown."""
    emu.add_fault(Fault("DELETE", "/api/progress/", "status", status=403, times=-1))
    result = run(PIPELINES="[fan/slow, fan/fail]")
    assert result.code == 1
    slow, _ = emu.runs()
    assert slow.terminated_at is None
    assert result.exports["BUILD_STATUS_1"] == "detached"
    assert f"could not terminate {slow.id}" in result.stderr
    assert slow.id in result.stderr


def test_dry_run_prints_one_request_per_child_with_secrets_masked_and_sends_nothing(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    result = run(
        DRY_RUN="true",
        SECRETS="STEP_TOKEN=step-secret-value",
        PIPELINES="[fan/b, {pipeline: fan/c, secrets: {CHILD_TOKEN: child-secret-value}}]",
        secrets=["secret-value"],
    )
    out, err, code = result.stdout, result.stderr, result.code
    assert code == 0
    assert emu.requests == []
    decoder = json.JSONDecoder()
    documents, rest = [], out.strip()
    while rest:
        document, end = decoder.raw_decode(rest)
        documents.append(document)
        rest = rest[end:].strip()
    assert [d["url"].rsplit("/", 1)[1] for d in documents] == [
        "fan%2Fb?reqId=<uuid4>",
        "fan%2Fc?reqId=<uuid4>",
    ]
    assert documents[1]["body"]["variables"] == [
        {"key": "STEP_TOKEN", "value": "***", "encrypted": True},
        {"key": "CHILD_TOKEN", "value": "***", "encrypted": True},
    ]
    assert "secret-value" not in out + err
