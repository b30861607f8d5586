"""The start-up paths import only what they use (docs/performance.md). Not timed: what is loaded is
asserted, in a fresh interpreter, since the test process has imported everything already."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# The skip path of a false condition decides and exits: no HTTP, no TLS, no trigger code.
# A step runs with its inputs in the environment and no arguments: no argparse, no yaml for a
# one-expression condition, no pathlib.
SKIP_PATH_FORBIDDEN = (
    "http.client",
    "ssl",
    "cfstep.step",
    "cfstep.transport",
    "argparse",
    "cfstep.flags",
    "yaml",
    "pathlib",
    "regex",  # only a condition that uses match() or a /regex/ branch filter loads it
)


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
        "CF_URL": "http://127.0.0.1:9",  # nothing listens: a request would fail the run
        "PIPELINE_ID": "proj/ok",
        "CONDITION_ALL": '"a" == "b"',
    }
    code = (
        "from cfstep.cli import main\n"
        "code = main([], meta_export='/nonexistent/export')\n"
        "assert code == 0, code"
    )
    loaded = _modules_after(code, env)
    assert "cfstep.decide" in loaded  # the condition really was evaluated
    assert sorted(m for m in SKIP_PATH_FORBIDDEN if m in loaded) == []


@pytest.mark.parametrize("module", ["yaml", "http.client", "ssl", "cfstep.transport"])
def test_importing_the_entrypoint_does_not_import(module: str, tmp_path: object) -> None:
    """`import cfstep.cli` does no work and loads nothing a given run might not need."""
    loaded = _modules_after("import cfstep.cli", _base_env(tmp_path))
    assert "cfstep.cli" in loaded
    assert module not in loaded
