"""git, run safely, to read what changed in REPO_DIR (docs/monorepos.md, "How git is run").

The working tree is the pipeline's volume, cloned by an earlier step as root, and the files
in it come from a pull request: git runs with nothing configured by anyone but this module.
No system or global configuration, no pager, no external diff or text conversion, no
fsmonitor or hooks, no network (a partial clone does not fetch what it lacks), no optional
locks (the step may not write the volume), `safe.directory` for this repository alone (it
belongs to root, the step runs as uid 10001), and a clean environment (no GIT_DIR or other
GIT_* of the runner's). Paths come NUL-separated (`-z`), so no name is quoted or split.

Every command is bounded: all the git work of a run shares one budget (30 s of git's own
time), and its output is read up to a size; past either, git is killed and the answer is
"cannot tell" (`GitFailed`), never an exception the step does not expect.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import time

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from typing import IO

GIT_SECONDS = 30.0
"""All the git commands of one run together."""
MAX_OUTPUT_BYTES = 64 * 1024 * 1024
"""The most a command may print: a list of about half a million changed paths."""
_MAX_ERROR_BYTES = 4096
_CHUNK = 1 << 16

# Each overrides a setting the repository's own .git/config (written by whoever cloned it)
# could hold; the command line wins over every configuration file.
_SAFE_CONFIG = (
    "core.fsmonitor=false",  # an fsmonitor is a command git would start
    "core.hooksPath=/dev/null",  # no hook runs for these commands; none could if one did
    "core.pager=cat",
    "color.ui=false",
    "diff.relative=false",  # paths from the repository's root, wherever REPO_DIR points
    "diff.renames=false",  # both sides of a rename, as two paths
    "protocol.allow=never",  # a partial clone would fetch a missing object: no network
    "core.quotePath=false",
)
# Not `diff.external=`: an empty value makes git try to run "" for a patch; `--no-ext-diff`
# turns an external diff off for certain, and the clean environment drops GIT_EXTERNAL_DIFF.


class GitFailed(Exception):
    """git could not tell: missing, refused, failed, too slow or too talkative. `reason`
    ends the sentence "cannot tell what changed: …"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Repository:
    """The git working tree REPO_DIR names (or lies in), read with one time budget."""

    def __init__(self, git: str, top: str, search_path: str, seconds: float) -> None:
        self.git = git
        self.top = top
        self._environ = _clean_environment(search_path, top)
        self._seconds = seconds
        self._spent = 0.0  # by git itself: the time between its commands is not git's
        self._commits: dict[str, str | None] = {}

    def head(self) -> str:
        found = self.commit("HEAD")
        if found is None:
            raise GitFailed(f"the repository at {self.top} has no commit checked out (HEAD)")
        return found

    def commit(self, revision: str) -> str | None:
        """The commit `revision` names, as a full id; None when the repository lacks it.
        Asked once per revision: several children share a base."""
        if revision not in self._commits:
            self._commits[revision] = self._commit(revision)
        return self._commits[revision]

    def _commit(self, revision: str) -> str | None:
        code, out = self._run(
            "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}",
            ok=(0, 1),
        )  # fmt: skip
        found = out.decode("ascii", "replace").strip()
        return found if code == 0 and found else None

    def is_shallow(self) -> bool:
        _, out = self._run("rev-parse", "--is-shallow-repository")
        return out.strip() == b"true"

    def merge_base(self, one: str, other: str) -> str | None:
        """Their best common ancestor; None when none is in the repository (a shallow
        clone, or unrelated histories)."""
        code, out = self._run("merge-base", one, other, ok=(0, 1))
        found = out.decode("ascii", "replace").strip()
        return found if code == 0 and found else None

    def changed_files(self, base: str, head: str) -> tuple[str, ...]:
        """Every path that differs between the two commits' trees: added, modified,
        deleted, both sides of a rename, a submodule's path."""
        _, out = self._run(
            "diff", "--name-only", "-z", "--no-renames", "--no-ext-diff", "--no-textconv",
            "--no-color", "--no-relative", base, head, "--",
        )  # fmt: skip
        return tuple(
            path.decode("utf-8", "replace") for path in out.split(b"\0") if path
        )  # a name that is not UTF-8 keeps its other characters for the globs

    def _run(self, *args: str, ok: tuple[int, ...] = (0,)) -> tuple[int, bytes]:
        command = [self.git, "--no-pager"]
        for setting in (*_SAFE_CONFIG, f"safe.directory={self.top}"):
            command += ["-c", setting]
        command += args
        started = time.monotonic()
        deadline = started + max(0.0, self._seconds - self._spent)
        try:
            code, out, err = _bounded(command, self.top, self._environ, deadline)
        finally:
            self._spent += time.monotonic() - started
        if code is None:
            raise GitFailed(f"git took longer than {self._seconds:.0f} s, and was stopped")
        if code not in ok:
            raise GitFailed(f"git {args[0]} failed: {_first_line(err) or f'exit {code}'}")
        return code, out


