"""Fidelity: Codefresh's own CLI (npm `codefresh` 1.2.7) runs against the emulator, which so
speaks Codefresh's protocol as Codefresh's own client expects it.

The CLI is installed by scripts/install-official-cli into .cache/official-cli/. Without npm
the tests skip with a message; under CI=true they fail instead, since CI must run them.
All invocations start at once (node needs ~2.5 s of CPU to start), each test reads its own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cfstep.emulator import Emulator, RecordedRequest
from harness import API_KEY

pytestmark = pytest.mark.node

ROOT = Path(__file__).resolve().parents[2]
INSTALL = ROOT / "scripts" / "install-official-cli"
CLI_DIR = Path(os.environ.get("OFFICIAL_CLI_DIR", ROOT / ".cache" / "official-cli"))
VERSION = "1.2.7"

SCENARIO = {
    "pipelines": {
        "proj/ok": {"timeline": [{"status": "running", "seconds": 30}], "final": "success"},
        # already final when the CLI first looks: its log path then prints and returns
        **{
            f"proj/{how}-ok": {"timeline": [], "final": "success", "logs": ["step ok: good"]}
            for how in ("follow", "fallback")
        },
        **{
            f"proj/{how}-fail": {"timeline": [], "final": "error", "logs": ["step fail: boom"]}
            for how in ("follow", "fallback")
        },
        "proj/slow": {"timeline": [{"status": "running"}]},
    }
}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}: CI must run the official CLI fidelity tests")
    pytest.skip(f"{reason}: official CLI fidelity tests skipped")


def _installed_binary() -> Path | None:
    binary = CLI_DIR / "node_modules" / ".bin" / "codefresh"
    package = CLI_DIR / "node_modules" / "codefresh" / "package.json"
    try:
        version = json.loads(package.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None
    return binary if version == VERSION and binary.exists() else None


def official_cli() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        _unavailable("node/npm not found")
    binary = _installed_binary()
    if binary is None:
        if not INSTALL.exists():
            _unavailable(f"{INSTALL} not found")
        done = subprocess.run(
            [str(INSTALL)], capture_output=True, text=True, timeout=600, check=False
        )
        if done.returncode != 0:
            _unavailable(f"installing codefresh@{VERSION} failed: {done.stderr.strip()[-300:]}")
        binary = _installed_binary()
        assert binary is not None, done.stderr
    return binary


@dataclass
class Ran:
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    requests: list[RecordedRequest]


@dataclass
class Runs:
    emu: Emulator
    slow_build: str
    results: dict[str, Ran]


COMMANDS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "detached": (("run", "proj/ok", "-d"), {}),
    "followed success": (("run", "proj/follow-ok"), {}),
    "followed error": (("run", "proj/follow-fail"), {}),
    # CF_CLI_RUN_WAIT_FALLBACK: the CLI's own fallback when logs cannot be read polls the
    # build until it ends instead of failing
    "followed success, fallback": (("run", "proj/fallback-ok"), {"CF_CLI_RUN_WAIT_FALLBACK": "1"}),
    "followed error, fallback": (("run", "proj/fallback-fail"), {"CF_CLI_RUN_WAIT_FALLBACK": "1"}),
    "terminate": (("terminate", "{slow}"), {}),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    binary = official_cli()
    home = tmp_path_factory.mktemp("cf-home")  # no ~/.cfconfig: CF_API_KEY makes the context
    with Emulator(SCENARIO, api_key=API_KEY) as emu:
        # The official CLI reads a live log with Firebase's SDK, which cannot read the
        # emulator's database: give it the stored log, as for a build already archived.
        emu.logstore.live = False
        slow = _start(emu, "proj/slow")
        procs = {}
        for name, (args, extra) in COMMANDS.items():
            argv = [str(binary), *(a.replace("{slow}", slow) for a in args)]
            env = {
                "PATH": os.environ.get("PATH", ""),
                "HOME": str(home),
                "CF_API_KEY": API_KEY,
                "CF_URL": emu.url,
                "NO_COLOR": "1",
                **extra,
            }
            procs[name] = (argv, subprocess.Popen(argv, env=env, text=True, **_PIPES))
        results = {}
        for name, (argv, proc) in procs.items():
            out, err = proc.communicate(timeout=120)
            results[name] = Ran(tuple(argv[1:]), proc.returncode, out, err, [])
        # which requests were whose: the CLI sends no marker, so attribute by build id/name
        requests = emu.requests
        for name, ran in results.items():
            ran.requests = [r for r in requests if _belongs(r, name, ran, slow, emu)]
        yield Runs(emu, slow, results)


_PIPES = {"stdin": subprocess.DEVNULL, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE}


def _start(emu: Emulator, pipeline: str) -> str:
    """A build started the way cfstep would, for the CLI's terminate to stop."""
    import http.client
    from urllib.parse import quote

    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
    path = f"/api/pipelines/run/{quote(pipeline, safe='')}?reqId=fidelity-{time.time_ns()}"
    conn.request("POST", path, body=b"{}", headers={"Authorization": API_KEY})
    build_id = json.loads(conn.getresponse().read())
    conn.close()
    assert isinstance(build_id, str)
    return build_id


