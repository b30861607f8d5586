"""`cfstep-emulator` as users start it: a subprocess that answers until SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

COMMAND = [sys.executable, "-m", "cfstep.emulator"]


@contextmanager
def serving(*args: str) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """Start the CLI and read its announcement lines; stop it with SIGTERM afterwards."""
    proc = subprocess.Popen(
        [*COMMAND, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().strip()]
        if "--print-env" in args:
            lines.append(proc.stdout.readline().strip())
        yield proc, lines
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=5)
        proc.stdout and proc.stdout.close()
        proc.stderr and proc.stderr.close()


def get(url: str, key: str) -> object:
    assert url.startswith("http://127.0.0.1:")
    request = urllib.request.Request(url, headers={"Authorization": key})  # noqa: S310 (checked)
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (checked)
        return json.loads(response.read())


def test_cli_serves_the_demo_scenario_and_exits_0_on_sigterm() -> None:
    with serving("--print-env", "--api-key", "k1") as (proc, lines):
        announce, env = lines
        assert announce.startswith("cfstep-emulator listening on http://127.0.0.1:")
        assert announce.endswith("(api key: k1)")
        url = announce.split()[3]
        assert env == f"export CF_URL={url} CF_API_KEY=k1"
        doc = get(f"{url}/api/pipelines/demo%2Fdeploy", "k1")
        assert isinstance(doc, dict)
        assert doc["metadata"]["name"] == "demo/deploy"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0


def test_cli_loads_a_scenario_file(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text("pipelines:\n  mine/one: {final: error}\n")
    with serving("--scenario", str(scenario)) as (_, lines):
        url = lines[0].split()[3]
        doc = get(f"{url}/api/pipelines/mine%2Fone", "test-api-key")
        assert isinstance(doc, dict)
        assert doc["metadata"]["name"] == "mine/one"
        with pytest.raises(urllib.error.HTTPError) as info:
            get(f"{url}/api/pipelines/demo%2Fdeploy", "test-api-key")
        assert info.value.code == 404
        info.value.close()


def test_cli_refuses_a_bad_scenario(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.yaml"
    scenario.write_text("pipelines:\n  p: {timelnie: []}\n")
    result = subprocess.run(
        [*COMMAND, "--scenario", str(scenario)],
        check=False,
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert result.returncode == 5
    assert "timelnie" in result.stderr
