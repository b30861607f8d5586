"""A push to main (CHANGED_SINCE=auto → last-success): each service is measured from the
commit of its own last successful build on the branch, as the emulator's build history
gives it (`GET /api/pipelines/<name>` for the id, then `GET /api/workflow`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from monorepo_kit import API_ID, IDS, SERVICES, lines_with, reads, run_on, triggered

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from gitrepos import Repo

Shop = Callable[..., Emulator]


def _success(revision: str, seconds_ago: float = 600) -> dict[str, object]:
    return {"status": "success", "branch": "main", "revision": revision, "seconds_ago": seconds_ago}


def test_each_service_runs_when_its_files_changed_since_it_last_built_green(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """web built green three commits back and one of those commits changed web: web runs.
    api built green after its last change: skipped. worker's files never changed: skipped."""
    three_back = origin.head()
    origin.commit({"services/web/index.js": "console.log(2)\n"}, "web")
    api_built = origin.commit({"services/api/main.py": "print(2)\n"}, "api")
    origin.commit({"README.md": "# docs\n"}, "docs")
    clone = origin.clone(tmp_path / "clone")
    emu = shop(
        web={"builds": [_success("f" * 40, 900), _success(three_back, 600)]},
        api={"builds": [_success(three_back, 900), _success(api_built, 300)]},
        worker={"builds": [_success(three_back)]},
    )
    result = run_on(emu, fake_clock, clone.path, PIPELINES=SERVICES, CF_BRANCH="main")
    assert result.code == 0, result.stderr
    assert triggered(result) == ["shop/web"]
    web_build = emu.runs("shop/web")[1].id  # the newest success; a run builds after it
    assert lines_with(result, "#2 shop/web:") == [
        f"#2 shop/web: runs — 3 files changed since {three_back[:8]} (the commit of the last "
        f"successful build {web_build} of shop/web on main; CHANGED_SINCE=auto, not a pull "
        "request), 1 matching services/web/** (first: services/web/index.js)"
    ]
    (api_line,) = lines_with(result, "#1 shop/api:")
    assert api_line.startswith(f"#1 shop/api: skipped — 1 file changed since {api_built[:8]} ")
    (worker_line,) = lines_with(result, "#3 shop/worker:")
    assert worker_line.startswith("#3 shop/worker: skipped — 3 files changed since ")
    assert [result.exports[f"CHANGED_FILES_COUNT_{n}"] for n in (1, 2, 3)] == ["1", "3", "3"]
    assert result.exports["CHANGED_FILES_COUNT"] == "3"  # the files any child counted
    assert [result.exports[f"BUILD_STATUS_{n}"] for n in (1, 2, 3)] == [
        "skipped",
        "success",
        "skipped",
    ]
    wanted = {"status": ["success"], "branchName": ["main"], "limit": ["1"]}
    assert reads(result) == [
        (path, query)
        for name, pipeline_id in IDS.items()
        for path, query in (
            (f"/api/pipelines/{name.replace('/', '%2F')}", {}),
            ("/api/workflow", {"pipeline": [pipeline_id], **wanted}),
        )
    ]


def test_the_branch_is_the_childs_own(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """BRANCH (the branch the child builds) wins over CF_BRANCH for the lookup."""
    release = origin.head()
    origin.commit({"services/api/main.py": "print(2)\n"}, "api")
    clone = origin.clone(tmp_path / "clone")
    emu = shop(api={"builds": [{**_success(release), "branch": "release"}]})
    result = run_on(
        emu,
        fake_clock,
        clone.path,
        PIPELINE_ID="shop/api",
        BRANCH="release",
        CF_BRANCH="main",
        MODIFIED_FILES_GLOB="services/api/**",
    )
    assert result.code == 0, result.stderr
    assert triggered(result) == ["shop/api"]
    (_, query) = reads(result)[-1]
    assert query["branchName"] == ["release"]
    assert query["pipeline"] == [API_ID]
    assert result.exports["CHANGED_FILES_COUNT"] == "1"


def test_a_rerun_of_the_commit_that_built_green_skips(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """One child: BUILD_STATUS=skipped, CHANGED_FILES_COUNT=0, exit 0, no run request."""
    clone = origin.clone(tmp_path / "clone")
    emu = shop(api={"builds": [_success(origin.head())]})
    result = run_on(
        emu,
        fake_clock,
        clone.path,
        PIPELINE_ID="shop/api",
        CF_BRANCH="main",
        MODIFIED_FILES_GLOB="services/api/**",
    )
    assert result.code == 0, result.stderr
    assert result.run_requests == []
    assert result.exports == {"BUILD_STATUS": "skipped", "CHANGED_FILES_COUNT": "0"}
    assert lines_with(result, "shop/api:") == [
        f"shop/api: skipped — no file changed since {origin.head()[:8]} (the commit of the "
        f"last successful build {emu.runs('shop/api')[0].id} of shop/api on main; "
        "CHANGED_SINCE=auto, not a pull request)"
    ]
