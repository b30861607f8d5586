"""Every way of not knowing what changed runs the child, with one line saying why, and
CHANGED_FILES_COUNT empty: a shallow clone without the base, a base commit that no longer
exists, no earlier success, no repository, no git, an API that cannot be read or answers
nonsense; never a silent skip, never exit 70 (docs/monorepos.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from monorepo_kit import SERVICES, WEB_ID, lines_with, reads, run_on, triggered

from cfstep.emulator import Emulator, Fault
from fakeclock import FakeClock
from gitrepos import Repo
from harness import closed_url

Shop = Callable[..., Emulator]
WEB = {"PIPELINE_ID": "shop/web", "MODIFIED_FILES_GLOB": "services/web/**", "CF_BRANCH": "main"}


def _success(revision: str) -> dict[str, object]:
    return {"status": "success", "branch": "main", "revision": revision, "seconds_ago": 600}


def _runs_because(result: object, why: str) -> None:
    """One child ran, the line names why, its count is empty."""
    assert result.code == 0, result.stderr  # type: ignore[attr-defined]
    assert triggered(result) == ["shop/web"]  # type: ignore[arg-type]
    assert lines_with(result, "shop/web:") == [  # type: ignore[arg-type]
        f"shop/web: runs — cannot tell what changed: {why}"
    ]
    assert result.exports["CHANGED_FILES_COUNT"] == ""  # type: ignore[attr-defined]
    assert result.exports["BUILD_STATUS"] == "success"  # type: ignore[attr-defined]


def test_a_shallow_clone_without_the_last_successful_commit(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    built = origin.head()
    for n in range(3):
        origin.commit({f"docs/{n}.md": "x"}, f"docs {n}")
    clone = origin.clone(tmp_path / "clone", depth=1)
    emu = shop(web={"builds": [_success(built)]})
    result = run_on(emu, fake_clock, clone.path, **WEB)
    build = emu.runs("shop/web")[0].id
    _runs_because(
        result,
        f"this is a shallow clone without {built[:8]}, the commit of the last successful "
        f"build {build} of shop/web on main — clone with more history (git-clone's depth), "
        "or set CHANGED_SINCE",
    )


def test_a_shallow_clone_without_the_merge_base(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    origin.git("checkout", "--quiet", "-b", "feature")
    origin.commit({"services/api/main.py": "2"}, "one")
    origin.commit({"services/api/main.py": "3"}, "two")
    origin.git("checkout", "--quiet", "main")
    origin.commit({"README.md": "moved on"}, "main moves on")
    clone = origin.clone(tmp_path / "clone", depth=1, branch="feature")
    result = run_on(shop(), fake_clock, clone.path, **WEB, CF_PULL_REQUEST_TARGET="main")
    _runs_because(
        result,
        "this is a shallow clone without the merge base of HEAD and origin/main — clone with "
        "more history (git-clone's depth)",
    )


def test_a_base_commit_that_no_longer_exists(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """web built green on a commit a force-push later removed from main."""
    gone = origin.commit({"services/web/index.js": "v2"}, "web, pushed then rewritten")
    origin.git("reset", "--quiet", "--hard", "HEAD~1")
    origin.commit({"services/web/index.js": "v2, again"}, "web, rewritten")
    origin.git("reflog", "expire", "--expire=now", "--all")
    origin.git("gc", "--quiet", "--prune=now")
    clone = origin.clone(tmp_path / "clone")
    emu = shop(web={"builds": [_success(gone)]})
    result = run_on(emu, fake_clock, clone.path, **WEB)
    build = emu.runs("shop/web")[0].id
    _runs_because(
        result,
        f"{gone[:8]}, the commit of the last successful build {build} of shop/web on main, "
        "is no longer in the repository (history rewritten by a force-push?)",
    )


def test_no_earlier_success_on_a_new_branch(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    clone = origin.clone(tmp_path / "clone")
    emu = shop(web={"builds": [{**_success(origin.head()), "branch": "other"}]})
    result = run_on(emu, fake_clock, clone.path, **{**WEB, "CF_BRANCH": "new-branch"})
    _runs_because(result, "shop/web has no successful build on new-branch yet")


def test_a_failed_build_is_no_base(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    clone = origin.clone(tmp_path / "clone")
    emu = shop(web={"builds": [{**_success(origin.head()), "status": "error"}]})
    result = run_on(emu, fake_clock, clone.path, **WEB)
    _runs_because(result, "shop/web has no successful build on main yet")


def test_no_repository(shop: Shop, fake_clock: FakeClock, tmp_path: Path) -> None:
    """Every child runs; Codefresh is not even asked for a base git could not use."""
    result = run_on(shop(), fake_clock, tmp_path, PIPELINES=SERVICES, CF_BRANCH="main")
    assert result.code == 0, result.stderr
    assert triggered(result) == ["shop/api", "shop/web", "shop/worker"]
    assert reads(result) == []
    why = f"cannot tell what changed: no git repository at REPO_DIR {tmp_path}"
    assert lines_with(result, ": runs — ") == [
        f"#{n} shop/{name}: runs — {why}" for n, name in ((1, "api"), (2, "web"), (3, "worker"))
    ]
    assert result.exports["CHANGED_FILES_COUNT"] == ""
    assert result.exports["CHANGED_FILES_COUNT_2"] == ""


def test_the_default_repo_dir_is_where_git_clone_puts_it(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """$CF_VOLUME_PATH/$CF_REPO_NAME, as Codefresh's git-clone step clones."""
    volume = tmp_path / "volume"
    origin.clone(volume / "monorepo")
    emu = shop(web={"builds": [_success(origin.head())]})
    env = {**WEB, "CF_VOLUME_PATH": str(volume), "CF_REPO_NAME": "monorepo"}
    result = run_on(emu, fake_clock, "", **env)  # REPO_DIR empty: the default
    assert result.run_requests == []
    assert result.exports["CHANGED_FILES_COUNT"] == "0"
    missing = run_on(emu, fake_clock, "", **{**env, "CF_REPO_NAME": "other"})
    assert lines_with(missing, "shop/web:") == [
        f"shop/web: runs — cannot tell what changed: REPO_DIR {volume}/other is not a folder "
        "(no repository cloned there?)"
    ]


