"""A pull request on the monorepo (CHANGED_SINCE=auto → the merge base with the target
branch): exactly the services whose files it changes run; the others are skipped, each
with one line, in the exports, the summary table and the output JSON (docs/monorepos.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from monorepo_kit import SERVICES, feature_clone, lines_with, reads, run_on, triggered

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from gitrepos import Repo

Shop = Callable[..., Emulator]
API_GLOBS = "services/api/**, libs/**, !**/*.md"


def test_a_pull_request_touching_the_api_runs_the_api_alone(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    base = origin.head()
    clone = feature_clone(
        origin,
        tmp_path,
        {"services/api/main.py": "print(2)\n"},
        {"services/api/handlers/users.py": "x\n"},
    )
    out = tmp_path / "out.json"
    result = run_on(
        shop(),
        fake_clock,
        clone.path,
        PIPELINES=SERVICES,
        CF_PULL_REQUEST_TARGET="main",
        CF_BRANCH="feature",
        OUTPUT_JSON=str(out),
    )
    assert result.code == 0, result.stderr
    assert triggered(result) == ["shop/api"]
    assert reads(result) == []  # the merge base is git's alone: Codefresh is not asked
    since = (
        f"2 files changed since {base[:8]} (the merge base of HEAD and origin/main; "
        "CHANGED_SINCE=auto, a pull request to main)"
    )
    assert lines_with(result, "#1 shop/api:") == [
        f"#1 shop/api: runs — {since}, 2 matching {API_GLOBS} "
        "(first: services/api/handlers/users.py)"
    ]
    assert lines_with(result, "#2 shop/web:") == [
        f"#2 shop/web: skipped — {since}, none matching services/web/**"
    ]
    assert lines_with(result, "#3 shop/worker:") == [
        f"#3 shop/worker: skipped — {since}, none matching services/worker/**"
    ]
    exports = result.exports
    build_id = exports["BUILD_ID_1"]
    assert {key: value for key, value in exports.items() if "URL" not in key} == {
        "BUILD_ID": build_id,
        "BUILD_ID_1": build_id,
        "BUILD_STATUS": "success",
        "BUILD_STATUS_1": "success",
        "BUILD_STATUS_2": "skipped",
        "BUILD_STATUS_3": "skipped",
        "BUILD_DURATION_SECONDS": "2",
        "BUILD_DURATION_SECONDS_1": "2",
        "CHANGED_FILES_COUNT": "2",
        "CHANGED_FILES_COUNT_1": "2",
        "CHANGED_FILES_COUNT_2": "2",
        "CHANGED_FILES_COUNT_3": "2",
    }
    assert exports["BUILD_URL"] == exports["BUILD_URL_1"]
    assert "BUILD_URL_2" not in exports
    table = [line.split()[:4] for line in result.stderr_lines[-4:]]
    assert table == [
        ["#", "pipeline", "build", "status"],
        ["1", "shop/api", build_id, "success"],
        ["2", "shop/web", "-", "skipped"],
        ["3", "shop/worker", "-", "skipped"],
    ]
    children = result.output_json["children"]
    assert [(c["pipeline"], c["status"], c["build_id"]) for c in children] == [
        ("shop/api", "success", build_id),
        ("shop/web", "skipped", None),
        ("shop/worker", "skipped", None),
    ]


def test_what_changed_on_the_target_branch_since_the_branch_point_does_not_count(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """The merge base, not the target's tip: web changed on main meanwhile, not in the PR."""
    origin.git("checkout", "--quiet", "-b", "feature")
    origin.commit({"services/worker/job.py": "print(2)\n"}, "worker change")
    origin.git("checkout", "--quiet", "main")
    origin.commit({"services/web/index.js": "changed on main\n"}, "web on main")
    clone = origin.clone(tmp_path / "clone", branch="feature")
    result = run_on(
        shop(), fake_clock, clone.path, PIPELINES=SERVICES, CF_PULL_REQUEST_TARGET="main"
    )
    assert result.code == 0, result.stderr
    assert triggered(result) == ["shop/worker"]
    assert result.exports["CHANGED_FILES_COUNT"] == "1"


def test_a_shared_library_change_runs_the_service_that_watches_it(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    clone = feature_clone(origin, tmp_path, {"libs/shared/util.py": "X = 2\n"})
    result = run_on(
        shop(), fake_clock, clone.path, PIPELINES=SERVICES, CF_PULL_REQUEST_TARGET="main"
    )
    assert triggered(result) == ["shop/api"]


def test_a_pull_request_that_changes_no_service_runs_nothing(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """Every child skipped: BUILD_STATUS=skipped, exit 0, not one run request."""
    clone = feature_clone(origin, tmp_path, {"README.md": "# better docs\n"})
    result = run_on(
        shop(), fake_clock, clone.path, PIPELINES=SERVICES, CF_PULL_REQUEST_TARGET="main"
    )
    assert result.code == 0, result.stderr
    assert result.run_requests == []
    assert result.exports["BUILD_STATUS"] == "skipped"
    assert [result.exports[f"BUILD_STATUS_{n}"] for n in (1, 2, 3)] == ["skipped"] * 3
    assert "BUILD_ID" not in result.exports
    assert len(lines_with(result, ": skipped — 1 file changed since ")) == 3
