"""git, run safely, on real repositories made here (docs/monorepos.md, "How git is run"):
every kind of change counted, nothing configured by the repository run, a root-owned
volume read, bounded in time and output, every failure a reason and never a crash."""

from __future__ import annotations

import os
import stat
import subprocess
import time
from pathlib import Path

import pytest

from cfstep.changes import git
from cfstep.changes.git import GitFailed, open_repository
from gitrepos import Repo, process_gone

PATH = os.environ["PATH"]


def _open(path: Path, *, search_path: str = PATH, seconds: float = 30.0) -> git.Repository:
    return open_repository(str(path), search_path, seconds)


def _fake_git(folder: Path, script: str) -> str:
    """A folder holding a `git` that runs `script` (sh): a search path finding it first."""
    folder.mkdir(exist_ok=True)
    fake = folder / "git"
    fake.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return f"{folder}:{PATH}"


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo.create(tmp_path / "repo")


def test_every_kind_of_change_is_counted(repo: Repo) -> None:
    base = repo.head()
    repo.commit({"services/api/main.py": "print('changed')\n"}, "modify")
    repo.commit({"services/api/new.py": "x\n"}, "add")
    repo.commit({"services/worker/job.py": None}, "delete")
    repo.rename("services/web/index.js", "apps/web/index.js")
    found = _open(repo.path).changed_files(base, repo.head())
    assert sorted(found) == [
        "apps/web/index.js",  # the rename's new side
        "services/api/main.py",
        "services/api/new.py",
        "services/web/index.js",  # and its old side
        "services/worker/job.py",
    ]


def test_odd_names_come_through_whole(repo: Repo) -> None:
    base = repo.head()
    odd = ["a b/c d.txt", "new\nline.txt", "tab\there", 'quote"d', "café/é.md", "-dash"]
    repo.commit(dict.fromkeys(odd, "x"), "odd names")
    assert sorted(_open(repo.path).changed_files(base, repo.head())) == sorted(odd)


def test_commits_and_the_head(repo: Repo) -> None:
    first = repo.head()
    second = repo.commit({"README.md": "2\n"}, "second")
    found = _open(repo.path)
    assert found.head() == second
    assert found.commit("HEAD~1") == first
    assert found.commit(first[:10]) == first
    assert found.commit("main") == second
    assert found.commit("no-such-branch") is None
    assert found.commit("0" * 40) is None
    assert found.commit("--output=/tmp/x") is None  # never read as an option
    assert found.is_shallow() is False
    assert found.merge_base(second, first) == first


def test_a_folder_inside_the_repository_reads_from_its_root(repo: Repo) -> None:
    base = repo.head()
    repo.commit({"services/api/main.py": "2\n"}, "modify")
    (repo.path / "services" / "api" / ".gitattributes").write_text("* diff=evil\n")
    found = _open(repo.path / "services" / "api")
    assert found.top == str(repo.path)
    assert found.changed_files(base, repo.head()) == ("services/api/main.py",)


def test_a_shallow_clone_lacks_the_older_commits(repo: Repo, tmp_path: Path) -> None:
    old = repo.head()
    for n in range(3):
        repo.commit({f"f{n}": "x"}, f"c{n}")
    shallow = _open(repo.clone(tmp_path / "shallow", depth=1).path)
    assert shallow.is_shallow() is True
    assert shallow.commit(old) is None
    assert shallow.merge_base(shallow.head(), shallow.head()) == repo.head()


def test_nothing_the_repository_configures_runs(repo: Repo, tmp_path: Path) -> None:
    """.git/config from whoever cloned it, .gitattributes from the pull request: a monitor,
    a pager, an external diff, a text conversion, hooks. None runs for cfstep's git, while
    plain git does run the monitor (so the trap is real)."""
    base = repo.head()
    repo.commit({"x.txt": "1\n", ".gitattributes": "* diff=evil\n"}, "x")
    marker = tmp_path / "ran"
    hook = tmp_path / "hook.sh"
    hook.write_text(f'#!/bin/sh\necho "$0 $*" >> {marker}\nexit 0\n', encoding="utf-8")
    hook.chmod(0o755)
    for key, value in (
        ("core.fsmonitor", str(hook)),
        ("core.pager", str(hook)),
        ("diff.external", str(hook)),
        ("diff.evil.textconv", str(hook)),
        ("core.hooksPath", str(tmp_path)),
        ("diff.relative", "true"),
        ("color.ui", "always"),
        ("diff.noprefix", "true"),
    ):
        repo.git("config", key, value)
    found = _open(repo.path)
    assert found.changed_files(base, found.head()) == (".gitattributes", "x.txt")
    assert found.commit("HEAD~1") == base
    assert not marker.exists(), marker.read_text()
    repo.git("status")
    assert marker.exists()  # plain git runs the monitor


