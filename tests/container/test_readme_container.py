"""The README's quick start in a container: its podman block, run as a reader pastes it,
against the emulator it starts in the background (tests/test_readme.py holds the Docker
block to this one).

The block builds the image with `scripts/build-image <tag>`, which is how the `image`
fixture builds the suite's image: that line is the fixture's build, not a second one, and
the block's tag stands for the fixture's image in the lines after it.
"""

from __future__ import annotations

import re

import pytest
from containerkit import ROOT, Podman, Say, unavailable

from readmekit import run_block, sh_blocks

pytestmark = pytest.mark.container

CONTAINER = ("Quick start", "2. The same run in a container")


def _as_the_suite_builds(block: str, image: str) -> str:
    """The block with its build line left to the `image` fixture, its tag as that image."""
    build = re.search(r"^scripts/build-image (\S+).*\n", block, re.MULTILINE)
    assert build is not None, "the README builds the image with scripts/build-image <tag>"
    rest = block.replace(build[0], "")
    assert build[1] in rest, "the block runs the image it built"
    return rest.replace(build[1], image)


def test_the_podman_quick_start_runs_the_demo_in_the_image(
    podman: Podman, image: str, say: Say
) -> None:
    podman_block, _docker = sh_blocks(*CONTAINER)
    if not (ROOT / ".venv" / "bin" / "activate").exists():
        unavailable("no .venv to activate: make demo (or make test) makes it")
    script = _as_the_suite_builds(podman_block, image)
    env = {k: v for k, v in podman.env.items() if k not in {"CF_URL", "CF_API_KEY"}}
    ran = run_block(script, cwd=ROOT, env=env, given=set(), timeout=300)
    say(f"README quick start in {image}: exit {ran.code}")
    assert ran.code == 0, ran.stdout + ran.stderr
    log = ran.stderr
    started = re.search(r"^Started build ([0-9a-f]{24}) of demo/deploy: (\S+)$", log, re.M)
    assert started is not None, log
    build_id, url = started.groups()
    assert url.startswith("http://127.0.0.1:")
    assert url.endswith(f"/build/{build_id}")
    assert "--- step: Deploy ---" in log  # the live log reached the container
    assert f"returned IMAGE from {build_id}" in log
    assert log.rstrip().endswith(f"demo/deploy {build_id}: success after 4.5s — {url}")
    # The block started the emulator in the background, and its last line stopped it.
    assert ran.emulator_pid is not None
    assert not ran.emulator_left_running
