"""The image decides what changed with its own git (Debian's package) as the typed step, on a
repository that Codefresh's git-clone left on the shared volume, owned by root, while the
step runs as uid 10001 (docs/monorepos.md, "How git is run")."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from containerkit import Podman, Say

from cfstep.emulator import Emulator
from harness import API_KEY, Result, assert_no_leak, base_env

pytestmark = pytest.mark.container

SERVICES = ("api", "web", "worker")
SCENARIO = {
    "pipelines": {
        f"shop/{name}": {"timeline": [{"status": "running", "seconds": 1}], "final": "success"}
        for name in SERVICES
    }
}
# PIPELINES as step.yaml's stepsTemplate hands a list over: one line of JSON.
PIPELINES = json.dumps(
    [
        {"pipeline": f"shop/{name}", "modified_files_glob": [f"services/{name}/**"]}
        for name in SERVICES
    ]
)
VOLUME = "/codefresh/volume"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "PATH": os.environ["PATH"],
}


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    emu = Emulator(SCENARIO, api_key=API_KEY).start()
    yield emu
    emu.stop()


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=GIT_ENV, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _cloned_volume(tmp_path: Path, *, depth: int | None = None) -> Path:
    """The shared volume as git-clone leaves it: `<volume>/monorepo`, a clone of a pull
    request's branch, everything root's and 0755 (the step cannot write a byte of it)."""
    origin = tmp_path / "origin"
    origin.mkdir()
    _git(origin, "init", "--quiet", "--initial-branch=main")
    for name in SERVICES:
        (origin / "services" / name).mkdir(parents=True)
        (origin / "services" / name / "main.py").write_text(f"print('{name}')\n")
    _git(origin, "add", "--all")
    _git(origin, "commit", "--quiet", "-m", "layout")
    _git(origin, "checkout", "--quiet", "-b", "feature")
    for n in range(2):
        (origin / "services" / "api" / "main.py").write_text(f"print({n})\n")
        _git(origin, "commit", "--quiet", "--all", "-m", f"api {n}")
    volume = tmp_path / "volume"
    volume.mkdir()
    clone = [
        "clone",
        "--quiet",
        "--branch",
        "feature",
        f"file://{origin}",
        str(volume / "monorepo"),
    ]
    if depth is not None:
        clone[1:1] = ["--depth", str(depth), "--no-single-branch"]
    _git(tmp_path, *clone)
    subprocess.run(["chown", "-R", "0:0", str(volume)], check=True)
    subprocess.run(["chmod", "-R", "go-w", str(volume)], check=True)
    return volume


def _typed_step(
    podman: Podman, image: str, emulator: Emulator, say: Say, tmp_path: Path, volume: Path
) -> Result:
    """`podman run` as Codefresh runs the typed step: /meta for the outputs, the volume."""
    meta = tmp_path / "meta"
    meta.mkdir()
    meta.chmod(0o777)
    env = base_env(
        emulator,
        CF_STEP_NAME="build_services",
        CFSTEP_TYPED_STEP="main",
        CF_VOLUME_PATH=VOLUME,
        CF_REPO_NAME="monorepo",
        CF_BRANCH="feature",
        CF_PULL_REQUEST_TARGET="main",
        PIPELINES=PIPELINES,
    )
    args = ["run", "--rm", "--network", "host", "-v", f"{meta}:/meta"]
    args += ["-v", f"{volume}:{VOLUME}:ro"]
    for key, value in env.items():
        args += ["-e", f"{key}={value}"]
    done = podman.run(*args, image, timeout=180)
    export = meta / "env_vars_to_export"
    result = Result(
        code=done.returncode,
        stdout=done.stdout,
        stderr=done.stderr,
        export_text=export.read_text(encoding="utf-8") if export.exists() else "",
    )
    assert_no_leak(result)
    return result


def test_the_image_ships_git(podman: Podman, image: str, say: Say) -> None:
    done = podman.run("run", "--rm", "--entrypoint", "git", image, "--version")
    assert done.returncode == 0, done.stderr
    say(f"image git: {done.stdout.strip()}")
    assert done.stdout.startswith("git version 2.")


def test_a_pull_request_on_a_root_owned_volume_as_uid_10001(
    podman: Podman, image: str, emulator: Emulator, say: Say, tmp_path: Path
) -> None:
    volume = _cloned_volume(tmp_path)
    base = _git(volume / "monorepo", "merge-base", "HEAD", "origin/main")
    before = len(emulator.runs())
    result = _typed_step(podman, image, emulator, say, tmp_path, volume)
    say(f"run typed step, monorepo pull request (root's volume, uid 10001): exit {result.code}")
    assert result.code == 0, result.stderr
    assert [b.pipeline_name for b in emulator.runs()[before:]] == ["shop/api"]
    assert result.exports["BUILD_STATUS_1"] == "success"
    assert result.exports["BUILD_STATUS_2"] == result.exports["BUILD_STATUS_3"] == "skipped"
    assert result.exports["CHANGED_FILES_COUNT"] == "1"
    assert result.exports["main_CF_OUTPUT_URL"] == result.exports["BUILD_URL_1"]
    assert (
        f"#2 shop/web: skipped — 1 file changed since {base[:8]} (the merge base of HEAD and "
        "origin/main; CHANGED_SINCE=auto, a pull request to main), none matching "
        "services/web/**"
    ) in result.stderr_lines


def test_a_shallow_clone_runs_every_child_and_says_why(
    podman: Podman, image: str, emulator: Emulator, say: Say, tmp_path: Path
) -> None:
    volume = _cloned_volume(tmp_path, depth=1)
    before = len(emulator.runs())
    result = _typed_step(podman, image, emulator, say, tmp_path, volume)
    say(f"run typed step, monorepo shallow clone: exit {result.code}")
    assert result.code == 0, result.stderr
    assert len(emulator.runs()) - before == 3
    assert (
        "#1 shop/api: runs — cannot tell what changed: this is a shallow clone without the "
        "merge base of HEAD and origin/main — clone with more history (git-clone's depth)"
    ) in result.stderr_lines
