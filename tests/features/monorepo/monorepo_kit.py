"""What the monorepo tests share (docs/monorepos.md): the three services' pipelines, their
PIPELINES input with one glob each, and running the step on a clone."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from gitrepos import Repo
from harness import Result, base_env, run_step

API_ID, WEB_ID, WORKER_ID = ("d0000000000000000000000" + c for c in "123")
IDS = {"shop/api": API_ID, "shop/web": WEB_ID, "shop/worker": WORKER_ID}

# Each service's own folder; the api also builds on the shared library; docs never count.
SERVICES = """\
- pipeline: shop/api
  modified_files_glob: ["services/api/**", "libs/**", "!**/*.md"]
- pipeline: shop/web
  modified_files_glob: "services/web/**"
- pipeline: shop/worker
  modified_files_glob: "services/worker/**"
"""


def shop_scenario(**extra: dict[str, Any]) -> dict[str, Any]:
    """The three services, each a 2 s success; `extra` adds keys per service (its
    triggers, its builds of the past), by the service's short name."""
    return {
        "pipelines": {
            name: {
                "id": pipeline_id,
                "timeline": [{"status": "running", "seconds": 2}],
                "final": "success",
                **extra.get(name.partition("/")[2], {}),
            }
            for name, pipeline_id in IDS.items()
        }
    }


def run_on(
    emu: Emulator | None,
    clock: FakeClock,
    repo_dir: Path | str,
    argv: tuple[str, ...] = (),
    **env: str,
) -> Result:
    """The step in a build of the repository cloned at `repo_dir` (REPO_DIR)."""
    return run_step(emu, {**base_env(emu), "REPO_DIR": str(repo_dir), **env}, argv, clock)


def feature_clone(origin: Repo, tmp_path: Path, *changes: Mapping[str, str | None]) -> Repo:
    """A branch `feature` off main with `changes` (one commit each), cloned on it: a pull
    request's build."""
    origin.git("checkout", "--quiet", "-b", "feature")
    for n, files in enumerate(changes):
        origin.commit(files, f"change {n}")
    return origin.clone(tmp_path / "clone", branch="feature")


def triggered(result: Result) -> list[str]:
    """The pipelines the run requests started, in order."""
    prefix = "/api/pipelines/run/"
    return [r.path[len(prefix) :].replace("%2F", "/") for r in result.run_requests]


def reads(result: Result) -> list[tuple[str, Mapping[str, list[str]]]]:
    """The requests sent to decide (pipelines and builds lists), in order."""
    return [
        (r.path, r.query)
        for r in result.requests
        if r.method == "GET" and r.path.startswith(("/api/pipelines/", "/api/workflow"))
    ]


def lines_with(result: Result, text: str) -> list[str]:
    """The lines of stderr that start with `text`, or hold it when it starts with `:`."""
    return [
        line
        for line in result.stderr_lines
        if line.startswith(text) or (text.startswith(":") and text in line)
    ]
