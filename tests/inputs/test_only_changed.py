"""How the inputs of only what changed are read (docs/monorepos.md): globs and paths from
the environment or flags, CHANGED_SINCE's words and revisions, REPO_DIR's default."""

from __future__ import annotations

from pathlib import Path

import pytest

from cfstep.errors import InputError
from cfstep.inputs import config
from cfstep.model import FROM_TRIGGER

BASE = {"CF_API_KEY": "a-key-long-enough", "PIPELINE_ID": "shop/web"}


def _globs(env: dict[str, str], argv: tuple[str, ...] = ()) -> tuple[str, ...]:
    return config.parse(list(argv), {**BASE, **env}).children[0].modified_files_glob


@pytest.mark.parametrize(
    ("text", "globs"),
    [
        ("services/web/**", ("services/web/**",)),
        ("  services/web/**  \n\n  !**/*.md \n", ("services/web/**", "!**/*.md")),
        ('["services/web/**", "!**/*.md"]', ("services/web/**", "!**/*.md")),
        ("[services/web/**, libs/**]", ("services/web/**", "libs/**")),
        ("- services/web/**\n- '!**/*.md'\n", ("services/web/**", "!**/*.md")),
        ("{api,web}/**", ("{api,web}/**",)),  # braces are a glob, not YAML
        ("[abc]*.py", ("[abc]*.py",)),  # a class that is not a whole YAML list
        ("*.md", ("*.md",)),  # a YAML alias would fail: it is a glob
        ("!docs/**", ("!docs/**",)),  # a YAML tag would fail: it is a glob
        ("# no glob here", ("# no glob here",)),  # a comment: matched as minimatch does
        ("trigger", FROM_TRIGGER),
        ("Trigger", FROM_TRIGGER),
        ("", ()),
    ],
)
def test_globs_from_the_environment(text: str, globs: tuple[str, ...]) -> None:
    assert _globs({"MODIFIED_FILES_GLOB": text}) == globs


def test_globs_from_flags_win() -> None:
    argv = ("--modified-files", "a/**", "--modified-files", "!b")
    assert _globs({"MODIFIED_FILES_GLOB": "x/**"}, argv) == ("a/**", "!b")


@pytest.mark.parametrize(
    ("item", "globs"),
    [
        ("services/web/**", ("services/web/**",)),
        (["a/**", "!b"], ("a/**", "!b")),
        ([], ()),
        ("", ()),
        ("trigger", FROM_TRIGGER),
    ],
)
def test_globs_of_a_pipelines_item(item: object, globs: tuple[str, ...]) -> None:
    import json

    text = json.dumps([{"pipeline": "shop/web", "modified_files_glob": item}])
    children = config.parse([], {"CF_API_KEY": "a-key-long-enough", "PIPELINES": text}).children
    assert children[0].modified_files_glob == globs


@pytest.mark.parametrize(
    ("since", "read"),
    [
        ("", "auto"),
        ("AUTO", "auto"),
        ("Target", "target"),
        ("last-success", "last-success"),
        ("HEAD~3", "HEAD~3"),
        ("v1.2.0", "v1.2.0"),
        ("a" * 40, "a" * 40),
    ],
)
def test_changed_since(since: str, read: str) -> None:
    assert config.parse([], {**BASE, "CHANGED_SINCE": since}).only_changed.since == read


@pytest.mark.parametrize("since", ["-x", "a b", "x\x1by", "a" * 257])
def test_changed_since_that_is_no_revision(since: str) -> None:
    with pytest.raises(InputError, match="CHANGED_SINCE: "):
        config.parse([], {**BASE, "CHANGED_SINCE": since})


@pytest.mark.parametrize(
    ("env", "repo_dir"),
    [
        ({}, "."),
        ({"CF_VOLUME_PATH": "/codefresh/volume"}, "."),
        ({"CF_VOLUME_PATH": "/codefresh/volume", "CF_REPO_NAME": "shop"}, "/codefresh/volume/shop"),
        ({"CF_VOLUME_PATH": "/v", "CF_REPO_NAME": "shop", "REPO_DIR": "/src"}, "/src"),
    ],
)
def test_repo_dir(env: dict[str, str], repo_dir: str) -> None:
    assert config.parse([], {**BASE, **env}).only_changed.repo_dir == repo_dir


def test_what_the_build_tells() -> None:
    env = {"CF_PULL_REQUEST_TARGET": " main ", "CF_BRANCH": "feature", "PATH": "/bin"}
    only = config.parse([], {**BASE, **env}).only_changed
    assert (only.pull_request_target, only.branch, only.search_path) == ("main", "feature", "/bin")
    assert only.changed_files is None


@pytest.mark.parametrize(
    ("text", "paths"),
    [
        ("a.py\n./b/c.py\n\n", ("a.py", "b/c.py")),
        ('"caf\\303\\251.py"\n"tab\\there"\n"q\\"uote"', ("café.py", "tab\there", 'q"uote')),
        ("a\0b c\0", ("a", "b c")),
        ("", ()),
    ],
    ids=["lines", "git-quoted", "nul-separated", "empty"],
)
def test_changed_files_from_a_file(tmp_path: Path, text: str, paths: tuple[str, ...]) -> None:
    listing = tmp_path / "changed.txt"
    listing.write_text(text, encoding="utf-8")
    only = config.parse([], {**BASE, "CHANGED_FILES": f"@{listing}"}).only_changed
    assert (only.changed_files, only.changed_files_from) == (paths, str(listing))


def test_a_large_changed_files_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cfstep.inputs import only_changed

    monkeypatch.setattr(only_changed, "MAX_LIST_FILE_BYTES", 1 << 20)
    listing = tmp_path / "changed.txt"
    listing.write_text("a\n" * (1 << 19) + "b\n", encoding="utf-8")
    with pytest.raises(InputError, match="is larger than 1 MB — give fewer paths"):
        config.parse([], {**BASE, "CHANGED_FILES": f"@{listing}"})