def open_repository(repo_dir: str, search_path: str, seconds: float = GIT_SECONDS) -> Repository:
    """The repository holding `repo_dir`; GitFailed when there is none or no git."""
    git = _find_git(search_path)
    folder = os.path.abspath(repo_dir)
    if not os.path.isdir(folder):
        raise GitFailed(f"REPO_DIR {repo_dir} is not a folder (no repository cloned there?)")
    top = _top_of(folder)
    if top is None:
        raise GitFailed(f"no git repository at REPO_DIR {repo_dir}")
    return Repository(git, top, search_path, seconds)


def _find_git(search_path: str) -> str:
    import shutil  # only a run that reads git: shutil is not otherwise loaded at start-up

    found = shutil.which("git", path=search_path)
    if found is None:
        raise GitFailed("git is not installed (not found on PATH)")
    return found


def _top_of(folder: str) -> str | None:
    """The nearest folder, `folder` or above, that holds `.git` (a folder, or the file of a
    linked worktree or submodule): what git itself would find, and what safe.directory
    must name."""
    while True:
        if os.path.lexists(os.path.join(folder, ".git")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _clean_environment(search_path: str, top: str) -> dict[str, str]:
    nowhere = "/nonexistent"
    return {
        "PATH": search_path,
        "HOME": nowhere,  # no ~/.gitconfig, ~/.config/git/attributes
        "XDG_CONFIG_HOME": nowhere,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_ATTR_NOSYSTEM": "1",
        "GIT_CEILING_DIRECTORIES": os.path.dirname(top),  # never a repository above it
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_OPTIONAL_LOCKS": "0",  # no index refresh written to a volume that is root's
        "GIT_NO_LAZY_FETCH": "1",
        "GIT_PAGER": "cat",
        "PAGER": "cat",
        "LC_ALL": "C",  # messages as this module reads them
    }


_STOP_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT})


def _bounded(
    command: list[str], cwd: str, environ: dict[str, str], deadline: float
) -> tuple[int | None, bytes, bytes]:
    """Run `command` to its end within `deadline` (monotonic), reading at most
    MAX_OUTPUT_BYTES of its output: (exit code, output, error output); the code is None
    when the deadline passed. Killed (its whole process group) on any way out."""
    # SIGTERM and SIGINT are held while git starts: a signal between the start and the `try`
    # below would leave git's group running, with no one to kill it. It arrives once the
    # kill is certain. (git inherits the mask; it is only ever stopped with SIGKILL.)
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        process = subprocess.Popen(  # noqa: S603 - git, found on PATH, with fixed arguments
            command,
            cwd=cwd,
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own group, so a kill reaches what it started
        )
    except OSError as exc:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        raise GitFailed(f"git could not be started ({exc.strerror or exc})") from None
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        out, err = _read_both(process.stdout, process.stderr, deadline)
        if out is None:
            return None, b"", b""
        try:
            code = process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            return None, b"", b""
        return code, out, err
    finally:
        _kill(process)


def _read_both(
    stdout: IO[bytes] | None, stderr: IO[bytes] | None, deadline: float
) -> tuple[bytes | None, bytes]:
    """stdout (None past the deadline) and the start of stderr, both read as they come, so
    neither pipe fills and stops git."""
    out, err = bytearray(), bytearray()
    with selectors.DefaultSelector() as selector:
        for pipe, kept in ((stdout, out), (stderr, err)):
            if pipe is not None:
                selector.register(pipe, selectors.EVENT_READ, kept)
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None, bytes(err)
            for key, _ in selector.select(remaining):
                chunk = os.read(key.fd, _CHUNK)
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                buffer: bytearray = key.data
                if buffer is err:
                    buffer += chunk[: max(0, _MAX_ERROR_BYTES - len(buffer))]
                else:
                    buffer += chunk
                    if len(buffer) > MAX_OUTPUT_BYTES:
                        raise GitFailed(
                            f"git printed more than {MAX_OUTPUT_BYTES >> 20} MB, and was stopped"
                        )
    return bytes(out), bytes(err)


def _kill(process: subprocess.Popen[bytes]) -> None:
    """git's whole group, even when git itself has ended: what it started in the background
    may still run (a group's id is not reused while the group has members)."""
    with contextlib.suppress(OSError):  # the group is empty already
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


def _first_line(raw: bytes) -> str:
    """git's first line of complaint, printable and short (it may quote a file's name)."""
    for line in raw.decode("utf-8", "replace").splitlines():
        text = "".join(c if c.isprintable() else "?" for c in line.strip())
        if text:
            return text[:200]
    return ""
