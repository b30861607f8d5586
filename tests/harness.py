"""How the suite runs cfstep, reads what it wrote, and checks that nothing leaked.

`run_step` calls the real entrypoint, `cfstep.cli.main`, in this process (fast: share a
FakeClock with the emulator and waits take milliseconds); `start_cli` and `run_cli` run
`python -m cfstep` in a subprocess (real time, real signals). Every run gives a `Result`,
and every run passes the one leak check: the API key and each secret value, as written,
JSON-escaped or percent-encoded, appear in none of stdout, stderr, the export file and the
output JSON (docs/decisions.md: masking).

Import it by name, like `scenarios` and `fakeclock`: `from harness import run_step`.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from cfstep import cli
from cfstep.emulator import Emulator, RecordedRequest
from fakeclock import FakeClock

# Distinctive values: any output that contains LEAK_MARK has leaked one of the first two.
# As long as a Codefresh key (an id, a dot, a secret): a shorter one draws a warning.
API_KEY = "5f0c0ffee0c0ffee0c0ffee0.key-SENSITIVE-123-0c0ffee0c0ffee"
SECRET = "secret-SENSITIVE-456"  # noqa: S105 - a test value, distinctive to spot leaks
SECOND_SECRET = "pa55w0rd;with=specials&more"  # noqa: S105 - changes when escaped or encoded
LEAK_MARK = "SENSITIVE"

RUN_PREFIX = "/api/pipelines/run/"


@dataclass
class Result:
    """What one run left for the user: exit code, streams, export file, output JSON."""

    code: int
    stdout: str
    stderr: str
    export_text: str = ""  # the export file's whole text ("" when it was not written)
    output_json_text: str = ""  # the --output-json file's text ("" when not written)
    requests: list[RecordedRequest] = field(default_factory=list)  # sent during this run

    @property
    def exports(self) -> dict[str, str]:
        """The export file as Codefresh reads it: a later line for a key wins."""
        return parse_exports(self.export_text)

    @property
    def export_lines(self) -> list[str]:
        return [line for line in self.export_text.splitlines() if line]

    @property
    def output_json(self) -> Any:
        """The --output-json document, None when none was written."""
        return json.loads(self.output_json_text) if self.output_json_text else None

    @property
    def stderr_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]

    @property
    def build_ids(self) -> list[str]:
        """The exported BUILD_ID, one id per child."""
        return self.exports["BUILD_ID"].split(" ")

    @property
    def texts(self) -> dict[str, str]:
        """Every place a value can leak to, by name."""
        return {
            "stdout": self.stdout,
            "stderr": self.stderr,
            "export file": self.export_text,
            "output JSON": self.output_json_text,
        }

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


def parse_exports(text: str) -> dict[str, str]:
    """KEY=VALUE lines, as Codefresh reads the export file: a later line for a key wins."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            found[key] = value
    return found


def base_env(emu: Emulator | None, **extra: str) -> dict[str, str]:
    """What Codefresh injects into a step, pointing at the emulator (or at `closed_url()`)."""
    return {"CF_API_KEY": API_KEY, "CF_URL": emu.url if emu else closed_url(), **extra}


# -- the leak check --------------------------------------------------------------------------


def secret_forms(values: Sequence[str]) -> list[str]:
    """Each secret as written, JSON-escaped and percent-encoded: any of them is a leak."""
    forms = {LEAK_MARK}
    for value in values:
        if value:
            forms.update({value, json.dumps(value)[1:-1], quote(value, safe="")})
    return sorted(forms)


def find_leaks(texts: Mapping[str, str], secrets: Sequence[str] = ()) -> list[str]:
    """Where a secret (or the key) shows, as `place: form`."""
    forms = secret_forms([API_KEY, SECRET, SECOND_SECRET, *secrets])
    return [f"{place}: {form!r}" for place, text in texts.items() for form in forms if form in text]


def assert_no_leak(
    result: Result, secrets: Sequence[str] = (), figures: Figures | None = None
) -> None:
    """Fails when the key or a secret shows in any output of `result`; counts the scan."""
    hits = find_leaks(result.texts, secrets)
    if figures is not None:
        figures.scanned(result, hits)
    assert not hits, f"a sensitive value leaked: {hits}\n--- stderr ---\n{result.stderr}"


# -- the reliability figures ----------------------------------------------------------------


@dataclass(frozen=True)
class MatrixRow:
    """One case of the fault matrix, as reported at the end of the session."""

    request: str
    fault: str
    expected: str
    passed: bool
    builds: int
    duplicates: int


