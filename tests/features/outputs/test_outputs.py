"""Outputs (README "Outputs"): the export file, written as each value is known; --output-json."""

from __future__ import annotations

from pathlib import Path

from cfstep.console import MASK
from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import SECRET, base_env, run_step


def test_id_and_url_are_exported_before_the_wait_starts(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    export = tmp_path / "env_vars_to_export"
    at_first_sleep: list[str] = []

    def first_wait(n: int) -> None:
        if n == 1:
            at_first_sleep.append(export.read_text(encoding="utf-8"))

    env = base_env(emu, PIPELINE_ID="proj/ok", CF_VOLUME_PATH=str(tmp_path), CF_STEP_NAME="go")
    result = run_step(emu, env, clock=fake_clock, on_sleep=first_wait)

    assert result.code == 0
    (build,) = emu.runs()
    url = f"{emu.url}/build/{build.id}"
    assert at_first_sleep == [f"BUILD_ID={build.id}\nBUILD_URL={url}\ngo_CF_OUTPUT_URL={url}\n"]
    assert result.export_text == (
        f"BUILD_ID={build.id}\nBUILD_URL={url}\ngo_CF_OUTPUT_URL={url}\n"
        "BUILD_STATUS=success\nBUILD_DURATION_SECONDS=3\nVERSION=1.2.3\n"
    )


def test_the_export_file_keeps_what_earlier_steps_wrote(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    export = tmp_path / "env_vars_to_export"
    export.write_text("EARLIER=step\n", encoding="utf-8")
    env = base_env(emu, PIPELINE_ID="proj/ok", DETACH="1", CF_VOLUME_PATH=str(tmp_path))
    result = run_step(emu, env, clock=fake_clock)

    assert result.export_text.startswith("EARLIER=step\n")
    assert result.exports["BUILD_STATUS"] == "detached"


def test_the_step_name_gives_the_ui_link(emu: Emulator, fake_clock: FakeClock) -> None:
    env = base_env(emu, PIPELINE_ID="proj/ok", CF_STEP_NAME="trigger_deploy", DETACH="1")
    result = run_step(emu, env, clock=fake_clock)

    (build,) = emu.runs()
    assert result.exports["trigger_deploy_CF_OUTPUT_URL"] == f"{emu.url}/build/{build.id}"


def test_export_file_flag_wins_over_the_volume(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    volume = tmp_path / "volume"
    volume.mkdir()
    chosen = tmp_path / "chosen.env"
    env = base_env(emu, PIPELINE_ID="proj/ok", CF_VOLUME_PATH=str(volume))
    result = run_step(emu, env, ["--export-file", str(chosen)], clock=fake_clock)

    assert result.code == 0
    assert not (volume / "env_vars_to_export").exists()
    (build,) = emu.runs()
    assert result.exports["BUILD_ID"] == build.id
    assert chosen.read_text(encoding="utf-8") == result.export_text
    assert result.exports["BUILD_STATUS"] == "success"


def test_export_file_from_the_environment(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    chosen = tmp_path / "out.env"
    env = base_env(emu, PIPELINE_ID="proj/ok", EXPORT_FILE=str(chosen), DETACH="1")
    run_step(emu, env, clock=fake_clock)

    assert "BUILD_STATUS=detached\n" in chosen.read_text(encoding="utf-8")


def test_the_typed_step_meta_file_wins_when_it_exists(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    meta = tmp_path / "meta" / "env_vars_to_export"
    meta.parent.mkdir()
    meta.touch()
    volume = tmp_path / "volume"
    volume.mkdir()
    env = base_env(emu, PIPELINE_ID="proj/ok", CF_VOLUME_PATH=str(volume), DETACH="1")
    result = run_step(emu, env, clock=fake_clock, meta_export=meta)

    assert result.code == 0
    assert result.exports["BUILD_STATUS"] == "detached"
    assert "BUILD_ID=" in meta.read_text(encoding="utf-8")
    assert not (volume / "env_vars_to_export").exists()


def test_without_a_volume_nothing_is_written(emu: Emulator, fake_clock: FakeClock) -> None:
    env = base_env(emu, PIPELINE_ID="proj/ok", CF_VOLUME_PATH="", DETACH="1")
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 0
    assert result.export_text == ""
    assert not Path("env_vars_to_export").exists()


def test_output_json_holds_every_output_and_the_child(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    path = tmp_path / "out.json"
    env = base_env(emu, PIPELINE_ID="proj/ok", CF_STEP_NAME="s")
    result = run_step(emu, env, ["--output-json", str(path)], clock=fake_clock)

    assert result.code == 0
    (build,) = emu.runs()
    url = f"{emu.url}/build/{build.id}"
    assert result.output_json == {
        "outputs": {
            "BUILD_ID": build.id,
            "BUILD_URL": url,
            "s_CF_OUTPUT_URL": url,
            "BUILD_STATUS": "success",
            "BUILD_DURATION_SECONDS": "3",
            "VERSION": "1.2.3",
        },
        "children": [
            {
                "index": 1,
                "pipeline": "proj/ok",
                "build_id": build.id,
                "url": url,
                "status": "success",
                "stopped_by_step": False,
                "duration_seconds": 3,
                "returned": {"VERSION": "1.2.3"},
            }
        ],
    }
    assert not list(tmp_path.glob(".out.json.*"))  # no temporary file left behind


def test_output_json_of_a_failed_child(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    path = tmp_path / "out.json"
    env = base_env(emu, PIPELINE_ID="proj/fail", OUTPUT_JSON=str(path), LOG_TAIL="0")
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 1
    assert result.output_json["outputs"]["BUILD_STATUS"] == "error"
    assert result.output_json["children"][0]["status"] == "error"


def test_returned_values_with_a_custom_prefix(emu: Emulator, fake_clock: FakeClock) -> None:
    emu.add_pipeline(
        "proj/returns",
        {
            "timeline": [{"status": "running", "seconds": 1}],
            "annotations": {"ret_A": "1", "ret_MULTI": "line 1\nline 2", "cfstep_out_B": "no"},
        },
    )
    env = base_env(emu, PIPELINE_ID="proj/returns", RETURN_PREFIX="ret_")
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 0
    assert result.exports["A"] == "1"
    assert result.exports["MULTI"] == "line 1 line 2"  # values are single-line
    assert "B" not in result.exports
    assert "returned A from" in result.stderr


def test_a_secret_returned_by_the_child_is_masked_in_the_export_file(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    env = base_env(
        emu,
        PIPELINE_ID="proj/leaky-ok",
        SECRETS=f"TOKEN={SECRET}",
        OUTPUT_JSON=str(tmp_path / "o.json"),
    )
    result = run_step(emu, env, clock=fake_clock)  # run_step asserts the secret is nowhere

    assert result.code == 0
    assert result.exports["TOKEN"] == MASK
    assert result.exports["PLAIN"] == "visible"
    assert result.output_json["outputs"]["TOKEN"] == MASK
    assert result.output_json["children"][0]["returned"] == {"TOKEN": MASK, "PLAIN": "visible"}


def test_unreadable_annotations_are_a_warning_not_a_failure(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    from cfstep.emulator import Fault

    emu.add_fault(Fault("GET", "/api/annotations", "status", status=500, times=-1))
    result = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok"), clock=fake_clock)

    assert result.code == 0
    assert result.exports["BUILD_STATUS"] == "success"
    assert "VERSION" not in result.exports
    assert "could not read the child's annotations" in result.stderr


def test_a_short_secret_does_not_corrupt_the_build_id(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """SECRETS=FLAG=1: every `1` of a log line is masked, but the exported id, URL and
    status are cfstep's own values and stay whole for the later steps."""
    path = tmp_path / "o.json"
    env = base_env(emu, PIPELINE_ID="proj/ok", SECRETS="FLAG=1\nOTHER=e", OUTPUT_JSON=str(path))
    result = run_step(emu, env, clock=fake_clock)

    assert result.code == 0
    (build,) = emu.runs()
    url = f"{emu.url}/build/{build.id}"
    assert result.exports["BUILD_ID"] == build.id
    assert result.exports["BUILD_URL"] == url
    assert result.exports["BUILD_STATUS"] == "success"
    assert result.exports["VERSION"] == f"{MASK}.2.3"  # from the child: masked
    child = result.output_json["children"][0]
    assert (child["build_id"], child["url"], child["status"]) == (build.id, url, "success")
    assert child["returned"] == {"VERSION": f"{MASK}.2.3"}
    assert result.output_json["outputs"]["BUILD_ID"] == build.id


def test_an_export_file_lost_after_the_trigger_warns_and_the_child_decides(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """Writable at the start, gone once the build runs: a warning, not exit 5 after a build
    was started; the child's success decides the exit code."""
    export = tmp_path / "gone" / "env_vars_to_export"
    export.parent.mkdir()

    def lose_the_folder(n: int) -> None:
        if export.exists():
            export.unlink()
            export.parent.rmdir()

    result = run_step(
        emu,
        base_env(emu, PIPELINE_ID="proj/ok", EXPORT_FILE=str(export)),
        clock=fake_clock,
        on_sleep=lose_the_folder,
    )
    assert result.code == 0
    assert len(result.run_requests) == 1
    warnings = [line for line in result.stderr_lines if "cannot write the export file" in line]
    assert len(warnings) == 1


def test_a_step_name_with_a_line_break_writes_no_extra_line(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    env = base_env(emu, PIPELINE_ID="proj/fail", CF_STEP_NAME="go\nBUILD_STATUS=success\nx")
    result = run_step(emu, env, clock=fake_clock)
    assert result.code == 1
    (build,) = emu.runs()
    assert result.exports == {
        "BUILD_ID": build.id,
        "BUILD_URL": f"{emu.url}/build/{build.id}",
        "BUILD_STATUS": "error",
        "BUILD_DURATION_SECONDS": "1",
    }
    assert all("=" in line for line in result.export_text.splitlines())
    warnings = [line for line in result.stderr_lines if "CF_STEP_NAME" in line]
    assert len(warnings) == 1
    assert "not exported" in warnings[0]


def test_a_step_name_with_a_hyphen_keeps_its_link(emu: Emulator, fake_clock: FakeClock) -> None:
    """Codefresh step names are often `trigger-deploy`: `-` cannot break the export file,
    so the step keeps its link in the UI."""
    env = base_env(emu, PIPELINE_ID="proj/ok", CF_STEP_NAME="trigger-deploy.v2")
    result = run_step(emu, env, clock=fake_clock)
    assert result.code == 0
    assert result.exports["trigger-deploy.v2_CF_OUTPUT_URL"] == result.exports["BUILD_URL"]
    assert [line for line in result.stderr_lines if "warning" in line] == []
