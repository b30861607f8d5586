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

from cfstep.emulator import DEFAULT_API_KEY

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
        doc = get(f"{url}/api/pipelines/mine%2Fone", DEFAULT_API_KEY)
        assert isinstance(doc, dict)
        assert doc["metadata"]["name"] == "mine/one"
        with pytest.raises(urllib.error.HTTPError) as info:
            get(f"{url}/api/pipelines/demo%2Fdeploy", DEFAULT_API_KEY)
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


def test_cli_serves_https_with_a_given_certificate(tmp_path: Path) -> None:
    import ssl

    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    args = ("--tls-cert", str(tmp_path / "cert.pem"), "--tls-key", str(tmp_path / "key.pem"))
    with serving(*args, "--api-key", "k1") as (_proc, lines):
        url = lines[0].split()[3]
        assert url.startswith("https://127.0.0.1:")
        context = ssl.create_default_context()
        ca.configure_trust(context)
        request = urllib.request.Request(  # noqa: S310 (https on 127.0.0.1)
            f"{url}/api/pipelines/demo%2Fdeploy", headers={"Authorization": "k1"}
        )
        with urllib.request.urlopen(request, timeout=5, context=context) as response:  # noqa: S310
            assert json.loads(response.read())["metadata"]["name"] == "demo/deploy"


def test_cli_refuses_a_certificate_it_cannot_load(tmp_path: Path) -> None:
    (tmp_path / "cert.pem").write_text("not a certificate\n")
    done = subprocess.run(
        [*COMMAND, "--tls-cert", str(tmp_path / "cert.pem")],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert done.returncode == 5
    assert "cfstep-emulator: cannot load the TLS certificate" in done.stderr
