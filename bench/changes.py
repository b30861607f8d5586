"""Only what changed on a big monorepo (docs/monorepos.md, docs/performance.md): a repository
of 100,000 files of which 20,000 changed, 50 globs over 10 children, decided by the real
step. The figure that counts is the step's own time beyond git's.

The repository is made once with `git fast-import` (two commits: the base, then 19,000
files modified and 1,000 deleted across five of the ten services) and checked out, under
bench/.work/, and kept for the next run. Then:

- in-process: `cfstep.cli.main` with DRY_RUN and CHANGED_SINCE=<base> (nothing is sent,
  no API read is needed), every git command timed where it is started; the decision's time
  (check, decide, tell) minus git's is the step's own;
- as a pipeline runs it: `python -m cfstep` in a subprocess, wall time from start to exit.

Usage: python bench/changes.py [--repeats N] [--json PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from common import PYTHON, WORK, median, stats

from cfstep import cli
from cfstep.changes import decide, git

FILES = 100_000
SERVICES = 10
CHANGED_SERVICES = 5  # services s0 … s4 change; s5 … s9 do not
MODIFIED, DELETED = 19_000, 1_000
TARGET_OWN_SECONDS = 1.0
REPO = WORK / "changes-monorepo"
_LAYOUT = "v2"  # bump when the layout changes: the kept repository is made again


# How each child's own folder is written: three ways users write them.
SHAPES = {
    "folders": "services/s{n}/**",
    "braces": "{{services,apps}}/s{n}/**",
    "anywhere": "**/s{n}/**",
}


def children(shape: str = "folders") -> str:
    """PIPELINES: ten children, five globs each (50 globs in all)."""
    items = []
    for n in range(SERVICES):
        globs = [
            SHAPES[shape].format(n=n),
            f"libs/s{n}-client/**",
            "libs/shared/**",
            "!**/*.md",
            "!**/test_*.py",
        ]
        items.append({"pipeline": f"shop/s{n}", "modified_files_glob": globs})
    return json.dumps(items)


def make_repository(say: Callable[[str], None]) -> str:
    """The repository (kept between runs); the base commit's id."""
    marker = REPO / ".git" / "cfstep-bench-layout"
    if marker.exists() and marker.read_text().split()[0] == _LAYOUT:
        return marker.read_text().split()[1]
    began = time.monotonic()
    subprocess.run(["rm", "-rf", str(REPO)], check=True)
    REPO.mkdir(parents=True)
    _git("init", "--quiet", "--initial-branch=main")
    done = subprocess.run(
        ["git", "fast-import", "--quiet"],
        cwd=REPO,
        input=b"".join(_stream()),
        capture_output=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"git fast-import failed: {done.stderr.decode()[-500:]}")
    _git("checkout", "--quiet", "--force", "main")
    base = _git("rev-parse", "main~1")
    marker.write_text(f"{_LAYOUT} {base}\n")
    say(f"  made the repository ({FILES:,} files) in {time.monotonic() - began:.0f} s")
    return base


