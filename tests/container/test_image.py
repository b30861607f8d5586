"""The real image, built with podman and run against the emulator on 127.0.0.1.

Each run is `podman run --rm --network host` with the inputs as environment variables and a
host directory mounted as Codefresh's shared volume (or as a typed step's /meta), owned by
root as on Codefresh, while the image runs as its non-root user.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from containerkit import Podman, Say

from cfstep.emulator import Emulator
from harness import API_KEY, Result, assert_no_leak, base_env

pytestmark = pytest.mark.container

SCENARIO = {
    "pipelines": {
        "proj/ok": {"timeline": [{"status": "running", "seconds": 1}], "final": "success"},
        "proj/fail": {
            "timeline": [{"status": "running", "seconds": 1}],
            "final": "error",
            "logs": ["boom"],
        },
    }
}
VOLUME = "/codefresh/volume"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    emu = Emulator(SCENARIO, api_key=API_KEY).start()
    yield emu
    emu.stop()


def root_owned_volume(tmp_path: Path, *, dir_mode: int, file_mode: int | None) -> Path:
    """A directory as Codefresh leaves its volume: root's, writable by others per the modes."""
    volume = tmp_path / "volume"
    volume.mkdir()
    if file_mode is not None:
        export = volume / "env_vars_to_export"
        export.write_text("EARLIER_STEP=kept\n")
        export.chmod(file_mode)
    volume.chmod(dir_mode)
    return volume


Mount = tuple[Path, str] | None


class StepRunner:
    """`podman run --rm --network host` of the image against the emulator."""

    def __init__(self, podman: Podman, image: str, emulator: Emulator, say: Say) -> None:
        self.podman, self.image, self.emulator, self.say = podman, image, emulator, say

    def __call__(
        self, name: str, env: dict[str, str], *, mount: tuple[Path, str], also: Mount = None
    ) -> Result:
        """The run's outputs (read from `mount`'s folder; `also` mounts a second one),
        checked for leaks as every run of the suite is."""
        host_dir, target = mount
        args = ["run", "--rm", "--network", "host", "-v", f"{host_dir}:{target}"]
        if also is not None:
            args += ["-v", f"{also[0]}:{also[1]}"]
        for key, value in base_env(self.emulator, CF_STEP_NAME="chain", **env).items():
            args += ["-e", f"{key}={value}"]
        done = self.podman.run(*args, self.image, timeout=180)
        self.say(f"run {name}: exit {done.returncode}")
        export = host_dir / "env_vars_to_export"
        result = Result(
            code=done.returncode,
            stdout=done.stdout,
            stderr=done.stderr,
            export_text=export.read_text(encoding="utf-8") if export.exists() else "",
        )
        assert_no_leak(result)
        return result


@pytest.fixture
def run_step(podman: Podman, image: str, emulator: Emulator, say: Say) -> StepRunner:
    return StepRunner(podman, image, emulator, say)


def test_image_runs_as_non_root_with_exec_entrypoint(podman: Podman, image: str) -> None:
    done = podman.run(
        "image", "inspect", "--format", "{{.Config.User}} {{json .Config.Entrypoint}}", image
    )
    user, _, entrypoint = done.stdout.strip().partition(" ")
    assert user.split(":")[0] not in ("", "0", "root")
    assert entrypoint == '["cfstep"]'


def test_successful_child_exits_0_and_exports(
    run_step: StepRunner, emulator: Emulator, tmp_path: Path
) -> None:
    """Volume root-owned and world-writable, no export file yet: the step creates it."""
    volume = root_owned_volume(tmp_path, dir_mode=0o777, file_mode=None)
    run = run_step(
        "successful child (proj/ok)",
        {"PIPELINE_ID": "proj/ok", "CF_VOLUME_PATH": VOLUME},
        mount=(volume, VOLUME),
    )
    assert run.code == 0, run.stderr
    build_id = run.exports.get("BUILD_ID", "")
    assert build_id in emulator.builds, run.exports
    assert run.exports["BUILD_URL"] == f"{emulator.url}/build/{build_id}"
    assert run.exports["BUILD_STATUS"] == "success"
    assert run.exports["chain_CF_OUTPUT_URL"] == run.exports["BUILD_URL"]
    assert "main_CF_OUTPUT_URL" not in run.exports  # not the typed step


