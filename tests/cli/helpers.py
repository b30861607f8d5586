"""Run the real entrypoint against the emulator, as a user would, and check nothing leaks.

`run_step` calls `cfstep.cli.main` in-process (fast; share a FakeClock with the emulator so
waits take milliseconds); `run_cli` and `start_cli` run `python -m cfstep` in a subprocess
(real time, real signals). Both give a `Result` and both assert, on every run, that the API
key and every secret value are absent from stdout, stderr, the export file and the output
JSON: that is the suite-wide leak check of SPEC §8.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfstep import cli
from cfstep.emulator import Emulator, RecordedRequest
from scenarios import DEFAULT_SCENARIO

# Distinctive values: any output that contains SENSITIVE has leaked one of them.
API_KEY = "key-SENSITIVE-123"
SECRET = "secret-SENSITIVE-456"  # noqa: S105 - a test value, distinctive to spot leaks
LEAK_MARK = "SENSITIVE"

RUN_PREFIX = "/api/pipelines/run/"
ODD_PIPELINE = "my project/deploy: prod"
ODD_PIPELINE_SEGMENT = "my%20project%2Fdeploy%3A%20prod"

# DEFAULT_SCENARIO plus what only the CLI suite needs.
CLI_SCENARIO: dict[str, Any] = {
    "pipelines": {
        **DEFAULT_SCENARIO["pipelines"],
        # A name with `/`, a space and `:`: must travel as ONE percent-encoded segment.
        ODD_PIPELINE: {"timeline": [{"status": "running", "seconds": 1}], "final": "success"},
        # running 2 s, then error, with a log that holds the secret value: masked when shown.
        "proj/leaky-fail": {
            "timeline": [{"status": "running", "seconds": 2}],
            "final": "error",
            "logs": ["connecting", f"token is {SECRET}", "boom"],
        },
        # running 2 s then success; returns a value that holds the secret (masked on export).
        "proj/leaky-ok": {
            "timeline": [{"status": "running", "seconds": 2}],
            "final": "success",
            "annotations": {"cfstep_out_TOKEN": SECRET, "cfstep_out_PLAIN": "visible"},
        },
    }
}


def _fixed_jitter() -> float:
    return 1.0


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str
    export_text: str  # the export file's whole text ("" when it was not written)
    output_json: Any = None  # the --output-json document, when one was asked for
    requests: list[RecordedRequest] = field(default_factory=list)  # sent during this run

    @property
    def exports(self) -> dict[str, str]:
        """The export file as Codefresh reads it: a later line for a key wins."""
        found: dict[str, str] = {}
        for line in self.export_text.splitlines():
            if line:
                key, _, value = line.partition("=")
                found[key] = value
        return found

    @property
    def stderr_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]

    def sent(self, method: str, path_prefix: str = "") -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    @property
    def run_requests(self) -> list[RecordedRequest]:
        return self.sent("POST", RUN_PREFIX)

    @property
    def body(self) -> Any:
        """The JSON body of the one run request of this run."""
        (only,) = self.run_requests
        return only.json


def base_env(emu: Emulator | None, **extra: str) -> dict[str, str]:
    """What Codefresh injects into a step, pointing at the emulator."""
    env = {"CF_API_KEY": API_KEY, "CF_URL": emu.url if emu else "http://127.0.0.1:9"}
    env.update(extra)
    return env


def assert_no_leak(result: Result, secrets: Sequence[str] = ()) -> None:
    """SPEC §8: neither the key nor a secret value in any output."""
    places = {
        "stdout": result.stdout,
        "stderr": result.stderr,
        "export file": result.export_text,
        "output JSON": json.dumps(result.output_json),
    }
    for where, text in places.items():
        assert LEAK_MARK not in text, f"a sensitive value leaked into {where}:\n{text}"
        for secret in (API_KEY, SECRET, *secrets):
            assert secret not in text, f"{secret!r} leaked into {where}"


def _output_json_path(env: Mapping[str, str], argv: Sequence[str]) -> Path | None:
    found = env.get("OUTPUT_JSON") or None
    for i, arg in enumerate(argv):
        if arg == "--output-json" and i + 1 < len(argv):
            found = argv[i + 1]
        elif arg.startswith("--output-json="):
            found = arg.partition("=")[2]
    return Path(found) if found else None


def _export_path(
    environ: Mapping[str, str], argv: Sequence[str], meta_export: Path | None
) -> Path | None:
    """Where cfstep writes: --export-file, EXPORT_FILE, /meta (when its folder exists), the
    volume."""
    for i, arg in enumerate(argv):
        if arg == "--export-file" and i + 1 < len(argv):
            return Path(argv[i + 1])
    if environ.get("EXPORT_FILE", "").strip():
        return Path(environ["EXPORT_FILE"].strip())
    if meta_export is not None and meta_export.parent.is_dir():  # a typed step's /meta
        return meta_export
    volume = environ.get("CF_VOLUME_PATH", "").strip()
    return Path(volume, "env_vars_to_export") if volume else None


def _read(path: Path | None) -> str:
    return path.read_text(encoding="utf-8") if path is not None and path.is_file() else ""


def _finish(
    *,
    code: int,
    stdout: str,
    stderr: str,
    export_path: Path | None,
    json_path: Path | None,
    requests: list[RecordedRequest],
    secrets: Sequence[str],
) -> Result:
    json_text = _read(json_path)
    result = Result(
        code=code,
        stdout=stdout,
        stderr=stderr,
        export_text=_read(export_path),
        output_json=json.loads(json_text) if json_text else None,
        requests=requests,
    )
    assert_no_leak(result, secrets)
    return result


def run_step(
    emu: Emulator | None,
    env: Mapping[str, str],
    argv: Sequence[str] = (),
    clock: Any = None,
    *,
    jitter: Callable[[], float] = _fixed_jitter,
    sleep: Callable[[float], None] | None = None,
    secrets: Sequence[str] = (),
    meta_export: Path | None = None,
) -> Result:
    """`cfstep.cli.main` in-process. The export file is `$CF_VOLUME_PATH/env_vars_to_export`
    in a fresh folder unless `env` names a volume; /meta is replaced by a path that does not
    exist. `clock` is a FakeClock (its sleep is used) or None for real time."""
    before = len(emu.requests) if emu else 0
    out, err = io.StringIO(), io.StringIO()
    with tempfile.TemporaryDirectory() as volume:
        environ = {"CF_VOLUME_PATH": volume, **env}
        timing: dict[str, Any] = {}
        if clock is not None:
            timing = {"clock": clock.now, "sleep": clock.sleep}
        if sleep is not None:
            timing["sleep"] = sleep
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(
                list(argv),
                environ,
                jitter_factor=jitter,
                meta_export=meta_export or Path(volume, "no-meta", "env_vars_to_export"),
                **timing,
            )
        export_path = _export_path(environ, argv, meta_export)
        requests = emu.requests[before:] if emu else []
        return _finish(
            code=code,
            stdout=out.getvalue(),
            stderr=err.getvalue(),
            export_path=export_path,
            json_path=_output_json_path(environ, argv),
            requests=requests,
            secrets=secrets,
        )


def _subprocess_env(env: Mapping[str, str]) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "SYSTEMROOT", "PYTHONPATH")
    return {**{k: os.environ[k] for k in keep if k in os.environ}, **env}


@dataclass
class Running:
    """A `python -m cfstep` subprocess started by `start_cli`."""

    process: subprocess.Popen[str]
    emu: Emulator | None
    export_path: Path
    json_path: Path | None
    before: int
    secrets: Sequence[str]

    def wait_for_export(self, key: str, timeout: float = 10.0) -> str:
        """Wait (real time) until the export file holds `key`; its value."""
        give_up = time.monotonic() + timeout
        pattern = re.compile(rf"^{re.escape(key)}=(.*)$", re.MULTILINE)
        while time.monotonic() < give_up:
            found = pattern.findall(_read(self.export_path))
            if found:
                return str(found[-1])
            assert self.process.poll() is None, "cfstep ended before exporting " + key
            time.sleep(0.02)
        raise AssertionError(f"{key} not exported within {timeout} s")

    def finish(self, timeout: float = 20.0) -> Result:
        stdout, stderr = self.process.communicate(timeout=timeout)
        requests = self.emu.requests[self.before :] if self.emu else []
        return _finish(
            code=self.process.returncode,
            stdout=stdout,
            stderr=stderr,
            export_path=self.export_path,
            json_path=self.json_path,
            requests=requests,
            secrets=self.secrets,
        )


def start_cli(
    emu: Emulator | None,
    env: Mapping[str, str],
    argv: Sequence[str] = (),
    *,
    volume: Path,
    secrets: Sequence[str] = (),
) -> Running:
    """`python -m cfstep` in a subprocess, its export file in `volume`."""
    environ = {"CF_VOLUME_PATH": str(volume), **env}
    before = len(emu.requests) if emu else 0
    process = subprocess.Popen(
        [sys.executable, "-m", "cfstep", *argv],
        env=_subprocess_env(environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return Running(
        process,
        emu,
        _export_path(environ, argv, None) or Path(volume, "env_vars_to_export"),
        _output_json_path(environ, argv),
        before,
        secrets,
    )


def run_cli(
    emu: Emulator | None,
    env: Mapping[str, str],
    argv: Sequence[str] = (),
    *,
    volume: Path,
    secrets: Sequence[str] = (),
    timeout: float = 20.0,
) -> Result:
    """`python -m cfstep` to its end."""
    return start_cli(emu, env, argv, volume=volume, secrets=secrets).finish(timeout)
