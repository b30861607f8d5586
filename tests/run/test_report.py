"""The report and the summary only tell: lines, exports, the JSON document, the summary
table, the closing line; built here without any client (cfstep.run.report,
cfstep.run.summary)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from runparts import Parts, child

from cfstep.errors import ChildFailed, ChildTerminated, WaitTimedOut
from cfstep.model import ExitCode
from cfstep.run.collect import Collected
from cfstep.run.policy import OnTimeout


def _started(parts: Parts, *indexes: int, many: bool = True) -> list:
    found = []
    for index in indexes:
        pipeline = parts.config.children[index - 1].pipeline
        c = child(index, many=many, pipeline=pipeline, started_at=parts.clock())
        parts.state.started(c, followed=True)
        parts.report.started(c)
        found.append(c)
    return found


def test_a_single_childs_id_url_and_link_are_exported_at_its_start(tmp_path: Path) -> None:
    parts = Parts(tmp_path, CF_STEP_NAME="go")
    (only,) = _started(parts, 1, many=False)
    parts.report.all_started()  # nothing more for a single child

    assert parts.export_text == (
        f"BUILD_ID={only.build_id}\nBUILD_URL={only.url}\ngo_CF_OUTPUT_URL={only.url}\n"
    )


def test_a_fan_outs_ids_under_their_own_names_then_the_lists_once(tmp_path: Path) -> None:
    parts = Parts(tmp_path, PIPELINES="[a/a, a/b]", CF_STEP_NAME="go")
    first, second = _started(parts, 1, 2)
    parts.report.all_started()
    parts.report.all_started()

    assert parts.export_text.splitlines() == [
        f"BUILD_ID_1={first.build_id}",
        f"BUILD_URL_1={first.url}",
        f"go_CF_OUTPUT_URL={first.url}",
        f"BUILD_ID_2={second.build_id}",
        f"BUILD_URL_2={second.url}",
        f"BUILD_ID={first.build_id} {second.build_id}",
        f"BUILD_URL={first.url} {second.url}",
    ]


def test_a_skipped_child_is_exported_at_once_and_left_to_its_decider_to_say(
    tmp_path: Path,
) -> None:
    parts = Parts(tmp_path, PIPELINES="[a/a, a/b]")
    parts.state.skip(2, "nothing changed")
    parts.report.skipped(2)

    assert parts.exports == {"BUILD_STATUS_2": "skipped"}
    assert parts.lines == []


def test_status_lines_carry_the_elapsed_time_and_the_label_in_a_fan_out(tmp_path: Path) -> None:
    parts = Parts(tmp_path, PIPELINES="[a/a, a/b]")
    (first,) = _started(parts, 1)
    parts.clock.advance(65)
    parts.report.status_changed(first, "pending", "running")
    parts.report.heartbeat([first])

    assert parts.lines == [
        "[ 1m05s] #1 a/a pending → running",
        "[ 1m05s] still waiting for 1 children: #1 a/a starting",
    ]


def test_the_end_of_a_single_child_names_its_url_and_its_values(tmp_path: Path) -> None:
    parts = Parts(tmp_path, SECRETS="TOKEN=s3cret-value")
    parts.console.add_secrets(parts.config.secrets)
    (only,) = _started(parts, 1, many=False)
    only.outcome, only.status = "success", "success"
    parts.state.done(only, 42.0)
    parts.report.outcome(only, 42.0)
    returned = {"DIGEST": "sha256:1", "LEAK": "s3cret-value"}
    parts.report.ended(only, Collected(returned, [("cfstep_out_PATH", "reserved")]))

    assert parts.exports["BUILD_STATUS"] == "success"
    assert parts.exports["BUILD_DURATION_SECONDS"] == "42"
    assert parts.exports["DIGEST"] == "sha256:1"
    assert parts.exports["LEAK"] == "***"  # a value from outside is masked
    assert parts.lines[-1] == f"proj/ok {only.build_id}: success after 42s — {only.url}"
    assert f"warning: annotation 'cfstep_out_PATH' of {only.build_id} not returned: reserved" in (
        parts.lines
    )


def test_annotations_that_could_not_be_read_are_one_warning(tmp_path: Path) -> None:
    parts = Parts(tmp_path)
    (only,) = _started(parts, 1, many=False)
    only.outcome = "success"
    parts.report.ended(only, Collected(unreadable="503 from GET /api/annotations"))

    assert parts.lines[0] == (
        "warning: could not read the child's annotations (503 from GET /api/annotations); "
        "no values returned"
    )


@pytest.mark.parametrize(
    ("action", "line"),
    [
        (OnTimeout.LEAVE, "timeout after 6.0s: {id} is still running, left running"),
        (OnTimeout.TERMINATE, "timeout after 6.0s: terminating {id} (ON_TIMEOUT=fail)"),
        (
            OnTimeout.DETACH,
            "warning: {id} still running after 6.0s; leaving it running (ON_TIMEOUT=detach): {url}",
        ),
    ],
)
def test_what_a_timeout_does_is_told(tmp_path: Path, action: OnTimeout, line: str) -> None:
    parts = Parts(tmp_path, TIMEOUT_MINS="0.1")
    timed_out = child(status="running")
    parts.report.timed_out(timed_out, action)

    assert parts.lines == [line.format(id=timed_out.build_id, url=timed_out.url)]


def test_the_summary_of_a_fan_out(tmp_path: Path) -> None:
    parts = Parts(tmp_path, PIPELINES="[a/a, a/b, a/c, a/d]", OUTPUT_JSON=str(tmp_path / "o.json"))
    parts.state.skip(3, "nothing changed")
    first, second = _started(parts, 1, 2)
    first.outcome, second.outcome = "success", "error"
    for c, seconds in ((first, 5.0), (second, 7.0)):
        parts.state.done(c, seconds)
        parts.report.outcome(c, seconds)
    parts.clock.advance(9)
    parts.summary.close(second)

    out = parts.exports
    assert out["BUILD_STATUS"] == "error"
    assert out["BUILD_DURATION_SECONDS"] == "9"
    assert out["BUILD_STATUS_4"] == "skipped"  # never started
    assert "BUILD_STATUS_3" not in out  # the hook's skip is the skipper's to export
    rows = [line.split() for line in parts.lines[-5:]]
    assert rows[0] == ["#", "pipeline", "build", "status", "duration", "url"]
    assert rows[3] == ["3", "a/c", "-", "skipped", "-", "-"]
    assert rows[4] == ["4", "a/d", "-", "not", "started", "-", "-"]
    document = json.loads((tmp_path / "o.json").read_text(encoding="utf-8"))
    assert document["outputs"] == out
    assert [c["status"] for c in document["children"]] == ["success", "error", "skipped", "skipped"]
    assert document["children"][2]["reason"] == "nothing changed"
    assert "reason" not in document["children"][3]


@pytest.mark.parametrize(
    ("code", "outcome", "error", "says"),
    [
        (ExitCode.CHILD_FAILED, "error", ChildFailed, "ended in error — see its log above or at"),
        (ExitCode.CHILD_TERMINATED, "terminated", ChildTerminated, "— see who stopped it at"),
        (
            ExitCode.CHILD_TERMINATED,
            "pending-approval",
            ChildTerminated,
            "ended pending-approval (ON_APPROVAL=fail) — approve or reject it at",
        ),
        (ExitCode.TIMED_OUT, "timeout", WaitTimedOut, "did not end within TIMEOUT_MINS"),
    ],
)
def test_the_closing_line_of_a_failing_child(
    tmp_path: Path, code: ExitCode, outcome: str, error: type, says: str
) -> None:
    parts = Parts(tmp_path)
    failed = child(status="running", outcome=outcome)
    found = parts.summary.failure(code, failed)

    assert isinstance(found, error)
    assert found.exit_code == code
    assert says in found.message
    assert failed.url in found.message
    assert "\n" not in found.message
