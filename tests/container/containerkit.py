"""Fixtures for the container and step-type tests: system tools, podman, the built image.

The tools come from `scripts/install-system-deps` (run by `make test`). When one is
missing the test says so loudly: it fails when `CI=true` (CI must prove the image works)
and skips elsewhere, with the command that installs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
# Several checkouts on one machine build side by side without replacing each other's image.
IMAGE = os.environ.get("CFSTEP_TEST_IMAGE", "cfstep:test")
BASE_IMAGE = "docker.io/library/python:3.12-slim"

Say = Callable[[str], None]


def unavailable(reason: str) -> None:
    """Fail in CI, skip elsewhere; the reason always names the fix."""
    message = f"CONTAINER TESTS CANNOT RUN: {reason} (install: sudo scripts/install-system-deps)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " — CI=true, so this is a failure, not a skip", pytrace=False)
    pytest.skip(message)


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        unavailable(f"`{tool}` is not installed")
    assert path is not None
    return path


@pytest.fixture(scope="session")
def say(request: pytest.FixtureRequest) -> Say:
    """Write a line to the test log even while output is captured (CI shows it)."""
    plugins = request.config.pluginmanager
    reporter = plugins.get_plugin("terminalreporter")
    capture = plugins.get_plugin("capturemanager")

    def write(line: str) -> None:
        if reporter is None or capture is None:  # pragma: no cover - e.g. xdist workers
            print(f"[container] {line}")
            return
        # Output is captured at the file-descriptor level while a test runs: lift that for
        # the one line, so the CI log shows it whether the test passes or fails.
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"[container] {line}")

    return write


@dataclass(frozen=True)
class Podman:
    """podman, configured for this machine by scripts/podman-env."""

    env: dict[str, str]

    def run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["podman", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def script(self, name: str, *args: str, timeout: float = 900) -> float:
        """Run scripts/<name>; its stderr goes to the test log. Returns the seconds taken."""
        started = time.monotonic()
        done = subprocess.run(
            [str(SCRIPTS / name), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=ROOT,
        )
        if done.returncode != 0:
            pytest.fail(
                f"scripts/{name} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}",
                pytrace=False,
            )
        return time.monotonic() - started


@pytest.fixture(scope="session")
def podman() -> Podman:
    require("podman")
    require("runc")
    conf = subprocess.run(
        [str(SCRIPTS / "podman-env")], capture_output=True, text=True, check=True
    ).stdout.strip()
    # `export CONTAINERS_CONF=<path>`, printed with %q quoting (no spaces in our paths).
    _, _, path = conf.partition("=")
    env = {**os.environ, "CONTAINERS_CONF": path}
    engine = Podman(env)
    info = engine.run("info", "--format", "{{.Host.OCIRuntime.Name}}", timeout=120)
    if info.returncode != 0:
        unavailable(f"`podman info` fails: {info.stderr.strip()[-500:]}")
    return engine


@pytest.fixture(scope="session")
def image(podman: Podman, say: Say) -> str:
    """The real Dockerfile built as cfstep:test on a locally made base image."""
    if podman.run("image", "exists", BASE_IMAGE).returncode != 0:
        require("debootstrap")
        if os.geteuid() != 0:
            unavailable(f"{BASE_IMAGE} is missing and making it needs root")
        say(f"making the base image {BASE_IMAGE} (debootstrap + this machine's CPython 3.12)")
        seconds = podman.script("make-base-image")
        say(f"base image made in {seconds:.0f} s, size {image_size(podman, BASE_IMAGE)}")
    else:
        say(
            f"base image {BASE_IMAGE} already present (cached), size "
            f"{image_size(podman, BASE_IMAGE)}"
        )
    say(f"building {IMAGE} from the real Dockerfile (podman build --pull=never --network host)")
    seconds = podman.script("build-image", IMAGE)
    say(f"image {IMAGE} built in {seconds:.0f} s, size {image_size(podman, IMAGE)}")
    return IMAGE


def image_size(podman: Podman, name: str) -> str:
    done = podman.run("image", "inspect", "--format", "{{.Size}}", name)
    assert done.returncode == 0, done.stderr
    size = int(done.stdout.strip())
    return f"{size / 1e6:.1f} MB ({size} bytes)"
