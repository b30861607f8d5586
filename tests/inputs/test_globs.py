"""Globs found with bounds (`cfstep.inputs.globs`): glob's matches, no walk through links."""

from __future__ import annotations

import glob
import os
import time
from itertools import count
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cfstep.errors import InputError
from cfstep.inputs import globs

NAMES = st.sampled_from(["a", "b", "ab", ".hidden", "x.yml", "y.yml", ".h.yml", "c.yaml"])
TREES = st.lists(st.lists(NAMES, min_size=1, max_size=4), min_size=1, max_size=12)
PATTERNS = st.sampled_from(
    [
        "*",
        "*.yml",
        "**",
        "**/*.yml",
        "a/**/*.yml",
        "**/a/*.yml",
        "*/*.yml",
        "?/*",
        "[ab]*/**",
        "a/*/",
        "**/",
        ".*",
        "a/.h*",
        "a/b/x.yml",
        "a/**/b/**/*.y*ml",
        "./a/*",
    ]
)
_DIRS = count()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tree=TREES, pattern=PATTERNS)
def test_the_same_matches_as_glob_without_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tree: list[list[str]], pattern: str
) -> None:
    root = tmp_path / str(next(_DIRS))
    for parts in tree:
        *folders, leaf = parts
        folder = root.joinpath(*folders)
        if any(p.is_file() for p in (folder, *folder.parents)):
            continue
        folder.mkdir(parents=True, exist_ok=True)
        if not folder.joinpath(leaf).exists():
            folder.joinpath(leaf).write_text("x")
    monkeypatch.chdir(root)
    assert globs.expand("PIPELINE_SPEC", pattern) == sorted(glob.glob(pattern, recursive=True))


def _loop(tmp_path: Path) -> Path:
    """`specs/` with `x -> .` and `y -> .`: what a pull request may commit."""
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "deploy.yml").write_text("kind: pipeline\n")
    (specs / "team").mkdir()
    (specs / "team" / "build.yml").write_text("kind: pipeline\n")
    (specs / "x").symlink_to(".")
    (specs / "y").symlink_to(".")
    (specs / "team" / "up").symlink_to("..")
    return specs


def test_links_to_folders_are_never_walked(tmp_path: Path) -> None:
    specs = _loop(tmp_path)
    started = time.monotonic()
    found = globs.expand("PIPELINE_SPEC", f"{specs}/**/*.yml")
    assert time.monotonic() - started < 1
    assert found == [f"{specs}/deploy.yml", f"{specs}/team/build.yml"]
    assert globs.expand("PIPELINE_SPEC", f"{specs}/*/*.yml") == [f"{specs}/team/build.yml"]


def test_a_link_to_a_file_still_matches(tmp_path: Path) -> None:
    specs = _loop(tmp_path)
    (specs / "linked.yml").symlink_to(specs / "deploy.yml")
    assert f"{specs}/linked.yml" in globs.expand("PIPELINE_SPEC", f"{specs}/*.yml")


def test_too_many_matches_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(globs, "MAX_MATCHES", 5)
    for n in range(6):
        (tmp_path / f"{n}.yml").write_text("x")
    with pytest.raises(InputError) as caught:
        globs.expand("PIPELINE_SPEC", f"{tmp_path}/*.yml")
    assert caught.value.message == (
        f"PIPELINE_SPEC: '{tmp_path}/*.yml' matches more than 5 files — narrow the pattern "
        "(name the folder the files are in, e.g. pipelines/*.yml)"
    )


def test_too_wide_a_walk_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(globs, "MAX_ENTRIES", 50)
    for n in range(60):
        (tmp_path / f"d{n}").mkdir()
    with pytest.raises(InputError, match=r"looks at more than 50 folder entries — narrow"):
        globs.expand("PIPELINE_SPEC", f"{tmp_path}/**/*.yml")


def test_too_slow_a_walk_is_one_line(tmp_path: Path) -> None:
    """The clock is checked as entries are looked at: a file system slow to list (a network
    share) is given up on."""
    for n in range(300):
        (tmp_path / f"f{n}").write_text("x")
    ticks = count()  # each look at the clock: 10 s later
    with pytest.raises(InputError, match=r"takes more than 5 s to expand"):
        globs.expand("PIPELINE_SPEC", f"{tmp_path}/*.yml", clock=lambda: 10.0 * next(ticks))


def test_an_unreadable_folder_matches_nothing(tmp_path: Path) -> None:
    assert globs.expand("PIPELINE_SPEC", f"{tmp_path}/missing/**/*.yml") == []
    (tmp_path / "file").write_text("x")
    assert globs.expand("PIPELINE_SPEC", f"{tmp_path}/file/*.yml") == []
    assert os.path.exists(tmp_path / "file")
