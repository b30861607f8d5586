"""What decides whether a real pipeline's first run works, through the real entrypoint and
the emulator: outputs in a typed step, codefresh-run's own arguments, statuses and requests
as Codefresh's SDK sends and reads them, and output files that fail after the trigger.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cfstep.emulator import Emulator, Fault
from fakeclock import FakeClock
from harness import Result, base_env, run_step

NOTICE_UNKNOWN = "is not one cfstep knows"


def warnings(result: Result) -> list[str]:
    return [line for line in result.stderr_lines if "warning" in line.lower()]


# --- outputs in a typed step ----------------------------------------------------------------


def test_an_empty_meta_folder_gets_the_outputs_and_the_volume_none(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """Codefresh makes /meta for a typed step; the file in it may not exist yet."""
    meta = tmp_path / "meta"
    meta.mkdir()
    volume = tmp_path / "volume"
    volume.mkdir()
    env = base_env(emu, PIPELINE_ID="proj/ok", CF_VOLUME_PATH=str(volume))
    result = run_step(emu, env, clock=fake_clock, meta_export=meta / "env_vars_to_export")

    assert result.code == 0
    (build,) = emu.runs()
    written = (meta / "env_vars_to_export").read_text(encoding="utf-8")
    assert f"BUILD_ID={build.id}\n" in written
    assert "BUILD_STATUS=success\n" in written
    assert not (volume / "env_vars_to_export").exists()


def test_without_a_meta_folder_the_outputs_go_to_the_volume(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    volume = tmp_path / "volume"
    volume.mkdir()
    env = base_env(emu, PIPELINE_ID="proj/ok", CF_VOLUME_PATH=str(volume))
    result = run_step(
        emu, env, clock=fake_clock, meta_export=tmp_path / "meta" / "env_vars_to_export"
    )

    assert result.code == 0
    assert "BUILD_STATUS=success\n" in (volume / "env_vars_to_export").read_text(encoding="utf-8")
    assert not (tmp_path / "meta").exists()


def test_the_typed_step_also_links_its_main_step(emu: Emulator, fake_clock: FakeClock) -> None:
    """step.yaml's template sets CFSTEP_TYPED_STEP=main: the link is exported for that key
    too, as codefresh-run exports first_CF_OUTPUT_URL."""
    env = base_env(
        emu, PIPELINE_ID="proj/ok", CF_STEP_NAME="deploy", CFSTEP_TYPED_STEP="main", DETACH="1"
    )
    result = run_step(emu, env, clock=fake_clock)

    (build,) = emu.runs()
    url = f"{emu.url}/build/{build.id}"
    assert result.exports["deploy_CF_OUTPUT_URL"] == url
    assert result.exports["main_CF_OUTPUT_URL"] == url


def test_outside_the_typed_step_there_is_no_main_link(emu: Emulator, fake_clock: FakeClock) -> None:
    env = base_env(emu, PIPELINE_ID="proj/ok", CF_STEP_NAME="deploy", DETACH="1")
    result = run_step(emu, env, clock=fake_clock)

    assert "deploy_CF_OUTPUT_URL" in result.exports
    assert "main_CF_OUTPUT_URL" not in result.exports


# --- codefresh-run's arguments ----------------------------------------------------------------


def test_image_tag_is_accepted_with_one_notice_and_follow_logs_is_taken_as_meant(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    """IMAGE_TAG means nothing here: one notice. FOLLOW_LOGS is cfstep's own live log
    (README, "Live logs of the child"): no notice."""
    env = base_env(emu, PIPELINE_ID="proj/ok", IMAGE_TAG="0.89.1", FOLLOW_LOGS="true")
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 0
    assert len(result.run_requests) == 1
    assert [line for line in result.stderr_lines if "IMAGE_TAG" in line] == [
        "IMAGE_TAG is ignored: it chose codefresh-run's CLI image, and cfstep runs its own"
    ]
    assert [line for line in result.stderr_lines if "FOLLOW_LOGS" in line] == []


def test_without_them_there_is_no_notice(emu: Emulator, fake_clock: FakeClock) -> None:
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok"), clock=fake_clock)

    assert "IMAGE_TAG" not in result.stderr
    assert "FOLLOW_LOGS" not in result.stderr


def test_follow_logs_that_is_no_boolean_is_an_input_error(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    result = run_step(
        emu, base_env(emu, PIPELINE_ID="proj/ok", FOLLOW_LOGS="sure"), clock=fake_clock
    )

    assert result.code == 5
    assert "FOLLOW_LOGS" in result.stderr_lines[-1]
    assert result.requests == []


# --- statuses and requests as the SDK sends and reads them -----------------------------------


def test_an_unknown_status_without_finished_keeps_waiting_for_a_final_one(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    """Codefresh may add running states: a status cfstep does not know, on a build with no
    `finished` time, is said once and waited out."""
    emu.add_pipeline(
        "proj/new-state",
        {
            "timeline": [
                {"status": "running", "seconds": 1},
                {"status": "warming-up", "seconds": 20},
            ],
            "final": "success",
        },
    )
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/new-state"), clock=fake_clock)

    assert result.code == 0
    assert result.exports["BUILD_STATUS"] == "success"
    assert len([line for line in result.stderr_lines if NOTICE_UNKNOWN in line]) == 1
    assert "'warming-up'" in result.stderr
    assert "warming-up → success" in result.stderr
    assert len(result.sent("GET", "/api/builds/")) >= 4  # it was seen several times


def test_an_unknown_status_without_finished_still_times_out(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    emu.add_pipeline("proj/new-forever", {"timeline": [{"status": "warming-up"}]})
    env = base_env(emu, PIPELINE_ID="proj/new-forever", TIMEOUT_MINS="0.5")
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 3
    assert result.exports["BUILD_STATUS"] == "timeout"
    assert len([line for line in result.stderr_lines if NOTICE_UNKNOWN in line]) == 1


def test_an_unknown_status_with_finished_is_exit_1_exported_raw(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/unknown"), clock=fake_clock)

    (build,) = emu.runs()
    assert emu.builds[build.id].finished is not None  # the answer carries `finished`
    assert result.code == 1
    assert result.exports["BUILD_STATUS"] == "weird-status"
    assert NOTICE_UNKNOWN not in result.stderr


def test_every_status_request_carries_no_account_false(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    """Following, and reading the progress id to terminate at the timeout."""
    first = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok"), clock=fake_clock)
    env = base_env(emu, PIPELINE_ID="proj/slow", TIMEOUT_MINS="0.2", ON_TIMEOUT="terminate")
    second = run_step(emu, env, clock=fake_clock)

    assert (first.code, second.code) == (0, 3)
    status_requests = [
        r for r in emu.requests if r.method == "GET" and r.path.startswith("/api/builds/")
    ]
    assert len(status_requests) >= 4
    assert [r.query.get("noAccount") for r in status_requests] == [["false"]] * len(status_requests)


def test_annotations_404_means_no_annotations_and_no_warning(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    emu.add_fault(Fault("GET", "/api/annotations", "status", status=404, times=-1))
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok"), clock=fake_clock)

    assert result.code == 0
    assert len(result.sent("GET", "/api/annotations")) == 1  # read once, not retried
    assert "VERSION" not in result.exports
    assert warnings(result) == []
    assert "annotations" not in result.stderr


# --- the output JSON after the trigger --------------------------------------------------------


@pytest.fixture
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_the_output_json_is_readable_by_other_users(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path, usual_umask: None
) -> None:
    path = tmp_path / "out.json"
    result = run_step(
        emu, base_env(emu, PIPELINE_ID="proj/ok", OUTPUT_JSON=str(path)), clock=fake_clock
    )

    assert result.code == 0
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_an_unwritable_output_json_after_a_successful_child_warns_and_exits_0(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """Writable when checked at the start, its folder gone once the child runs."""
    folder = tmp_path / "gone"
    folder.mkdir()
    path = folder / "out.json"

    def lose_the_folder(_wait: int) -> None:
        if folder.exists():
            folder.rmdir()

    result = run_step(
        emu,
        base_env(emu, PIPELINE_ID="proj/ok", OUTPUT_JSON=str(path)),
        clock=fake_clock,
        on_sleep=lose_the_folder,
    )
    assert result.code == 0
    assert result.exports["BUILD_STATUS"] == "success"
    assert len(warnings(result)) == 1
    assert "cannot write the output JSON" in warnings(result)[0]
    assert str(path) in warnings(result)[0]


def test_a_failed_replace_leaves_no_temporary_file_and_the_child_decides(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """The JSON's path becomes a folder with a file in it while the child runs: the new
    file cannot replace it. The warning says so; the failed child's exit 1 stands."""
    path = tmp_path / "out.json"

    def block_the_path(_wait: int) -> None:
        if not path.exists():
            path.mkdir()
            (path / "keep").write_text("x", encoding="utf-8")

    env = base_env(emu, PIPELINE_ID="proj/fail", OUTPUT_JSON=str(path), LOG_TAIL="0")
    result = run_step(emu, env, clock=fake_clock, on_sleep=block_the_path)

    assert result.code == 1
    assert result.exports["BUILD_STATUS"] == "error"
    assert len(warnings(result)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]
