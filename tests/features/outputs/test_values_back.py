"""Values back from the child (docs/fanout.md): annotations `<RETURN_PREFIX><NAME>` on the child
build become outputs `<NAME>` (`<NAME>_<n>` in a fan-out), and --output-json holds them all."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable

from cfstep.emulator import Emulator, Fault
from harness import Result

DIGEST = "sha256:0123abcd"
URL = "https://app.example.com/r/42?a=1&b=2"


def annotation_reads(emu: Emulator) -> list[str]:
    """The build ids whose annotations the step read."""
    return [
        r.query["entityId"][0]
        for r in emu.requests
        if r.method == "GET" and r.path == "/api/annotations"
    ]


def test_single_child_exports_digest_and_url_from_its_annotations(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    result = run(PIPELINE_ID="fan/digest")
    assert result.code == 0
    (build,) = emu.runs()
    assert result.exports["DIGEST"] == DIGEST
    assert result.exports["URL"] == URL  # ? & = kept as they are
    for absent in ("unrelated", "release_VERSION", "VERSION", "cfstep_out_DIGEST"):
        assert absent not in result.exports
    assert f"returned DIGEST from {build.id}" in result.stderr
    assert f"returned URL from {build.id}" in result.stderr
    assert annotation_reads(emu) == [build.id]  # read once, when the child ended
    read = next(r for r in emu.requests if r.path == "/api/annotations")
    assert read.query["entityType"] == ["workflow"]


def test_fan_out_exports_each_childs_values_with_its_number(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    result = run(PIPELINES="[fan/digest, fan/b, fan/digest, fan/a]")
    assert result.code == 0
    out = result.exports
    assert (out["DIGEST_1"], out["URL_1"]) == (DIGEST, URL)
    assert (out["DIGEST_3"], out["URL_3"]) == (DIGEST, URL)
    assert out["DIGEST_4"] == "sha256:aaa"
    assert "URL_4" not in out
    assert "DIGEST_2" not in out
    assert "DIGEST" not in out  # in a fan-out only the numbered names
    assert "URL" not in out
    assert sorted(annotation_reads(emu)) == sorted(b.id for b in emu.runs())


def test_return_prefix_chooses_which_annotations_come_back(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    result = run("--return-prefix", "release_", PIPELINE_ID="fan/digest")
    assert result.code == 0
    assert result.exports["VERSION"] == "7.1.0"
    assert "DIGEST" not in result.exports
    assert "URL" not in result.exports


def test_return_prefix_from_the_environment_in_a_fan_out(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    result = run(PIPELINES="[fan/b, fan/digest]", RETURN_PREFIX="release_")
    assert result.code == 0
    assert result.exports["VERSION_2"] == "7.1.0"
    assert not any(key.startswith(("DIGEST", "URL")) for key in result.exports)


def test_a_value_the_child_posts_while_running_comes_back(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    """What `codefresh create annotation workflow ${{CF_BUILD_ID}} cfstep_out_IMAGE=...` does
    in the child: POST /api/annotations on its own build, while it runs."""

    def child_step_annotates(wait: int) -> None:
        if wait != 1:
            return
        build = emu.runs()[0]
        body = {
            "entityType": "workflow",
            "entityId": build.id,
            "key": "cfstep_out_IMAGE",
            "value": "registry.example.com/app:1.4.2",
        }
        conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
        try:
            conn.request(
                "POST",
                "/api/annotations",
                body=json.dumps(body),
                headers={"Authorization": emu.api_key, "Content-Type": "application/json"},
            )
            assert conn.getresponse().status == 200
        finally:
            conn.close()

    result = run(PIPELINE_ID="fan/b", on_sleep=child_step_annotates)
    assert result.code == 0
    assert result.exports["IMAGE"] == "registry.example.com/app:1.4.2"


def test_a_failed_childs_values_still_come_back(emu: Emulator, run: Callable[..., Result]) -> None:
    emu.add_pipeline(
        "fan/fail-with-report",
        {
            "timeline": [{"status": "running", "seconds": 1}],
            "final": "error",
            "annotations": {"cfstep_out_REPORT": "https://reports.example.com/7"},
        },
    )
    result = run(PIPELINE_ID="fan/fail-with-report")
    assert result.code == 1
    assert result.exports["REPORT"] == "https://reports.example.com/7"


def test_annotations_that_would_break_or_overwrite_outputs_are_not_returned(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    emu.add_pipeline(
        "fan/naughty",
        {
            "timeline": [{"status": "running", "seconds": 1}],
            "final": "success",
            "annotations": {
                "cfstep_out_BUILD_STATUS": "error",
                "cfstep_out_BUILD_ID": "someone-else",
                "cfstep_out_my-key": "x",
                "cfstep_out_A=B": "y",
                "cfstep_out_": "no name",
                "cfstep_out_GOOD_1": "kept",
            },
        },
    )
    result = run(PIPELINE_ID="fan/naughty")
    assert result.code == 0
    (build,) = emu.runs()
    assert result.exports["BUILD_STATUS"] == "success"
    assert result.exports["BUILD_ID"] == build.id
    assert result.exports["GOOD_1"] == "kept"
    assert not any(line.startswith(("my-key", "A=B", "=")) for line in result.export_lines)
    assert sum("not returned" in line for line in result.stderr_lines) == 4


def test_unreadable_annotations_warn_and_do_not_fail_the_step(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    emu.add_fault(Fault("GET", "/api/annotations", "status", times=-1, status=500))
    result = run(PIPELINES="[fan/digest, fan/b]")
    assert result.code == 0
    assert "DIGEST_1" not in result.exports
    assert result.exports["BUILD_STATUS"] == "success"
    warnings = [
        line for line in result.stderr_lines if "could not read the child's annotations" in line
    ]
    assert len(warnings) == 2


def test_output_json_holds_the_full_list_of_children(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    # At 2 s child 1 succeeds, child 3 starts in its place, child 2 fails: FAIL_FAST stops 3.
    result = run(PIPELINES="[fan/digest, fan/fail, fan/slow, fan/b]", MAX_PARALLEL="2")
    assert result.code == 1
    document = result.output_json
    builds = emu.runs()
    assert [c["index"] for c in document["children"]] == [1, 2, 3, 4]
    first, failed, stopped, never = document["children"]
    assert first == {
        "index": 1,
        "pipeline": "fan/digest",
        "build_id": builds[0].id,
        "url": f"{emu.url}/build/{builds[0].id}",
        "status": "success",
        "stopped_by_step": False,
        "duration_seconds": 2,
        "returned": {"DIGEST": DIGEST, "URL": URL},
    }
    assert (failed["status"], failed["build_id"], failed["returned"]) == (
        "error",
        builds[1].id,
        {},
    )
    assert (stopped["status"], stopped["stopped_by_step"]) == ("terminated", True)
    assert never == {
        "index": 4,
        "pipeline": "fan/b",
        "build_id": None,
        "url": None,
        "status": "skipped",
        "stopped_by_step": False,
        "duration_seconds": None,
        "returned": {},
    }
    assert document["outputs"] == result.exports  # every output, as the export file has it


HOSTILE_RETURNS = {
    "cfstep_out_PATH": "/tmp/evil:/usr/bin",
    "cfstep_out_LD_PRELOAD": "/tmp/evil.so",
    "cfstep_out_HOME": "/tmp/evil",
    "cfstep_out_CF_API_KEY": "stolen",
    "cfstep_out_CF_BRANCH": "main",
    "cfstep_out_PYTHONPATH": "/tmp/evil",
    "cfstep_out_BUILD_STATUS": "success",
    "cfstep_out_go_CF_OUTPUT_URL": "https://evil.example.com",
    "cfstep_out_https_proxy": "http://evil.example.com:3128",
    "cfstep_out_HUGE": "x" * 300_000,
    "cfstep_out_NUL": "a\x00b",
    "cfstep_out_ESC": "\x1b[31mred",
    "cfstep_out_VERSION": "1.2.3",
    "cfstep_out_NOTES": "line one\nline two",
}


def test_returned_values_are_filtered_by_the_documented_rule(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    emu.add_pipeline(
        "proj/hostile-returns",
        {
            "timeline": [{"status": "running", "seconds": 1}],
            "final": "success",
            "annotations": HOSTILE_RETURNS,
        },
    )
    result = run(PIPELINE_ID="proj/hostile-returns", CF_STEP_NAME="go")
    assert result.code == 0, result.stderr
    (build,) = emu.runs()
    assert result.exports == {
        "BUILD_ID": build.id,
        "BUILD_URL": f"{emu.url}/build/{build.id}",
        "go_CF_OUTPUT_URL": f"{emu.url}/build/{build.id}",
        "BUILD_STATUS": "success",
        "BUILD_DURATION_SECONDS": "1",
        "VERSION": "1.2.3",
        "NOTES": "line one line two",
    }
    refusals = [line for line in result.stderr_lines if "not returned" in line]
    assert len(refusals) == len(HOSTILE_RETURNS) - 2  # one line each
    assert all(len(line) < 400 for line in refusals)  # the 300 KB value is not shown
    assert "\x00" not in result.stderr
    assert "\x1b" not in result.stderr
    assert "\x00" not in result.export_text
    assert "\x1b" not in result.export_text
