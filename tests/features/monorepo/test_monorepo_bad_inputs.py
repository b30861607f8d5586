"""Bad inputs of only what changed: exit 5, one line naming the input, the value and the
fix, and nothing sent at all (docs/monorepos.md). A CHANGED_SINCE revision a full clone
lacks is the user's mistake; in a shallow clone it is a reason the child runs."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from monorepo_kit import SERVICES, lines_with, run_on, triggered

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from gitrepos import Repo

Shop = Callable[..., Emulator]
LONG = "services/" + "a" * 65_492  # 65,501 characters


def _bad(result: object, starts: str) -> None:
    assert result.code == 5, result.stderr  # type: ignore[attr-defined]
    assert result.requests == []  # type: ignore[attr-defined]
    (line,) = result.stderr_lines  # type: ignore[attr-defined]
    assert line.startswith(f"cfstep: {starts}"), line
    assert " — " in line  # what to do
    assert len(line) < 400  # a 65,501-character glob is not echoed whole


@pytest.mark.parametrize(
    ("env", "starts"),
    [
        (
            {"MODIFIED_FILES_GLOB": LONG},
            "MODIFIED_FILES_GLOB: the glob 'services/aaaa",
        ),
        (
            {
                "MODIFIED_FILES_GLOB": "",
                "PIPELINES": f'[{{pipeline: shop/api, modified_files_glob: ["{LONG}"]}}]',
            },
            "PIPELINES item 1 modified_files_glob: the glob 'services/aaaa",
        ),
        (
            {"MODIFIED_FILES_GLOB": "trigger\nservices/**"},
            "MODIFIED_FILES_GLOB: `trigger` (the child's own trigger's Modified files glob) is "
            "given with other globs",
        ),
        (
            {"MODIFIED_FILES_GLOB": "services/../web/**"},
            "MODIFIED_FILES_GLOB: the glob 'services/../web/**' holds a `..` folder",
        ),
        (
            {"MODIFIED_FILES_GLOB": "{a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n}{o,p}{q,r}{s,t}{u,v}"},
            "MODIFIED_FILES_GLOB: {a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n}{o,p}{q,r}{s,t}{u,v} cannot "
            "be matched: its braces expand to more than 1,000 patterns",
        ),
        (
            {"MODIFIED_FILES_GLOB": "- !**/*.md"},
            "MODIFIED_FILES_GLOB: '- !**/*.md' looks like an item of a YAML list",
        ),
        (
            {"MODIFIED_FILES_GLOB": "[services/**, {x: 1}]"},
            "MODIFIED_FILES_GLOB: a list item is a map, not a glob",
        ),
        (
            {"CHANGED_SINCE": "--output=/etc/passwd"},
            "CHANGED_SINCE: '--output=/etc/passwd' is neither auto, target, last-success nor a "
            "git revision",
        ),
        (
            {"CHANGED_FILES": "@/nonexistent/changed.txt"},
            "CHANGED_FILES: cannot read /nonexistent/changed.txt (No such file or directory) — "
            "check the path",
        ),
        ({"CHANGED_FILES": "@"}, "CHANGED_FILES: `@` names no file"),
        ({"CHANGED_FILES": "@/tmp"}, "CHANGED_FILES: /tmp is a folder, not a regular file"),
    ],
    ids=[
        "long-glob",
        "long-glob-per-child",
        "trigger-and-globs",
        "dot-dot",
        "brace-bomb",
        "yaml-tag",
        "map-item",
        "since-option",
        "missing-file",
        "at-alone",
        "a-folder",
    ],
)  # fmt: skip
def test_exit_5_nothing_sent(
    origin: Repo,
    shop: Shop,
    fake_clock: FakeClock,
    tmp_path: Path,
    env: dict[str, str],
    starts: str,
) -> None:
    clone = origin.clone(tmp_path / "clone")
    defaults = {"PIPELINE_ID": "shop/api", "MODIFIED_FILES_GLOB": "services/api/**"}
    if "PIPELINES" in env:
        defaults.pop("PIPELINE_ID")
    _bad(run_on(shop(), fake_clock, clone.path, **{**defaults, **env}), starts)


def test_a_revision_a_full_clone_does_not_know(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    clone = origin.clone(tmp_path / "clone")
    result = run_on(shop(), fake_clock, clone.path, PIPELINES=SERVICES, CHANGED_SINCE="v9.9.9")
    _bad(
        result,
        f"CHANGED_SINCE: 'v9.9.9' is not a revision the repository at {clone.path} has (a "
        "full clone) — give a commit, tag or branch it has, or auto, target or last-success",
    )


def test_a_revision_a_shallow_clone_lacks_runs_the_child(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    old = origin.head()
    origin.commit({"services/web/index.js": "2"}, "web")
    origin.commit({"README.md": "2"}, "docs")
    clone = origin.clone(tmp_path / "clone", depth=1)
    result = run_on(
        shop(),
        fake_clock,
        clone.path,
        PIPELINE_ID="shop/web",
        MODIFIED_FILES_GLOB="services/web/**",
        CHANGED_SINCE=old,
    )
    assert result.code == 0, result.stderr
    assert triggered(result) == ["shop/web"]
    assert lines_with(result, "shop/web:") == [
        f"shop/web: runs — cannot tell what changed: this is a shallow clone without "
        f"CHANGED_SINCE {old!r} — clone with more history (git-clone's depth)"
    ]


def test_a_revision_the_clone_has(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    origin.commit({"services/web/index.js": "2"}, "web")
    origin.commit({"README.md": "2"}, "docs")
    clone = origin.clone(tmp_path / "clone")
    result = run_on(shop(), fake_clock, clone.path, PIPELINES=SERVICES, CHANGED_SINCE="HEAD~1")
    assert result.code == 0, result.stderr
    assert triggered(result) == []
    (line,) = lines_with(result, "#2 shop/web:")
    assert line.startswith(
        f"#2 shop/web: skipped — 1 file changed since {clone.git('rev-parse', 'HEAD~1')[:8]} "
        "(CHANGED_SINCE=HEAD~1), none matching"
    )


def test_a_fifo_is_refused_without_blocking(
    origin: Repo, shop: Shop, fake_clock: FakeClock, tmp_path: Path
) -> None:
    """A named pipe nobody writes would block a reader for ever."""
    fifo = tmp_path / "changed.fifo"
    os.mkfifo(fifo)
    result = run_on(
        shop(),
        fake_clock,
        tmp_path,
        PIPELINE_ID="shop/api",
        MODIFIED_FILES_GLOB="services/api/**",
        CHANGED_FILES=f"@{fifo}",
    )
    _bad(result, f"CHANGED_FILES: {fifo} is a named pipe (FIFO), not a regular file")
