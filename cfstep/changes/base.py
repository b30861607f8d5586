"""What "changed" means for a child (docs/monorepos.md, "What changed since when"): the
CHANGED_FILES list, or git's changed files between a base and HEAD, the base chosen by
CHANGED_SINCE:

- `target`: the merge base of HEAD and the pull request's target branch;
- `last-success`: the commit of the child pipeline's last successful build on the branch;
- `auto`: `target` in a pull-request build, else `last-success`;
- anything else: a git revision.

Whatever cannot be had (no repository, no git, a shallow clone without the base, a base
that no longer exists, no earlier success, an API that cannot be read) raises `CannotTell`
with the reason, and the child runs. Each answer is asked once per run: the repository is
opened once, each base's files read once, the API asked once per pipeline and branch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cfstep.changes.git import GitFailed, open_repository
from cfstep.errors import InputError

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from typing import Protocol

    from cfstep.changes.git import Repository
    from cfstep.codefresh.answers import LastBuild, PipelineTriggers
    from cfstep.model import ChildSpec, OnlyChanged

    class BuildHistory(Protocol):
        """What choosing a base (and reading a trigger's glob) needs from Codefresh
        (`cfstep.changes.history`); each read raises `CannotTell` when it cannot be had."""

        def pipeline(self, name: str) -> PipelineTriggers: ...

        def last_success(self, pipeline_id: str, branch: str) -> LastBuild | None: ...


SHORT = 8  # characters of a commit id in a line
# A branch name git accepts, as far as it matters here: nothing a revision gives a meaning
# to (`~`, `^`, `:`, `..`, `@{`), no space or control character, no leading `-`.
_BRANCH = re.compile(r"(?!-)(?!.*\.\.)(?!.*@\{)[^\s~^:?*\[\\\x00-\x1f\x7f]+")


class CannotTell(Exception):
    """What changed cannot be known for a child: it runs. `reason` completes the sentence
    "cannot tell what changed: …"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Changed:
    """The changed files a child's globs are tried on, and where they come from, as a
    phrase after the number of files ("changed since 1a2b3c4d (how it was chosen)")."""

    files: tuple[str, ...]
    described: str


class Sources:
    """The changed files of every child of one run, each asked for once."""

    def __init__(self, settings: OnlyChanged, history: BuildHistory) -> None:
        self.settings = settings
        self.history = history
        self._repository: Repository | GitFailed | None = None
        self._files: dict[str, tuple[str, ...]] = {}

    def check(self) -> None:
        """Before anything is sent: a CHANGED_SINCE revision that a full clone does not
        know is the user's mistake (exit 5); in a shallow clone, or without a repository,
        the children will run, and say why."""
        since = self.settings.since
        if self.settings.changed_files is not None or since in ("auto", "target", "last-success"):
            return
        try:
            repository = self._repo()
            if repository.commit(since) is None and not repository.is_shallow():
                raise InputError(
                    f"CHANGED_SINCE: {since!r} is not a revision the repository at "
                    f"{repository.top} has (a full clone) — give a commit, tag or branch it "
                    "has, or auto, target or last-success"
                )
        except GitFailed:
            return

    def changed(self, child: ChildSpec) -> Changed:
        settings = self.settings
        if settings.changed_files is not None:
            source = f"CHANGED_FILES @{settings.changed_files_from}"
            return Changed(
                settings.changed_files,
                f"listed in {source if settings.changed_files_from else 'CHANGED_FILES'}",
            )
        try:
            repository = self._repo()
            base, how = self._base(repository, child)
            files = self._files.get(base)
            if files is None:
                files = self._files[base] = repository.changed_files(base, repository.head())
        except GitFailed as exc:
            raise CannotTell(exc.reason) from None
        return Changed(files, f"changed since {base[:SHORT]} ({how})")

    def _repo(self) -> Repository:
        if self._repository is None:
            try:
                self._repository = open_repository(
                    self.settings.repo_dir, self.settings.search_path
                )
            except GitFailed as exc:
                self._repository = exc
        if isinstance(self._repository, GitFailed):
            raise self._repository
        return self._repository

    def _base(self, repository: Repository, child: ChildSpec) -> tuple[str, str]:
        """The base commit's full id, and how it was chosen."""
        since = self.settings.since
        target = self.settings.pull_request_target
        if since == "target" or (since == "auto" and target):
            why = f"auto, a pull request to {target}" if since == "auto" else "target"
            return self._merge_base(repository, why)
        if since in ("auto", "last-success"):
            why = "auto, not a pull request" if since == "auto" else "last-success"
            return self._last_success(repository, child, why)
        found = repository.commit(since)
        if found is None:  # a full clone without it stopped the run in check()
            raise CannotTell(
                f"this is a shallow clone without CHANGED_SINCE {since!r} — clone with more "
                "history (git-clone's depth)"
            )
        return found, f"CHANGED_SINCE={since}"

    def _merge_base(self, repository: Repository, why: str) -> tuple[str, str]:
        target = self.settings.pull_request_target
        if not target:
            raise CannotTell(
                "CHANGED_SINCE=target, but this build is not a pull request "
                "(CF_PULL_REQUEST_TARGET is not set) — use last-success or a revision here"
            )
        if not _BRANCH.fullmatch(target):
            raise CannotTell(f"CF_PULL_REQUEST_TARGET {target!r} is not a branch name")
        tip, shown = _target_tip(repository, target)
        base = repository.merge_base(repository.head(), tip)
        if base is None:
            if repository.is_shallow():
                raise CannotTell(
                    f"this is a shallow clone without the merge base of HEAD and {shown} — "
                    "clone with more history (git-clone's depth)"
                )
            raise CannotTell(f"HEAD and {shown} have no commit in common")
        return base, f"the merge base of HEAD and {shown}; CHANGED_SINCE={why}"

    def _last_success(self, repository: Repository, child: ChildSpec, why: str) -> tuple[str, str]:
        repository.head()  # no repository, no commit: said before the API is asked
        branch = child.branch or self.settings.branch
        if not branch:
            raise CannotTell(
                "CHANGED_SINCE=last-success needs the branch, and neither BRANCH nor "
                "CF_BRANCH is set"
            )
        pipeline = self.history.pipeline(child.pipeline)
        last = self.history.last_success(pipeline.id, branch)
        if last is None:
            raise CannotTell(f"{child.pipeline} has no successful build on {branch} yet")
        built = f"the last successful build {last.id} of {child.pipeline} on {branch}"
        if last.revision is None:
            raise CannotTell(f"{built} names no commit")
        found = repository.commit(last.revision)
        if found is None:
            short = last.revision[:SHORT]
            if repository.is_shallow():
                raise CannotTell(
                    f"this is a shallow clone without {short}, the commit of {built} — clone "
                    "with more history (git-clone's depth), or set CHANGED_SINCE"
                )
            raise CannotTell(
                f"{short}, the commit of {built}, is no longer in the repository "
                "(history rewritten by a force-push?)"
            )
        return found, f"the commit of {built}; CHANGED_SINCE={why}"


def _target_tip(repository: Repository, target: str) -> tuple[str, str]:
    """The target branch's commit, as `origin/<target>` (a clone's remote branch) or
    `<target>`, and the name it was found by."""
    for ref, shown in (
        (f"refs/remotes/origin/{target}", f"origin/{target}"),
        (f"refs/heads/{target}", target),
    ):
        tip = repository.commit(ref)
        if tip is not None:
            return tip, shown
    raise CannotTell(
        f"the pull request's target branch {target} is not in the clone (neither "
        f"origin/{target} nor {target}) — fetch it in the git-clone step"
    )