def _belongs(r: RecordedRequest, name: str, ran: Ran, slow: str, emu: Emulator) -> bool:
    pipeline = ran.args[1] if ran.args[0] == "run" else None
    builds = {b.id: b for b in emu.runs()}
    if name == "terminate":
        return slow in r.path or builds[slow].progress in r.path
    return pipeline is not None and (
        pipeline.replace("/", "%2F") in r.path
        or any(
            b.pipeline == pipeline and (b.id in r.path or b.progress in r.path)
            for b in builds.values()
        )
    )


def _show(ran: Ran) -> str:
    lines = [f"{r.method} {r.path} -> {r.status}" for r in ran.requests]
    return f"exit {ran.code}\nstdout: {ran.stdout}\nstderr: {ran.stderr}\n" + "\n".join(lines)


def test_detached_run_prints_the_build_id(runs: Runs) -> None:
    ran = runs.results["detached"]
    assert ran.code == 0, _show(ran)
    build_id = ran.stdout.strip().splitlines()[-1]
    (build,) = [b for b in runs.emu.runs("proj/ok")]
    assert build.id == build_id
    assert build.req_id  # the SDK's reqId, as cfstep sends it
    posts = [r for r in runs.emu.requests if r.method == "POST" and "proj%2Fok" in r.path]
    assert posts[0].headers["authorization"] == API_KEY  # the raw key, no Bearer


@pytest.mark.parametrize(
    ("name", "code", "log"),
    [
        ("followed success, fallback", 0, "step ok: good"),
        ("followed error, fallback", 1, "step fail: boom"),
    ],
)
def test_followed_run_with_the_status_fallback(runs: Runs, name: str, code: int, log: str) -> None:
    """The run is followed by polling GET /api/builds/<id> until it ends; 0 and 1 as
    Codefresh's own exit codes for success and error."""
    ran = runs.results[name]
    assert ran.code == code, _show(ran)
    assert any(r.path.startswith("/api/builds/") for r in ran.requests)
    assert "Could not retrieve logs" not in ran.stdout + ran.stderr, _show(ran)
    assert log in ran.stdout, _show(ran)


@pytest.mark.parametrize(
    ("name", "code", "log"),
    [("followed success", 0, "step ok: good"), ("followed error", 1, "step fail: boom")],
)
def test_followed_run_prints_the_log_and_exits_like_codefresh(
    runs: Runs, name: str, code: int, log: str
) -> None:
    ran = runs.results[name]
    assert "Could not retrieve logs" not in ran.stdout + ran.stderr, _show(ran)
    assert log in ran.stdout, _show(ran)
    assert ran.code == code, _show(ran)


def test_terminate_stops_the_build(runs: Runs) -> None:
    ran = runs.results["terminate"]
    assert ran.code == 0, _show(ran)
    assert f"Build: {runs.slow_build} terminated" in ran.stdout
    build = runs.emu.builds[runs.slow_build]
    assert build.terminated_at is not None
    deletes = [r for r in ran.requests if r.method == "DELETE"]
    assert [r.path for r in deletes] == [f"/api/progress/{build.progress}"]


def test_every_request_of_the_cli_was_served(runs: Runs) -> None:
    """The emulator answered everything the official CLI asked with a 2xx, the log it
    fetches from the progress location included: no endpoint is missing."""
    answers = {f"{r.method} {r.path}": r.status for r in runs.emu.requests}
    assert any(key.startswith("GET /api/user") for key in answers)  # the CLI checks the key
    refused = {key: status for key, status in answers.items() if not 200 <= (status or 0) < 300}
    assert refused == {}
