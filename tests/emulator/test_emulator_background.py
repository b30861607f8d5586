"""`cfstep-emulator --background`, as the README's quick start uses it:
`eval "$(cfstep-emulator --background)"` returns once the emulator answers, leaves it
running in a session of its own, and sets CF_URL, CF_API_KEY and CFSTEP_EMULATOR_PID;
`kill "$CFSTEP_EMULATOR_PID"` stops it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from cfstep.emulator import DEFAULT_API_KEY, background
from cfstep.emulator.__main__ import parse_args
from readmekit import ended

COMMAND = [sys.executable, "-m", "cfstep.emulator", "--background"]
EXPORT = re.compile(
    r"export CF_URL=(http://127\.0\.0\.1:\d+) CF_API_KEY=(\S+) CFSTEP_EMULATOR_PID=(\d+)"
)


def servers_with(marker: str) -> list[int]:
    """Every running emulator whose command line holds `marker` (a test's own API key)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        running = proc.name.isdigit() and not ended(int(proc.name), within=0)
        if running and marker.encode() in cmdline:
            found.append(int(proc.name))
    return found


@pytest.fixture
def pids() -> Iterator[list[int]]:
    """Servers a test started: stopped after it, whatever happened."""
    started: list[int] = []
    yield started
    for pid in started:
        if not ended(pid, within=0):
            os.kill(pid, signal.SIGKILL)


def get(url: str, key: str) -> object:
    assert url.startswith("http://127.0.0.1:")
    request = urllib.request.Request(url, headers={"Authorization": key})  # noqa: S310 (checked)
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (checked)
        return json.loads(response.read())


def test_it_returns_once_the_emulator_answers_and_leaves_it_running(pids: list[int]) -> None:
    done = subprocess.run(COMMAND, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    line = EXPORT.fullmatch(done.stdout.strip())
    assert line is not None, done.stdout
    assert done.stdout.count("\n") == 1  # one line, for eval
    url, key, pid = line[1], line[2], int(line[3])
    pids.append(pid)
    assert key == DEFAULT_API_KEY
    assert 'kill "$CFSTEP_EMULATOR_PID"' in done.stderr  # how to stop it, on the terminal
    # It answered before the command returned, and outlives it in a session of its own
    # (so a Ctrl-C in the shell does not reach it); run() got end-of-file on both pipes,
    # so it keeps no copy of them.
    doc = get(f"{url}/api/pipelines/demo%2Fdeploy", key)
    assert isinstance(doc, dict)
    assert doc["metadata"]["name"] == "demo/deploy"
    assert os.getsid(pid) == pid != os.getsid(0)
    os.kill(pid, signal.SIGTERM)
    assert ended(pid, within=10), "the emulator did not stop on SIGTERM"


def test_eval_in_a_shell_sets_the_variables_with_the_values_quoted(pids: list[int]) -> None:
    """A key holding a space and a quote survives eval: every value is quoted for the shell."""
    key = "k 'quoted' $HOME"
    script = (
        f'eval "$({" ".join(COMMAND)} --api-key "$KEY")" && '
        'printf "%s\\n" "$CF_URL" "$CF_API_KEY" "$CFSTEP_EMULATOR_PID"'
    )
    done = subprocess.run(
        ["bash", "-c", script],
        env={**os.environ, "KEY": key},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    url, got_key, pid = done.stdout.splitlines()
    pids.append(int(pid))
    assert got_key == key
    assert isinstance(get(f"{url}/api/pipelines/demo%2Fdeploy", key), dict)


def test_the_log_file_gets_what_the_emulator_says(pids: list[int], tmp_path: Path) -> None:
    log = tmp_path / "emulator.log"
    done = subprocess.run(
        [*COMMAND, "--log-file", str(log), "--verbose"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    line = EXPORT.fullmatch(done.stdout.strip())
    assert line is not None, done.stderr
    pids.append(int(line[3]))
    get(f"{line[1]}/api/pipelines/demo%2Fdeploy", line[2])
    os.kill(int(line[3]), signal.SIGTERM)
    assert ended(int(line[3]), within=10)
    text = log.read_text(encoding="utf-8")
    assert f"cfstep-emulator listening on {line[1]}" in text
    assert '"GET /api/pipelines/demo%2Fdeploy HTTP/1.1" 200' in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scenario", "/nonexistent/scenario.yaml"], "cfstep-emulator: cannot load scenario"),
        (["--log-file", "/nonexistent/emulator.log"], "cfstep-emulator: cannot write the log file"),
    ],
    ids=["scenario", "log file"],
)
def test_an_emulator_that_cannot_start_is_exit_5_and_leaves_nothing_running(
    args: list[str], message: str
) -> None:
    marker = f"key-of-{os.getpid()}-{time.monotonic_ns()}"
    done = subprocess.run(
        [*COMMAND, *args, "--api-key", marker],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 5
    assert done.stdout == ""  # eval gets nothing to run
    assert done.stderr.startswith(message), done.stderr
    assert servers_with(marker) == []


def test_the_detached_server_gets_every_option_given() -> None:
    given = ["--background", "--scenario", "s.yaml", "--port", "8080", "--api-key", "k"]
    given += ["--verbose", "--log-file", "e.log", "--tls-cert", "c.pem", "--tls-key", "k.pem"]
    server = parse_args(background.server_arguments(parse_args(given)))
    assert server.detached
    assert not server.background  # it serves; it does not start another
    assert vars(server) == {**vars(parse_args(given)), "background": False, "detached": True}
