"""Real git repositories for the tests of MODIFIED_FILES_GLOB (docs/monorepos.md): made with
the git CLI in a test's folder, commits with fixed authors and dates, clones full or
shallow. Import it by name, like `harness`: `from gitrepos import Repo`.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

# A monorepo of three services, a shared library and documentation.
MONOREPO: dict[str, str] = {
    "services/api/main.py": "print('api')\n",
    "services/api/README.md": "# api\n",
    "services/web/index.js": "console.log('web')\n",
    "services/web/README.md": "# web\n",
    "services/worker/job.py": "print('worker')\n",
    "libs/shared/util.py": "X = 1\n",
    "README.md": "# monorepo\n",
}

_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


class Repo:
    """A working tree at `path`, on branch `main`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ticks = 0

    @classmethod
    def create(cls, path: Path, files: Mapping[str, str] = MONOREPO) -> Repo:
        path.mkdir(parents=True, exist_ok=True)
        repo = cls(path)
        repo.git("init", "--quiet", "--initial-branch=main")
        repo.commit(files, "initial layout")
        return repo

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "-c", "protocol.file.allow=always", *args],
            cwd=self.path,
            env={**_ENV, "PATH": os.environ["PATH"], "HOME": str(self.path)},
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
        return done.stdout.strip()

    def commit(self, files: Mapping[str, str | None], message: str) -> str:
        """Write (or, for None, delete) the files, commit them all; the new commit's id."""
        for name, content in files.items():
            target = self.path / name
            if content is None:
                target.unlink()
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(content, encoding="utf-8")
        return self._commit_all(message)

    def rename(self, old: str, new: str, message: str = "rename") -> str:
        (self.path / new).parent.mkdir(parents=True, exist_ok=True)
        self.git("mv", old, new)
        return self._commit_all(message)

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def clone(self, path: Path, *, depth: int | None = None, branch: str = "main") -> Repo:
        """A clone as Codefresh's git-clone step makes one: `origin/<branch>` for every
        branch, HEAD on `branch`; shallow with `depth`."""
        args = ["clone", "--quiet", "--branch", branch]
        if depth is not None:
            args += ["--depth", str(depth), "--no-single-branch"]
        Repo(self.path).git(*args, f"file://{self.path}", str(path))
        return Repo(path)

    def _commit_all(self, message: str) -> str:
        self._ticks += 1
        date = f"2026-01-01T00:{self._ticks // 60:02d}:{self._ticks % 60:02d}Z"
        self.git("add", "--all")
        self.git("-c", f"user.name={_ENV['GIT_AUTHOR_NAME']}", "commit", "--quiet",
                 "--allow-empty", "-m", message, f"--date={date}")  # fmt: skip
        return self.head()


def process_gone(pid: int) -> bool:
    """The process has ended (a zombie waiting for its reaper counts), within 2 s: a git
    cfstep stopped, and what that git started."""
    give_up = time.monotonic() + 2
    while time.monotonic() < give_up:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.02)
    return False
