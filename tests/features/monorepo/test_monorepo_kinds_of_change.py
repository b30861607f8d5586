"""Every kind of change counts as Codefresh's filter sees a push: added, modified, deleted,
both sides of a rename; `!` globs exclude (docs/monorepos.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from monorepo_kit import SERVICES, lines_with, run_on, triggered

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from gitrepos import Repo

Shop = Callable[..., Emulator]


def _pull_request(origin: Repo, tmp_path: Path, change: Callable[[Repo], object]) -> Repo:
    origin.git("checkout", "--quiet", "-b", "feature")
    change(origin)
    return origin.clone(tmp_path / "clone", branch="feature")


@pytest.mark.parametrize(
    ("change", "runs", "count"),
    [
        # services/api/** with !**/*.md: a README-only change is not the api's
        (lambda r: r.commit({"services/api/README.md": "# new\n"}, "docs"), [], 1),
        (lambda r: r.commit({"services/api/docs/a.md": "x", "services/api/a.py": "x"}, "both"),
         ["shop/api"], 2),
        # a rename out of a watched folder counts for that folder (its old side)
        (lambda r: r.rename("services/web/index.js", "apps/web/index.js"), ["shop/web"], 2),
        # and into one (its new side)
        (lambda r: r.rename("README.md", "services/worker/README.txt"), ["shop/worker"], 2),
        # a deleted file counts
        (lambda r: r.commit({"services/worker/job.py": None}, "delete"), ["shop/worker"], 1),
        # an added one
        (lambda r: r.commit({"services/web/new/page.js": "x"}, "add"), ["shop/web"], 1),
        # a dotfile in a watched folder (dot: true)
        (lambda r: r.commit({"services/web/.eslintrc": "{}"}, "dot"), ["shop/web"], 1),
    ],
    ids=["excluded-readme", "readme-and-code", "rename-out", "rename-in", "delete", "add", "dot"],
)  # fmt: skip
def test_what_counts(
    origin: Repo,
    shop: Shop,
    fake_clock: FakeClock,
    tmp_path: Path,
    change: Callable[[Repo], object],
    runs: list[str],
    count: int,
) -> None:
    clone = _pull_request(origin, tmp_path, change)
    result = run_on(
        shop(), fake_clock, clone.path, PIPELINES=SERVICES, CF_PULL_REQUEST_TARGET="main"
    )
    assert result.code == 0, result.stderr
    assert triggered(result) == runs
    assert result.exports["CHANGED_FILES_COUNT"] == str(count)
    skipped = [n for n in (1, 2, 3) if result.exports[f"BUILD_STATUS_{n}"] == "skipped"]
    assert len(skipped) == 3 - len(runs)


def test_the_excluded_readme_line(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    base = origin.head()
    clone = _pull_request(
        origin, tmp_path, lambda r: r.commit({"services/api/README.md": "# new\n"}, "docs")
    )
    result = run_on(
        shop(),
        fake_clock,
        clone.path,
        PIPELINE_ID="shop/api",
        MODIFIED_FILES_GLOB='["services/api/**", "!**/*.md"]',
        CF_PULL_REQUEST_TARGET="main",
    )
    assert result.code == 0, result.stderr
    assert result.requests == []  # nothing at all was sent
    assert result.exports == {"BUILD_STATUS": "skipped", "CHANGED_FILES_COUNT": "1"}
    assert lines_with(result, "shop/api:") == [
        f"shop/api: skipped — 1 file changed since {base[:8]} (the merge base of HEAD and "
        "origin/main; CHANGED_SINCE=auto, a pull request to main), none matching "
        "services/api/**, !**/*.md"
    ]