def test_no_git(origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path) -> None:
    clone = origin.clone(tmp_path / "clone")
    (tmp_path / "empty-bin").mkdir()
    result = run_on(shop(), fake_clock, clone.path, **WEB, PATH=str(tmp_path / "empty-bin"))
    _runs_because(result, "git is not installed (not found on PATH)")


def test_target_outside_a_pull_request(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    clone = origin.clone(tmp_path / "clone")
    result = run_on(shop(), fake_clock, clone.path, **WEB, CHANGED_SINCE="target")
    _runs_because(
        result,
        "CHANGED_SINCE=target, but this build is not a pull request (CF_PULL_REQUEST_TARGET "
        "is not set) — use last-success or a revision here",
    )


def test_a_target_branch_the_clone_lacks(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    clone = origin.clone(tmp_path / "clone")
    result = run_on(shop(), fake_clock, clone.path, **WEB, CF_PULL_REQUEST_TARGET="release")
    _runs_because(
        result,
        "the pull request's target branch release is not in the clone (neither "
        "origin/release nor release) — fetch it in the git-clone step",
    )


def test_an_api_that_does_not_answer_costs_the_budget_once(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """503 for ever: the reads are retried for 30 s in all, then every child runs; the
    other children's reads are not even sent (no storm)."""
    clone = origin.clone(tmp_path / "clone")
    emu = shop()
    emu.add_fault(Fault("GET", "/api/pipelines/shop", "status", times=-1))
    before = fake_clock.now()
    result = run_on(emu, fake_clock, clone.path, PIPELINES=SERVICES, CF_BRANCH="main")
    assert result.code == 0, result.stderr
    assert triggered(result) == ["shop/api", "shop/web", "shop/worker"]
    sent = reads(result)
    assert {path for path, _ in sent} == {"/api/pipelines/shop%2Fapi"}
    assert 3 <= len(sent) <= 10
    waited = sum(fake_clock.sleeps)
    assert 20 <= waited <= 30, fake_clock.sleeps
    assert fake_clock.now() - before >= waited
    (api,) = lines_with(result, "#1 shop/api:")
    assert api.startswith(
        "#1 shop/api: runs — cannot tell what changed: could not read pipeline shop/api from "
        "Codefresh: 503 Service Unavailable"
    )
    (web,) = lines_with(result, "#2 shop/web:")
    assert web.startswith(
        "#2 shop/web: runs — cannot tell what changed: Codefresh did not answer the reads "
        "before this one (503 Service Unavailable"
    )


@pytest.mark.parametrize(
    ("path", "body", "why"),
    [
        (
            "/api/pipelines/shop%2Fweb",
            {"metadata": {"name": "other/pipe", "id": "e" * 24}, "spec": {}},
            "could not read pipeline shop/web from Codefresh: asked for pipeline 'shop/web', "
            f"the answer is about 'other/pipe' ({'e' * 24})",
        ),
        (
            "/api/pipelines/shop%2Fweb",
            ["not", "a", "pipeline"],
            "could not read pipeline shop/web from Codefresh: the answer about pipeline "
            "'shop/web' is not a pipeline with an id",
        ),
        (
            "/api/workflow",
            {"docs": []},
            f"could not read the builds of pipeline {WEB_ID} from Codefresh: the answer "
            "listing builds holds no `workflows.docs` list",
        ),
        (
            "/api/workflow",
            {"workflows": {"docs": [{"id": "b1", "status": "success", "branchName": "main",
                                     "serviceId": WEB_ID, "revision": "$(reboot)"}]}},
            "the last successful build b1 of shop/web on main names no commit",
        ),
        (
            "/api/workflow",  # a server that ignored the filters: another pipeline's build
            {"workflows": {"docs": [{"id": "b1", "status": "success", "branchName": "main",
                                     "serviceId": "f" * 24, "revision": "a" * 40}]}},
            "shop/web has no successful build on main yet",
        ),
    ],
    ids=["other-pipeline", "not-a-pipeline", "no-docs", "bad-revision", "filter-ignored"],
)  # fmt: skip
def test_hostile_answers(
    origin: Repo,
    shop: Shop,
    fake_clock: FakeClock,
    tmp_path: Path,
    path: str,
    body: object,
    why: str,
) -> None:
    clone = origin.clone(tmp_path / "clone")
    emu = shop(web={"builds": [_success(origin.head())]})
    emu.add_fault(Fault("GET", path, "status", status=200, body=json.dumps(body).encode()))
    _runs_because(run_on(emu, fake_clock, clone.path, **WEB), why)


def test_a_dry_run_without_a_key_cannot_read_the_history(
    origin: Repo, fake_clock: FakeClock, tmp_path: Path
) -> None:
    clone = origin.clone(tmp_path / "clone")
    result = run_on(None, fake_clock, clone.path, **WEB, DRY_RUN="true", CF_API_KEY="")
    assert result.code == 0, result.stderr
    assert lines_with(result, "shop/web:") == [
        "shop/web: runs — cannot tell what changed: a DRY_RUN without CF_API_KEY cannot "
        "read the child pipeline"
    ]
    assert f'"url": "{closed_url()}/api/pipelines/run/shop%2Fweb?reqId=<uuid4>"' in result.stdout


def test_a_target_that_is_no_branch_name(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """A branch name git would read as a revision (`main~3`) is never looked up."""
    clone = origin.clone(tmp_path / "clone")
    result = run_on(shop(), fake_clock, clone.path, **WEB, CF_PULL_REQUEST_TARGET="main~3")
    _runs_because(result, "CF_PULL_REQUEST_TARGET 'main~3' is not a branch name")


def test_unrelated_histories(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    origin.git("checkout", "--quiet", "--orphan", "rewrite")
    origin.commit({"services/web/index.js": "new world"}, "a history of its own")
    clone = origin.clone(tmp_path / "clone", branch="rewrite")
    result = run_on(shop(), fake_clock, clone.path, **WEB, CF_PULL_REQUEST_TARGET="main")
    _runs_because(result, "HEAD and origin/main have no commit in common")


def test_last_success_without_a_branch(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    clone = origin.clone(tmp_path / "clone")
    result = run_on(shop(), fake_clock, clone.path, **{**WEB, "CF_BRANCH": ""})
    _runs_because(
        result,
        "CHANGED_SINCE=last-success needs the branch, and neither BRANCH nor CF_BRANCH is set",
    )
    assert reads(result) == []
