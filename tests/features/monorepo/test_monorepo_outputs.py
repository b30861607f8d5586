"""What a run with MODIFIED_FILES_GLOB tells: DRY_RUN shows the decision per child and the
requests of those that would run; a child without a glob always runs, unmentioned; the
subprocess entrypoint behaves as the in-process one (docs/monorepos.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from monorepo_kit import SERVICES, feature_clone, lines_with, run_on, shop_scenario, triggered

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from gitrepos import Repo
from harness import API_KEY, base_env, run_cli

Shop = Callable[..., Emulator]


def test_a_dry_run_shows_each_decision_and_sends_nothing(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    clone = feature_clone(origin, tmp_path, {"services/web/index.js": "2"})
    result = run_on(
        shop(),
        fake_clock,
        clone.path,
        PIPELINES=SERVICES,
        CF_PULL_REQUEST_TARGET="main",
        DRY_RUN="true",
    )
    assert result.code == 0, result.stderr
    assert result.requests == []
    assert [line.split(" — ")[0] for line in lines_with(result, "#")] == [
        "#1 shop/api: skipped",
        "#2 shop/web: runs",
        "#3 shop/worker: skipped",
    ]
    documents = json.loads("[" + result.stdout.replace("}\n{", "},\n{") + "]")
    assert [d["url"].split("/run/")[1].split("?")[0] for d in documents] == ["shop%2Fweb"]
    assert result.stderr_lines[-1] == "dry run: nothing was sent"


def test_a_child_without_a_glob_always_runs(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """A PIPELINES item's own `modified_files_glob: []` turns the step's filter off for it."""
    clone = feature_clone(origin, tmp_path, {"README.md": "2"})
    children = "[{pipeline: shop/api, modified_files_glob: []}, shop/web]"
    result = run_on(
        shop(),
        fake_clock,
        clone.path,
        PIPELINES=children,
        MODIFIED_FILES_GLOB="services/**",
        CF_PULL_REQUEST_TARGET="main",
    )
    assert result.code == 0, result.stderr
    assert triggered(result) == ["shop/api"]
    assert lines_with(result, "#1 shop/api:") == []  # no filter, nothing to say
    assert "CHANGED_FILES_COUNT_1" not in result.exports
    assert result.exports["CHANGED_FILES_COUNT_2"] == "1"
    assert result.exports["BUILD_STATUS_2"] == "skipped"


def test_a_file_name_with_a_line_break_stays_in_one_line(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """git allows any byte but NUL and `/` in a name; a line of the log holds it escaped."""
    clone = feature_clone(origin, tmp_path, {"services/web/a\nb\x1b[2J.js": "x"})
    result = run_on(
        shop(),
        fake_clock,
        clone.path,
        PIPELINE_ID="shop/web",
        MODIFIED_FILES_GLOB="services/web/**",
        CF_PULL_REQUEST_TARGET="main",
        DEBUG="true",
    )
    assert result.code == 0, result.stderr
    (line,) = lines_with(result, "shop/web:")
    assert line.endswith("(first: services/web/a\\nb\\x1b[2J.js)")
    assert "debug:   services/web/a\\nb\\x1b[2J.js" in result.stderr_lines
    assert "\x1b" not in result.stderr


def test_without_a_glob_nothing_changes(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """CHANGED_SINCE and REPO_DIR alone decide nothing: no line, no count, git not asked."""
    result = run_on(
        shop(), fake_clock, tmp_path / "nowhere", PIPELINE_ID="shop/api", CHANGED_SINCE="HEAD~1"
    )
    assert result.code == 0, result.stderr
    assert triggered(result) == ["shop/api"]
    assert "CHANGED_FILES_COUNT" not in result.exports
    assert not any("changed" in line for line in result.stderr_lines)


def test_the_step_in_a_subprocess(
    origin: Repo, tmp_path: Path, emulator: Callable[..., Emulator]
) -> None:
    """`python -m cfstep` as a pipeline runs it: real time, real environment, exports."""
    clone = feature_clone(origin, tmp_path, {"services/worker/job.py": None})
    emu = emulator(shop_scenario(), api_key=API_KEY)  # real time: the child takes 2 s
    env = base_env(emu, PIPELINES=SERVICES, CF_PULL_REQUEST_TARGET="main", REPO_DIR=str(clone.path))
    volume = tmp_path / "volume"
    volume.mkdir()
    result = run_cli(emu, env, volume=volume, timeout=60)
    assert result.code == 0, result.stderr
    assert triggered(result) == ["shop/worker"]
    assert [result.exports[f"BUILD_STATUS_{n}"] for n in (1, 2, 3)] == [
        "skipped",
        "skipped",
        "success",
    ]
    assert result.exports["CHANGED_FILES_COUNT"] == "1"