@dataclass
class Figures:
    """What the reliability suite counts (docs/reliability.md): one per session, given by
    the `figures` fixture; each test adds to it, none reads what another added."""

    counts: Counter[str] = field(default_factory=Counter)
    matrix: list[MatrixRow] = field(default_factory=list)

    def scanned(self, result: Result, hits: Sequence[str]) -> None:
        self.counts["runs"] += 1
        self.counts["leak_scans"] += len(result.texts)
        self.counts["leaks"] += len(hits)

    def report(self, *, grid: bool = False) -> list[str]:
        """The figures as lines for the end of the session; `grid`: the matrix itself too."""
        lines = []
        if self.matrix:
            passed = sum(row.passed for row in self.matrix)
            duplicates = sum(row.duplicates for row in self.matrix)
            lines.append(
                f"fault matrix: {len(self.matrix)} cases, {passed} passed, "
                f"duplicate builds found: {duplicates}"
            )
            if grid:
                lines += self._grid()
        if self.counts["runs"]:
            lines.append(
                f"leak scans: {self.counts['leak_scans']} texts of {self.counts['runs']} runs, "
                f"leaks found: {self.counts['leaks']}"
            )
        for key, count in self.counts.items():
            if key not in {"runs", "leak_scans", "leaks"}:
                lines.append(f"{key.replace('_', ' ')}: {count}")
        return lines

    def _grid(self) -> list[str]:
        """Fault by request, each cell the outcome expected (FAIL when it was not seen)."""
        cells = {(r.fault, r.request): r for r in self.matrix if r.fault != "persistent"}
        faults = list(dict.fromkeys(fault for fault, _ in cells))
        requests = list(dict.fromkeys(request for _, request in cells))
        width = max(len(f) for f in ["fault", *faults])
        lines = [f"{'fault':<{width}}  " + "  ".join(f"{r:<21}" for r in requests).rstrip()]
        for fault in faults:
            row = [_cell(cells.get((fault, request))) for request in requests]
            lines.append(f"{fault:<{width}}  " + "  ".join(f"{c:<21}" for c in row).rstrip())
        return lines


def _cell(row: MatrixRow | None) -> str:
    if row is None:
        return ""
    return row.expected if row.passed else f"FAIL {row.expected}"


# -- running cfstep --------------------------------------------------------------------------


def _flag_value(argv: Sequence[str], flag: str) -> str | None:
    found = None
    for i, arg in enumerate(argv):
        if arg == flag and i + 1 < len(argv):
            found = argv[i + 1]
        elif arg.startswith(f"{flag}="):
            found = arg.partition("=")[2]
    return found


def _output_json_path(environ: Mapping[str, str], argv: Sequence[str]) -> Path | None:
    found = _flag_value(argv, "--output-json") or environ.get("OUTPUT_JSON") or None
    return Path(found) if found else None


def _export_path(
    environ: Mapping[str, str], argv: Sequence[str], meta_export: Path | None
) -> Path | None:
    """Where cfstep writes: --export-file, EXPORT_FILE, /meta (when its folder exists), the
    volume."""
    explicit = _flag_value(argv, "--export-file") or environ.get("EXPORT_FILE", "").strip()
    if explicit:
        return Path(explicit)
    if meta_export is not None and meta_export.parent.is_dir():  # a typed step's /meta
        return meta_export
    volume = environ.get("CF_VOLUME_PATH", "").strip()
    return Path(volume, "env_vars_to_export") if volume else None


def _read(path: Path | None) -> str:
    return path.read_text(encoding="utf-8") if path is not None and path.is_file() else ""


def _counted_sleep(
    clock: FakeClock | None, on_sleep: Callable[[int], None] | None
) -> Callable[[float], None] | None:
    """The clock's sleep (None: cfstep's own), calling `on_sleep(n)` before the n-th wait."""
    if on_sleep is None:
        return clock.sleep if clock is not None else None
    sleep = clock.sleep if clock is not None else time.sleep
    waits = 0

    def counted(seconds: float) -> None:
        nonlocal waits
        waits += 1
        on_sleep(waits)
        sleep(seconds)

    return counted


