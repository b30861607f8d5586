"""CHANGED_FILES replaces git: a list of paths, or `@file` holding them (one per line, as
`git diff --name-only` writes them, or NUL-separated as `-z` does). Then no base is needed,
REPO_DIR is not read and git is never started (docs/monorepos.md)."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from monorepo_kit import SERVICES, lines_with, reads, run_on, triggered

from cfstep.emulator import Emulator
from fakeclock import FakeClock

Shop = Callable[..., Emulator]


@pytest.fixture
def no_git(tmp_path: Path) -> dict[str, str]:
    """A PATH whose `git` fails the test if it is ever started, and a REPO_DIR that is none."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    marker = tmp_path / "git-was-started"
    fake = bin_dir / "git"
    fake.write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n", encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return {"PATH": str(bin_dir), "REPO_DIR": str(tmp_path / "not-a-repository")}


@pytest.mark.parametrize(
    "listed",
    [
        '["services/web/index.js", "docs/guide.md"]',
        "services/web/index.js\ndocs/guide.md\n",
        "- services/web/index.js\n- docs/guide.md\n",
    ],
    ids=["json-list", "lines", "yaml-list"],
)
def test_a_list(
    shop: Shop, fake_clock: FakeClock, tmp_path: Path, no_git: dict[str, str], listed: str
) -> None:
    result = run_on(
        shop(), fake_clock, no_git["REPO_DIR"], PIPELINES=SERVICES, CHANGED_FILES=listed, **no_git
    )
    assert result.code == 0, result.stderr
    assert triggered(result) == ["shop/web"]
    assert reads(result) == []
    assert not (tmp_path / "git-was-started").exists()
    assert lines_with(result, "#3 shop/worker:") == [
        "#3 shop/worker: skipped — 2 files listed in CHANGED_FILES, none matching "
        "services/worker/**"
    ]
    assert result.exports["CHANGED_FILES_COUNT"] == "2"


def test_a_file_written_by_an_earlier_step(
    shop: Shop, fake_clock: FakeClock, tmp_path: Path, no_git: dict[str, str]
) -> None:
    """As `git diff --name-only` writes it: a quoted name unquoted, `./` dropped."""
    listing = tmp_path / "changed.txt"
    listing.write_text(
        '"services/api/caf\\303\\251.py"\n./services/worker/job.py\n\n', encoding="utf-8"
    )
    result = run_on(
        shop(),
        fake_clock,
        no_git["REPO_DIR"],
        PIPELINES=SERVICES,
        CHANGED_FILES=f"@{listing}",
        DEBUG="true",
        **no_git,
    )
    assert result.code == 0, result.stderr
    assert triggered(result) == ["shop/api", "shop/worker"]
    assert lines_with(result, "#1 shop/api:") == [
        f"#1 shop/api: runs — 2 files listed in CHANGED_FILES @{listing}, 1 matching "
        "services/api/**, libs/**, !**/*.md (first: services/api/café.py)"
    ]
    # DEBUG lists the changed files, once for all the children
    assert lines_with(result, "debug: 2 files") == [
        f"debug: 2 files listed in CHANGED_FILES @{listing}:"
    ]
    assert lines_with(result, "debug:   ") == [
        "debug:   services/api/café.py",
        "debug:   services/worker/job.py",
    ]
    assert not (tmp_path / "git-was-started").exists()


def test_a_nul_separated_file_by_flag(
    shop: Shop, fake_clock: FakeClock, tmp_path: Path, no_git: dict[str, str]
) -> None:
    listing = tmp_path / "changed.z"
    listing.write_bytes(b"services/web/a\nb.js\0libs/x.py\0")
    result = run_on(
        shop(),
        fake_clock,
        no_git["REPO_DIR"],
        ("--changed-files", f"@{listing}", "--pipelines", SERVICES),
        **no_git,
    )
    assert result.code == 0, result.stderr
    assert triggered(result) == ["shop/api", "shop/web"]


def test_paths_given_as_flags(
    shop: Shop, fake_clock: FakeClock, tmp_path: Path, no_git: dict[str, str]
) -> None:
    argv = ("shop/worker", "--modified-files", "services/worker/**")
    argv += ("--changed-files", "README.md", "--changed-files", "services/worker/job.py")
    result = run_on(shop(), fake_clock, no_git["REPO_DIR"], argv, **no_git)
    assert result.code == 0, result.stderr
    assert triggered(result) == ["shop/worker"]
    assert result.exports["CHANGED_FILES_COUNT"] == "2"


def test_an_empty_file_means_nothing_changed(
    shop: Shop, fake_clock: FakeClock, tmp_path: Path, no_git: dict[str, str]
) -> None:
    listing = tmp_path / "changed.txt"
    listing.write_text("", encoding="utf-8")
    result = run_on(
        shop(),
        fake_clock,
        no_git["REPO_DIR"],
        PIPELINES=SERVICES,
        CHANGED_FILES=f"@{listing}",
        **no_git,
    )
    assert result.code == 0, result.stderr
    assert result.requests == []
    assert result.exports["BUILD_STATUS"] == "skipped"
    assert lines_with(result, "#2 shop/web:") == [
        f"#2 shop/web: skipped — no file listed in CHANGED_FILES @{listing}"
    ]
