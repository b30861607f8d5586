"""MODIFIED_FILES_GLOB=trigger: the glob the child pipeline's owners already wrote on its own
git trigger ("Modified files", `modifiedFilesGlob`), the one TRIGGER_ID names or its only
git trigger (docs/monorepos.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from monorepo_kit import feature_clone, lines_with, reads, run_on, triggered

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from gitrepos import Repo

Shop = Callable[..., Emulator]

TRIGGERS = {
    # one git trigger with a glob
    "web": {"triggers": [{"name": "push-web", "modifiedFilesGlob": "services/web/**"}]},
    # one git trigger without one: the pipeline fires for any change
    "api": {"triggers": ["push-any"]},
    # two git triggers: which one counts must be named
    "worker": {
        "triggers": [
            {"name": "push-worker", "modifiedFilesGlob": "services/worker/**"},
            {"name": "push-docs", "modifiedFilesGlob": "**/*.md"},
        ]
    },
}
NAMES = "[shop/api, shop/web, shop/worker]"


def test_each_child_reads_its_own_trigger(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    base = origin.head()
    clone = feature_clone(origin, tmp_path, {"services/api/main.py": "2"})
    result = run_on(
        shop(**TRIGGERS),
        fake_clock,
        clone.path,
        PIPELINES=NAMES,
        MODIFIED_FILES_GLOB="trigger",
        CF_PULL_REQUEST_TARGET="main",
    )
    assert result.code == 0, result.stderr
    assert triggered(result) == ["shop/api", "shop/worker"]
    assert lines_with(result, "#1 shop/api:") == [
        "#1 shop/api: runs — its trigger push-any has no Modified files glob "
        "(MODIFIED_FILES_GLOB=trigger)"
    ]
    assert lines_with(result, "#2 shop/web:") == [
        f"#2 shop/web: skipped — 1 file changed since {base[:8]} (the merge base of HEAD and "
        "origin/main; CHANGED_SINCE=auto, a pull request to main), none matching "
        "services/web/** (trigger push-web)"
    ]
    assert lines_with(result, "#3 shop/worker:") == [
        "#3 shop/worker: runs — cannot tell what changed: shop/worker has 2 git triggers — "
        "name the one whose Modified files glob counts with TRIGGER_ID (or `trigger` in its "
        "PIPELINES item)"
    ]
    assert [path for path, _ in reads(result)] == [
        "/api/pipelines/shop%2Fapi",
        "/api/pipelines/shop%2Fweb",
        "/api/pipelines/shop%2Fworker",
    ]
    assert result.exports["CHANGED_FILES_COUNT_1"] == ""
    assert result.exports["CHANGED_FILES_COUNT_2"] == "1"


def test_the_trigger_named_is_the_one_read(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """PIPELINES' `trigger` (TRIGGER_ID) names it; it is also the trigger the child runs as."""
    clone = feature_clone(origin, tmp_path, {"services/worker/README.md": "docs"})
    children = (
        "- {pipeline: shop/worker, trigger: push-worker}\n"
        "- {pipeline: shop/worker, trigger: push-docs}\n"
    )
    result = run_on(
        shop(**TRIGGERS),
        fake_clock,
        clone.path,
        PIPELINES=children,
        MODIFIED_FILES_GLOB="trigger",
        CF_PULL_REQUEST_TARGET="main",
    )
    assert result.code == 0, result.stderr
    assert triggered(result) == ["shop/worker", "shop/worker"]  # both globs match the README
    assert [r.json["trigger"] for r in result.run_requests] == ["push-worker", "push-docs"]
    assert len(reads(result)) == 1  # one pipeline, read once


def test_a_trigger_glob_that_does_not_match_skips(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    clone = feature_clone(origin, tmp_path, {"services/api/main.py": "2"})
    result = run_on(
        shop(**TRIGGERS),
        fake_clock,
        clone.path,
        PIPELINE_ID="shop/worker",
        TRIGGER_ID="push-worker",
        MODIFIED_FILES_GLOB="trigger",
        CF_PULL_REQUEST_TARGET="main",
    )
    assert result.code == 0, result.stderr
    assert result.run_requests == []
    assert result.exports["BUILD_STATUS"] == "skipped"


def test_a_trigger_that_does_not_exist(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """The child runs (and its run request is then refused as Codefresh refuses it)."""
    clone = feature_clone(origin, tmp_path, {"services/api/main.py": "2"})
    result = run_on(
        shop(**TRIGGERS),
        fake_clock,
        clone.path,
        PIPELINE_ID="shop/web",
        TRIGGER_ID="nope",
        MODIFIED_FILES_GLOB="trigger",
        CF_PULL_REQUEST_TARGET="main",
    )
    assert lines_with(result, "shop/web:") == [
        "shop/web: runs — cannot tell what changed: shop/web has no trigger nope (TRIGGER_ID)"
    ]
    assert result.code == 4
    assert "Trigger nope not found" in result.stderr_lines[-1]


def test_a_pipeline_from_a_spec_is_read_as_the_spec_made_it(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """PIPELINE_SPEC first makes the pipeline (its trigger's glob with it); the glob read is
    the spec's."""
    clone = feature_clone(origin, tmp_path, {"services/api/main.py": "2"})
    spec = tmp_path / "web.yml"
    spec.write_text(
        "version: '1.0'\nkind: pipeline\nmetadata: {name: shop/web}\nspec:\n  triggers:\n"
        "    - {name: push-web, type: git, modifiedFilesGlob: 'services/api/**'}\n",
        encoding="utf-8",
    )
    result = run_on(
        shop(),
        fake_clock,
        clone.path,
        PIPELINE_SPEC=str(spec),
        MODIFIED_FILES_GLOB="trigger",
        CF_PULL_REQUEST_TARGET="main",
    )
    assert result.code == 0, result.stderr
    assert result.exports["PIPELINE_SPEC_RESULT"] == "updated"
    assert triggered(result) == ["shop/web"]
    (line,) = lines_with(result, "shop/web:")
    assert line.endswith(
        "1 matching services/api/** (trigger push-web) (first: services/api/main.py)"
    )