def run_step(
    emu: Emulator | None,
    env: Mapping[str, str],
    argv: Sequence[str] = (),
    clock: FakeClock | None = None,
    *,
    on_sleep: Callable[[int], None] | None = None,
    secrets: Sequence[str] = (),
    meta_export: Path | None = None,
    figures: Figures | None = None,
) -> Result:
    """`cfstep.cli.main` in-process, its output captured and checked for leaks.

    The export file is `$CF_VOLUME_PATH/env_vars_to_export` in a fresh folder unless `env`
    names a volume or a file; /meta is a path that does not exist unless `meta_export` is
    given. `clock`: a FakeClock shared with the emulator, or None for real time.
    `on_sleep(n)` is called before the step's n-th wait (from 1): a test acts there while
    the step is following, as a child pipeline, a runner or a user would.
    """
    before = len(emu.requests) if emu else 0
    out, err = io.StringIO(), io.StringIO()
    timing: dict[str, Any] = {"clock": clock.now} if clock is not None else {}
    sleep = _counted_sleep(clock, on_sleep)
    if sleep is not None:
        timing["sleep"] = sleep
    with tempfile.TemporaryDirectory() as volume:
        environ = {"CF_VOLUME_PATH": volume, **env}
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(
                list(argv),
                environ,
                jitter_factor=lambda: 1.0,
                meta_export=meta_export or Path(volume, "no-meta", "env_vars_to_export"),
                **timing,
            )
        result = Result(
            code=code,
            stdout=out.getvalue(),
            stderr=err.getvalue(),
            export_text=_read(_export_path(environ, argv, meta_export)),
            output_json_text=_read(_output_json_path(environ, argv)),
            requests=emu.requests[before:] if emu else [],
        )
    assert_no_leak(result, [environ.get("CF_API_KEY", ""), *secrets], figures)
    return result


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
    figures: Figures | None = None

    @property
    def exports(self) -> dict[str, str]:
        """The export file as it is now."""
        return parse_exports(_read(self.export_path))

    def wait_for(self, what: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait (real time) until `what()` is true; fails if cfstep ends first."""
        give_up = time.monotonic() + timeout
        while not what():
            assert self.process.poll() is None, f"cfstep ended early: {self.process.communicate()}"
            assert time.monotonic() < give_up, f"timed out after {timeout} s"
            time.sleep(0.01)

    def wait_for_export(self, key: str, timeout: float = 10.0) -> str:
        """Wait (real time) until the export file holds `key`; its value."""
        self.wait_for(lambda: key in self.exports, timeout)
        return self.exports[key]

    def finish(self, timeout: float = 20.0) -> Result:
        try:
            stdout, stderr = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            raise
        result = Result(
            code=self.process.returncode,
            stdout=stdout,
            stderr=stderr,
            export_text=_read(self.export_path),
            output_json_text=_read(self.json_path),
            requests=self.emu.requests[self.before :] if self.emu else [],
        )
        assert_no_leak(result, self.secrets, self.figures)
        return result

    def kill(self) -> None:
        """Ends the process if it still runs (a test that failed half-way)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate(timeout=5)


def start_cli(
    emu: Emulator | None,
    env: Mapping[str, str],
    argv: Sequence[str] = (),
    *,
    volume: Path,
    secrets: Sequence[str] = (),
    figures: Figures | None = None,
) -> Running:
    """`python -m cfstep` in a subprocess, its export file in `volume` unless `env` says."""
    environ = {"CF_VOLUME_PATH": str(volume), **env}
    before = len(emu.requests) if emu else 0
    process = subprocess.Popen(
        [sys.executable, "-m", "cfstep", *argv],
        env=_subprocess_env(environ),
        stdin=subprocess.DEVNULL,
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
        [environ.get("CF_API_KEY", ""), *secrets],
        figures,
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


@functools.cache
def closed_url() -> str:
    """`http://127.0.0.1:<port>` where every connection is refused by the system, for the
    whole session: a socket of this process holds the port, bound and never listening, so
    no server can be given it."""
    return f"http://127.0.0.1:{_refusing_socket().getsockname()[1]}"


@functools.cache
def _refusing_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


# -- reading the emulator's request log ------------------------------------------------------


def run_posts(emu: Emulator) -> list[RecordedRequest]:
    return [r for r in emu.requests if r.method == "POST" and r.path.startswith(RUN_PREFIX)]


def build_gets(emu: Emulator, build_id: str | None = None) -> list[RecordedRequest]:
    """The status requests (GET /api/builds/<id>), of one build or of all."""
    return [
        r
        for r in emu.requests
        if r.method == "GET"
        and r.path.startswith("/api/builds/")
        and (build_id is None or r.path == f"/api/builds/{build_id}")
    ]


def deleted_progress(emu: Emulator) -> list[str]:
    """Progress ids the step asked Codefresh to terminate, in order."""
    prefix = "/api/progress/"
    return [unquote(r.path[len(prefix) :]) for r in emu.requests if r.method == "DELETE"]


def variables_of(body: Mapping[str, Any]) -> dict[str, str]:
    """The plain (not encrypted) variables of a run request's body."""
    return {v["key"]: v["value"] for v in body.get("variables", []) if not v.get("encrypted")}


def max_running(emu: Emulator) -> int:
    """The most builds running at once, from the emulator's created/finished times: at each
    creation, count the builds created by then that had not yet ended."""
    builds = emu.runs()
    peak = 0
    for build in builds:
        at = build.created
        running = [b for b in builds if b.created <= at and (b.finished is None or b.finished > at)]
        peak = max(peak, len(running))
    return peak


def max_in_flight(emu: Emulator) -> int:
    """The most children the step had running at once, from the request log alone: a run
    request adds one; the first status request that sees a build ended (its time at or
    after the build's end), or a DELETE of its progress, takes it away."""
    builds = {b.id: b for b in emu.runs()}
    by_progress = {b.progress: b.id for b in builds.values()}
    seen_ended: set[str] = set()
    running = peak = 0
    for request in emu.requests:
        ended: str | None = None
        if request.method == "POST" and request.path.startswith(RUN_PREFIX):
            running += 1
            peak = max(peak, running)
        elif request.method == "GET" and request.path.startswith("/api/builds/"):
            build = builds[request.path.rsplit("/", 1)[1]]
            if build.finished is not None and request.time >= build.finished:
                ended = build.id
        elif request.method == "DELETE":
            ended = by_progress[request.path.rsplit("/", 1)[1]]
        if ended is not None and ended not in seen_ended:
            seen_ended.add(ended)
            running -= 1
    return peak