def test_failed_child_exits_1(run_step: StepRunner, emulator: Emulator, tmp_path: Path) -> None:
    """Volume root-owned 0755 with a world-writable export file, as earlier steps leave it."""
    volume = root_owned_volume(tmp_path, dir_mode=0o755, file_mode=0o666)
    run = run_step(
        "failed child (proj/fail)",
        {"PIPELINE_ID": "proj/fail", "CF_VOLUME_PATH": VOLUME},
        mount=(volume, VOLUME),
    )
    assert run.code == 1, run.stderr
    assert run.exports["BUILD_STATUS"] == "error"
    assert run.exports["EARLIER_STEP"] == "kept"
    assert "boom" in run.stderr


def test_skipped_condition_exits_0_and_triggers_nothing(
    run_step: StepRunner, emulator: Emulator, tmp_path: Path
) -> None:
    volume = root_owned_volume(tmp_path, dir_mode=0o777, file_mode=None)
    before = len(emulator.requests)
    run = run_step(
        "skipped condition",
        {"PIPELINE_ID": "proj/ok", "CONDITION_ALL": '"a" == "b"', "CF_VOLUME_PATH": VOLUME},
        mount=(volume, VOLUME),
    )
    assert run.code == 0, run.stderr
    assert run.exports["BUILD_STATUS"] == "skipped"
    sent = emulator.requests[before:]
    assert not [r for r in sent if r.path.startswith("/api/pipelines/run/")], sent


def test_bad_input_exits_5_and_sends_nothing(
    run_step: StepRunner, emulator: Emulator, tmp_path: Path
) -> None:
    volume = root_owned_volume(tmp_path, dir_mode=0o777, file_mode=None)
    requests_before = len(emulator.requests)
    run = run_step(
        "bad input (TIMEOUT_MINS=abc)",
        {"PIPELINE_ID": "proj/ok", "TIMEOUT_MINS": "abc", "CF_VOLUME_PATH": VOLUME},
        mount=(volume, VOLUME),
    )
    assert run.code == 5, run.stderr
    assert "TIMEOUT_MINS" in run.stderr
    assert len(emulator.requests) == requests_before


def test_typed_step_writes_meta_export_file(
    run_step: StepRunner, emulator: Emulator, tmp_path: Path
) -> None:
    """Inside a typed step the file is /meta/env_vars_to_export (root's, world-writable)."""
    meta = root_owned_volume(tmp_path, dir_mode=0o755, file_mode=0o666)
    run = run_step(
        "typed step (/meta/env_vars_to_export)",
        {"PIPELINE_ID": "proj/ok"},
        mount=(meta, "/meta"),
    )
    assert run.code == 0, run.stderr
    assert run.exports["BUILD_STATUS"] == "success"
    assert run.exports["EARLIER_STEP"] == "kept"
    assert os.stat(meta / "env_vars_to_export").st_uid == 0


def test_unwritable_volume_is_an_input_error_before_any_request(
    run_step: StepRunner, emulator: Emulator, tmp_path: Path
) -> None:
    """Root's 0755 volume without the file: cfstep cannot create it, says so, starts nothing."""
    volume = root_owned_volume(tmp_path, dir_mode=0o755, file_mode=None)
    before = len(emulator.requests)
    run = run_step(
        "unwritable volume (root 0755, no file)",
        {"PIPELINE_ID": "proj/ok", "CF_VOLUME_PATH": VOLUME},
        mount=(volume, VOLUME),
    )
    assert run.code == 5, run.stderr
    assert "env_vars_to_export" in run.stderr
    assert "ermission denied" in run.stderr
    assert len(emulator.requests) == before


def test_typed_step_with_an_empty_meta_folder_writes_its_outputs_there(
    run_step: StepRunner, emulator: Emulator, tmp_path: Path
) -> None:
    """A typed step's /meta before anything was exported: an empty folder (root's and
    writable by others). The outputs go there, created by cfstep, and not to the volume,
    which is mounted too; step.yaml's marker adds main_CF_OUTPUT_URL."""
    meta = tmp_path / "meta"
    meta.mkdir()
    meta.chmod(0o777)
    volume = root_owned_volume(tmp_path, dir_mode=0o777, file_mode=None)
    run = run_step(
        "typed step (empty /meta)",
        {"PIPELINE_ID": "proj/ok", "CF_VOLUME_PATH": VOLUME, "CFSTEP_TYPED_STEP": "main"},
        mount=(meta, "/meta"),
        also=(volume, VOLUME),
    )
    assert run.code == 0, run.stderr
    assert run.exports["BUILD_STATUS"] == "success"
    assert run.exports["BUILD_ID"] in emulator.builds
    assert run.exports["main_CF_OUTPUT_URL"] == run.exports["BUILD_URL"]
    assert run.exports["chain_CF_OUTPUT_URL"] == run.exports["BUILD_URL"]
    assert not (volume / "env_vars_to_export").exists()
