"""Shared by tests/reliability: run the real entrypoint in-process, scan what it wrote for
secrets, and keep the figures the suite reports (docs/reliability.md).

Every run goes through `run_step`, which scans stdout, stderr, the export file and the
output JSON for the API key and every secret value, so the leak count covers every run of
the suite, not only the tests written about leaks.
"""

from __future__ import annotations

import contextlib
import io
import json
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from cfstep import cli, transport
from cfstep.emulator import Emulator

API_KEY = "cfk-RELIABILITY-4f9d2c7a1e8b"  # distinctive, so a scan cannot miss it
SECRET_VALUE = "s3cret-VALUE-b71af0c9"  # noqa: S105 - planted, for the leak scan
SECOND_SECRET = "pa55w0rd;with=specials&more"  # noqa: S105 - planted

FIGURES: Counter[str] = Counter()
"""Counts the suite reports: leak scans, leaks, matrix cases, bad inputs, fuzz examples."""

MATRIX: list[MatrixRow] = []


@dataclass(frozen=True)
class MatrixRow:
    request: str
    fault: str
    expected: str
    passed: bool
    builds: int
    duplicates: int


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str
    export: str
    output_json: str
    texts: dict[str, str] = field(default_factory=dict)

    @property
    def exported(self) -> dict[str, str]:
        """KEY=VALUE lines of the export file, the last line for a key winning."""
        values: dict[str, str] = {}
        for line in self.export.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                values[key] = value
        return values


def secret_forms(values: Sequence[str]) -> list[str]:
    """Each secret as written, JSON-escaped and percent-encoded: any of them is a leak."""
    forms: set[str] = set()
    for value in values:
        if value:
            forms.update({value, json.dumps(value)[1:-1], quote(value, safe="")})
    return sorted(forms)


def scan(texts: Mapping[str, str], secrets: Sequence[str]) -> list[str]:
    """Where a secret shows, as `place: secret`; counted into FIGURES."""
    hits = []
    forms = secret_forms(secrets)
    for place, text in texts.items():
        FIGURES["leak_scans"] += 1
        hits += [f"{place}: {form!r}" for form in forms if form in text]
    FIGURES["leaks"] += len(hits)
    return hits


def run_step(
    env: Mapping[str, str],
    argv: Sequence[str] = (),
    *,
    tmp_path: Path,
    clock: Any = None,
    secrets: Sequence[str] = (),
    export: bool = True,
    output_json: bool = True,
) -> Result:
    """cfstep.cli.main in this process with the given environment, its output captured.

    `clock`: a FakeClock shared with the emulator (waits pass at once); None: real time.
    The run's outputs are scanned for the API key and `secrets`; a hit fails the test.
    """
    environ = dict(env)
    export_path = tmp_path / "env_vars_to_export"
    json_path = tmp_path / "output.json"
    for path in (export_path, json_path):
        path.unlink(missing_ok=True)
    if export:
        environ.setdefault("EXPORT_FILE", str(export_path))
    if output_json:
        environ.setdefault("OUTPUT_JSON", str(json_path))
    out, err = io.StringIO(), io.StringIO()
    timing: dict[str, Any] = {"jitter_factor": lambda: 1.0}
    if clock is not None:
        timing.update(clock=clock.now, sleep=clock.sleep)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv), environ, meta_export=tmp_path / "no-meta", **timing)
    result = Result(
        code=code,
        stdout=out.getvalue(),
        stderr=err.getvalue(),
        export=export_path.read_text() if export_path.exists() else "",
        output_json=json_path.read_text() if json_path.exists() else "",
    )
    result.texts = {
        "stdout": result.stdout,
        "stderr": result.stderr,
        "export file": result.export,
        "output JSON": result.output_json,
    }
    keys = [environ.get("CF_API_KEY", ""), *secrets]
    hits = scan(result.texts, [k for k in keys if k])
    assert not hits, f"secret leaked: {hits}\n--- stderr ---\n{result.stderr}"
    FIGURES["runs"] += 1
    return result


def base_env(url: str, **extra: str) -> dict[str, str]:
    return {"CF_URL": url, "CF_API_KEY": API_KEY, **extra}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def short_read_timeout(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Every new session reads with this timeout: a `delay` fault past it stays cheap."""
    base = transport.Timeouts

    def timeouts(connect: float = base.connect, read: float = seconds) -> transport.Timeouts:
        return base(connect=connect, read=read)

    monkeypatch.setattr(transport, "Timeouts", timeouts)


class Outage:
    """Connection refused, for real: the emulator is stopped before the next `times`
    requests of `method` on `prefix`, and started again before any other request.

    It hooks `Session.request` (the one door of every API call) only to know *when*
    to stop the server; the refusal itself comes from the operating system.
    """

    def __init__(self, emu: Emulator, method: str, prefix: str, times: int) -> None:
        self.emu = emu
        self.method = method
        self.prefix = prefix
        self.left = times
        self.refused = 0
        self._down = False
        self._lock = threading.Lock()

    def before(self, method: str, path: str) -> None:
        with self._lock:
            if self.left and method == self.method and path.startswith(self.prefix):
                self.left -= 1
                self.refused += 1
                if not self._down:
                    self.emu.stop()
                    self._down = True
            elif self._down:
                self.emu.start()
                self._down = False

    def install(self, monkeypatch: pytest.MonkeyPatch) -> Outage:
        original = transport.Session.request
        outage = self

        def request(self: transport.Session, method: str, path: str, **kw: Any) -> Any:
            outage.before(method, path)
            return original(self, method, path, **kw)

        monkeypatch.setattr(transport.Session, "request", request)
        return self


@contextlib.contextmanager
def started(emu: Emulator) -> Iterator[Emulator]:
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


EmulatorFactory = Callable[..., Emulator]