def _path(n: int) -> str:
    service, rest = divmod(n, FILES // SERVICES)
    package, index = divmod(rest, 100)
    name = "README.md" if index == 0 else f"test_{index}.py" if index % 10 == 1 else f"f{index}.py"
    return f"services/s{service}/pkg{package}/{name}"


def _stream() -> Iterator[bytes]:
    """fast-import's input: the base commit of FILES files, then one commit changing
    MODIFIED + DELETED of them in the first CHANGED_SERVICES services."""
    candidates = CHANGED_SERVICES * (FILES // SERVICES)
    wanted = MODIFIED + DELETED  # spread evenly over the changing services
    chosen = [i * candidates // wanted for i in range(wanted)]
    base = [(f"M 100644 inline {_path(n)}", f"v1 {n}") for n in range(FILES)]
    yield from _commit(1, "base", base)
    edits = [(f"M 100644 inline {_path(n)}", f"v2 {n}") for n in chosen[:MODIFIED]]
    edits += [(f"D {_path(n)}", None) for n in chosen[MODIFIED:]]
    yield from _commit(2, "change", edits, parent=":1")


def _commit(
    mark: int, message: str, changes: list[tuple[str, str | None]], parent: str | None = None
) -> Iterator[bytes]:
    yield (
        f"commit refs/heads/main\nmark :{mark}\n"
        f"committer Bench <bench@example.invalid> {1_700_000_000 + mark} +0000\n"
        f"data {len(message)}\n{message}\n"
    ).encode()
    if parent:
        yield f"from {parent}\n".encode()
    for command, content in changes:
        yield f"{command}\n".encode()
        if content is not None:
            data = content.encode()
            yield f"data {len(data)}\n".encode() + data + b"\n"
    yield b"\n"


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@contextlib.contextmanager
def timed_git() -> Iterator[list[float]]:
    """The wall time of every git command the step starts, as it is started."""
    spent: list[float] = []
    original = git._bounded

    def bounded(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - began)

    git._bounded = bounded  # type: ignore[assignment]
    try:
        yield spent
    finally:
        git._bounded = original  # type: ignore[assignment]


@contextlib.contextmanager
def timed_decision() -> Iterator[list[float]]:
    """The wall time of the decision: check, decide and tell, as the entrypoint calls them."""
    spent: list[float] = []
    originals = (decide.Decider.check, decide.Decider.decide, decide.tell)

    def timing(function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent.append(time.perf_counter() - began)

        return timed

    decide.Decider.check = timing(originals[0])  # type: ignore[method-assign]
    decide.Decider.decide = timing(originals[1])  # type: ignore[method-assign]
    decide.tell = timing(originals[2])  # the entrypoint imports it when it tells
    try:
        yield spent
    finally:
        decide.Decider.check, decide.Decider.decide, decide.tell = originals  # type: ignore[method-assign]


def _environment(base: str, shape: str = "folders") -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(WORK),
        "LANG": "C.UTF-8",
        "DRY_RUN": "true",
        "PIPELINES": children(shape),
        "CHANGED_SINCE": base,
        "REPO_DIR": str(REPO),
    }


def in_process(base: str, shape: str = "folders") -> dict[str, Any]:
    err = io.StringIO()
    with timed_git() as git_spent, timed_decision() as decision_spent:
        began = time.perf_counter()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = cli.main([], _environment(base, shape), meta_export="/nonexistent/export")
        total = time.perf_counter() - began
    lines = err.getvalue().splitlines()
    runs = sum(": runs — " in line for line in lines)
    skipped = sum(": skipped — " in line for line in lines)
    counted = [line for line in lines if "files changed since" in line]
    return {
        "exit_code": code,
        "main_seconds": total,
        "decision_seconds": sum(decision_spent),
        "git_seconds": sum(git_spent),
        "git_commands": len(git_spent),
        "own_seconds": sum(decision_spent) - sum(git_spent),
        "children_run": runs,
        "children_skipped": skipped,
        "changed_line": counted[0] if counted else "",
    }


def as_a_step(base: str) -> dict[str, Any]:
    began = time.perf_counter()
    done = subprocess.run(
        [str(PYTHON), "-m", "cfstep"],
        env=_environment(base),
        capture_output=True,
        text=True,
        check=False,
    )
    return {"exit_code": done.returncode, "wall_seconds": time.perf_counter() - began}


def run(repeats: int, say: Callable[[str], None]) -> dict[str, Any]:
    base = make_repository(say)
    changed = len(_git("diff", "--name-only", "--no-renames", base, "main").splitlines())
    steps = [as_a_step(base) for _ in range(repeats)]
    shapes = {}
    for shape, pattern in SHAPES.items():
        runs = [in_process(base, shape) for _ in range(repeats)]
        shapes[shape] = {
            "first_glob": pattern.format(n=0),
            "children_run": runs[0]["children_run"],
            "children_skipped": runs[0]["children_skipped"],
            "exit_codes": sorted({r["exit_code"] for r in runs}),
            "git_commands": runs[0]["git_commands"],
            "decision_seconds": stats(r["decision_seconds"] for r in runs),
            "git_seconds": stats(r["git_seconds"] for r in runs),
            "own_seconds": stats(r["own_seconds"] for r in runs),
        }
        say(
            f"  {shape} ({pattern.format(n=0)} …): {runs[0]['children_run']} run, "
            f"{runs[0]['children_skipped']} skipped; own "
            f"{median(r['own_seconds'] for r in runs):.3f} s, git "
            f"{median(r['git_seconds'] for r in runs):.3f} s"
        )
    worst = max(shape["own_seconds"]["max"] for shape in shapes.values())
    result = {
        "files": FILES,
        "changed_files": changed,
        "children": SERVICES,
        "globs": SERVICES * 5,
        "shapes": shapes,
        "step_wall_seconds": stats(s["wall_seconds"] for s in steps),
        "step_exit_codes": sorted({s["exit_code"] for s in steps}),
        "target_own_seconds": TARGET_OWN_SECONDS,
        "worst_own_seconds": worst,
        "met": worst <= TARGET_OWN_SECONDS,
    }
    say(
        f"  {FILES:,} files, {changed:,} changed, {result['globs']} globs over {SERVICES} "
        f"children: the step as a process {median(s['wall_seconds'] for s in steps):.2f} s "
        f"(folders); the slowest decision's own time {worst:.3f} s"
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", default="-")
    args = parser.parse_args(argv)
    result = run(args.repeats, lambda line: print(line, file=sys.stderr, flush=True))
    text = json.dumps(result, indent=2)
    if args.json == "-":
        print(text)
    else:
        Path(args.json).write_text(text + "\n")
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
