"""The start-up paths import only what they use (docs/performance.md). Not timed: what is loaded is
asserted, in a fresh interpreter, since the test process has imported everything already."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness import closed_url

# The skip path of a false condition decides and exits: no HTTP, no TLS, no trigger code.
# A step runs with its inputs in the environment and no arguments: no argparse, no yaml for a
# one-expression condition, no pathlib.
SKIP_PATH_FORBIDDEN = (
    "http.client",
    "ssl",
    "cfstep.run.compose",
    "cfstep.codefresh.transport",
    "cfstep.codefresh.network",
    "argparse",
    "cfstep.inputs.flags",
    "yaml",
    "pathlib",
    "typing",  # a condition's casts speak to the type checker only
    "regex",  # only a condition that uses match() or a /regex/ branch filter loads it
    "importlib.metadata",  # the version: only --version and the trigger's User-Agent ask
    *("wcmatch", "bracex", "cfstep.changes.globs", "subprocess"),  # MODIFIED_FILES_GLOB only
)

# The HTTP client and what it brings: the trigger path only.
HTTP_CLIENT = ("requests", "urllib3", "charset_normalizer", "idna", "certifi")


def _modules_after(code: str, env: dict[str, str]) -> set[str]:
    """Run `code` in a new interpreter; the names in its sys.modules at the end."""
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def _base_env(tmp_path: object) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}


def test_skip_path_does_not_import_the_http_stack(tmp_path: object) -> None:
    """CONDITION_ALL false: the step exits 0 without loading http.client, ssl or the trigger."""
    env = {
        **_base_env(tmp_path),
        "CF_API_KEY": "import-cost-test-key",
        "CF_URL": closed_url(),  # a request would be refused and fail the run
        "PIPELINE_ID": "proj/ok",
        "CONDITION_ALL": '"a" == "b"',
    }
    code = (
        "from cfstep.cli import main\n"
        "code = main([], meta_export='/nonexistent/export')\n"
        "assert code == 0, code"
    )
    loaded = _modules_after(code, env)
    assert "cfstep.run.gate" in loaded  # the condition really was evaluated
    assert sorted(m for m in (*SKIP_PATH_FORBIDDEN, *HTTP_CLIENT) if m in loaded) == []


@pytest.mark.parametrize(
    ("argv", "extra_env", "printed"),
    [
        (["--help"], {}, "usage: cfstep"),
        (["--version"], {}, "cfstep "),
        ([], {"DRY_RUN": "true"}, "dry run: nothing was sent"),
        (["--dry-run", "--pipeline", "proj/ok"], {}, "dry run: nothing was sent"),
    ],
    ids=["--help", "--version", "DRY_RUN", "--dry-run"],
)
def test_paths_that_send_nothing_do_not_import_the_http_client(
    argv: list[str], extra_env: dict[str, str], printed: str, tmp_path: object
) -> None:
    env = {
        **_base_env(tmp_path),
        "CF_API_KEY": "import-cost-test-key",
        "CF_URL": closed_url(),
        "PIPELINE_ID": "proj/ok",
        **extra_env,
    }
    code = (
        "import contextlib, io\n"
        "from cfstep.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):\n"
        f"    code = main({argv!r}, meta_export='/nonexistent/export')\n"
        "assert code == 0, (code, out.getvalue())\n"
        f"assert {printed!r} in out.getvalue(), out.getvalue()\n"
    )
    loaded = _modules_after(code, env)
    assert sorted(m for m in HTTP_CLIENT if m in loaded) == []
    assert "cfstep.codefresh.transport" not in loaded
    assert "cfstep.codefresh.network" not in loaded


def test_the_trigger_path_does_import_requests(tmp_path: object) -> None:
    """The check above could pass by never loading anything: the trigger path loads it."""
    code = "import cfstep.run.compose, cfstep.codefresh.transport"
    loaded = _modules_after(code, _base_env(tmp_path))
    assert {"requests", "urllib3", "cfstep.codefresh.network"} <= loaded


# The live-log reader: loaded when a child's log is followed or read from the log
# database, never by a trigger that does neither (DETACH, FOLLOW_LOGS off, a storage tail).
LIVE_LOG_READER = (
    "cfstep.logs.stream",
    "cfstep.logs.sse",
    "cfstep.logs.tree",
    "cfstep.logs.firebase",
    "cfstep.logs.jsonstream",
    "cfstep.logs.reconnect",
)
STORED_LOG_READER = "cfstep.logs.stored"  # only when a log is read whole (a tail, a count)


def test_the_trigger_path_does_not_import_the_live_log_reader(tmp_path: object) -> None:
    loaded = _modules_after("import cfstep.run.compose, cfstep.run.report", _base_env(tmp_path))
    assert {"cfstep.logs.live", "cfstep.logs.tail"} <= loaded  # what the step holds is there
    assert sorted(m for m in (*LIVE_LOG_READER, STORED_LOG_READER) if m in loaded) == []


def test_following_a_log_does_import_the_live_log_reader(tmp_path: object) -> None:
    """The check above could pass with misspelt names: following loads exactly these."""
    loaded = _modules_after("import cfstep.logs.stream", _base_env(tmp_path))
    assert set(LIVE_LOG_READER) <= loaded


@pytest.mark.parametrize(
    "module",
    [
        "yaml",
        "http.client",
        "ssl",
        "cfstep.codefresh.transport",
        "cfstep.codefresh.network",
        "importlib.metadata",
        *HTTP_CLIENT,
    ],
)
def test_importing_the_entrypoint_does_not_import(module: str, tmp_path: object) -> None:
    """`import cfstep.cli` does no work and loads nothing a given run might not need."""
    loaded = _modules_after("import cfstep.cli", _base_env(tmp_path))
    assert "cfstep.cli" in loaded
    assert module not in loaded


# Only what changed (docs/monorepos.md): a step without MODIFIED_FILES_GLOB, even one that
# triggers, loads neither the glob library nor the deciding code, and starts no git.
ONLY_WHAT_CHANGED = ("wcmatch", "bracex", "cfstep.changes", "cfstep.changes.git")
_TRIGGER_ON_THE_EMULATOR = (
    "import contextlib, io, os\n"
    "from cfstep.emulator import Emulator\n"
    "emu = Emulator({'pipelines': {'proj/ok': {'timeline': [{'status': 'running', "
    "'seconds': 0.2}]}}}, api_key='import-cost-test-key').start()\n"
    "os.environ['CF_URL'] = emu.url\n"
    "from cfstep.cli import main\n"
    "out = io.StringIO()\n"
    "with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):\n"
    "    code = main([], meta_export='/nonexistent/export')\n"
    "emu.stop()\n"
    "assert code == 0, (code, out.getvalue())\n"
)


def _fake_git(tmp_path: Path) -> tuple[str, Path]:
    """A PATH whose first `git` leaves a mark when started."""
    marker = tmp_path / "git-was-started"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "git"
    fake.write_text(f'#!/bin/sh\ntouch {marker}\nexec /usr/bin/git "$@"\n')
    fake.chmod(0o755)
    return f"{bin_dir}:/usr/bin:/bin", marker


def test_a_trigger_without_modified_files_glob_reads_no_git(tmp_path: Path) -> None:
    search, marker = _fake_git(tmp_path)
    env = {
        **_base_env(tmp_path),
        "PATH": search,
        "CF_API_KEY": "import-cost-test-key",
        "PIPELINE_ID": "proj/ok",
        "CHANGED_SINCE": "HEAD~1",  # alone, it decides nothing
    }
    loaded = _modules_after(_TRIGGER_ON_THE_EMULATOR, env)
    assert "cfstep.run.compose" in loaded  # it did trigger
    assert sorted(m for m in ONLY_WHAT_CHANGED if m in loaded) == []
    assert not marker.exists()


def test_a_trigger_with_modified_files_glob_does_load_them(tmp_path: Path) -> None:
    """The check above could pass with misspelt names: this run loads exactly those."""
    search, marker = _fake_git(tmp_path)
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "--quiet", str(repo)], check=True)
    env = {
        **_base_env(tmp_path),
        "PATH": search,
        "CF_API_KEY": "import-cost-test-key",
        "PIPELINE_ID": "proj/ok",
        "MODIFIED_FILES_GLOB": "**",
        "REPO_DIR": str(repo),  # no commit yet: git is asked, and cannot tell
    }
    loaded = _modules_after(_TRIGGER_ON_THE_EMULATOR, env)
    assert set(ONLY_WHAT_CHANGED) <= loaded
    assert marker.exists()