def test_the_runner_environment_does_not_reach_git(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = Repo.create(tmp_path / "elsewhere", {"other": "x"})
    for name, value in (
        ("GIT_DIR", str(elsewhere.path / ".git")),
        ("GIT_WORK_TREE", str(elsewhere.path)),
        ("GIT_EXTERNAL_DIFF", "/bin/false"),
        ("GIT_CONFIG_PARAMETERS", "'core.fsmonitor'='/bin/false'"),
    ):
        monkeypatch.setenv(name, value)
    assert _open(repo.path).head() == repo.head()


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a folder's owner needs root")
def test_a_repository_owned_by_another_user_is_read(repo: Repo) -> None:
    """Codefresh's volume belongs to root and the step runs as uid 10001: git refuses such
    a repository ("dubious ownership") unless it is a safe.directory. Here, as root, a
    repository owned by uid 10001 is the same case the other way round."""
    head = repo.head()
    subprocess.run(["chown", "-R", "10001:0", str(repo.path)], check=True)
    plain = subprocess.run(
        ["git", "-C", str(repo.path), "rev-parse", "HEAD"],
        env={"PATH": PATH, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull},
        capture_output=True,
        text=True,
        check=False,
    )
    assert "dubious ownership" in plain.stderr
    assert _open(repo.path).head() == head


@pytest.mark.parametrize(
    ("where", "reason"),
    [
        ("missing", "REPO_DIR {path} is not a folder (no repository cloned there?)"),
        ("empty", "no git repository at REPO_DIR {path}"),
    ],
)
def test_no_repository(tmp_path: Path, where: str, reason: str) -> None:
    path = tmp_path / where
    if where == "empty":
        path.mkdir()
    with pytest.raises(GitFailed) as failed:
        _open(path)
    assert failed.value.reason == reason.format(path=path)


def test_no_git(repo: Repo, tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    with pytest.raises(GitFailed, match="git is not installed"):
        _open(repo.path, search_path=str(tmp_path / "bin"))


def test_a_failing_git_says_its_first_line(repo: Repo, tmp_path: Path) -> None:
    search = _fake_git(tmp_path / "bin", "echo 'fatal: \033[31mbroken\033[0m' >&2; exit 128")
    with pytest.raises(GitFailed) as failed:
        _open(repo.path, search_path=search).head()
    assert failed.value.reason == "git rev-parse failed: fatal: ?[31mbroken?[0m"


def test_a_git_that_hangs_is_stopped_at_the_deadline(repo: Repo, tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild"
    # git and what it started: both must go (a grandchild would keep the pipe open).
    search = _fake_git(tmp_path / "bin", f"sleep 30 & echo $! > {pid_file}; sleep 30")
    found = _open(repo.path, search_path=search, seconds=0.3)
    started = time.monotonic()
    with pytest.raises(GitFailed, match="git took longer than 0 s, and was stopped"):
        found.head()
    assert time.monotonic() - started < 5
    assert process_gone(int(pid_file.read_text()))
    with pytest.raises(GitFailed, match="longer than"):  # the budget is spent for the run
        found.is_shallow()


def test_a_git_that_prints_too_much_is_stopped(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(git, "MAX_OUTPUT_BYTES", 1 << 20)
    search = _fake_git(tmp_path / "bin", "yes aaaaaaaaaaaaaaaa")
    with pytest.raises(GitFailed, match="git printed more than 1 MB"):
        _open(repo.path, search_path=search).changed_files("a", "b")


def test_a_git_that_cannot_start(repo: Repo, tmp_path: Path) -> None:
    search = _fake_git(tmp_path / "bin", "")
    (tmp_path / "bin" / "git").write_bytes(b"\x7fELF garbage")
    with pytest.raises(GitFailed, match="git could not be started"):
        _open(repo.path, search_path=search).head()
