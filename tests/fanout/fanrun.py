"""Running the real entrypoint against the emulator for the fan-out tests (SPEC §6).

`step(emu, clock, capsys, tmp_path, **inputs)` runs `cfstep.cli.main` in-process with the
emulator's fake clock, and returns what a user would look at: the exit code, the stderr
lines, the export file (later lines win, as when Codefresh reads it) and --output-json.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from cfstep.cli import main
from cfstep.emulator import Emulator, RecordedRequest
from fakeclock import FakeClock

# Every child has its own timeline; `fan/digest` hands values back through annotations.
FANOUT_SCENARIO: dict[str, Any] = {
    "pipelines": {
        "fan/a": {
            "timeline": [{"status": "pending", "seconds": 1}, {"status": "running", "seconds": 4}],
            "final": "success",
            "annotations": {"cfstep_out_DIGEST": "sha256:aaa"},
        },
        "fan/b": {"timeline": [{"status": "running", "seconds": 2}], "final": "success"},
        "fan/c": {"timeline": [{"status": "running", "seconds": 3}], "final": "success"},
        "fan/fail": {
            "timeline": [{"status": "running", "seconds": 2}],
            "final": "error",
            "logs": ["compiling", "boom: the tests failed"],
        },
        "fan/late-fail": {"timeline": [{"status": "running", "seconds": 6}], "final": "error"},
        "fan/terminated": {
            "timeline": [{"status": "running", "seconds": 2}],
            "final": "terminated",
        },
        "fan/slow": {"timeline": [{"status": "running"}]},
        "fan/digest": {
            "timeline": [{"status": "running", "seconds": 2}],
            "final": "success",
            "annotations": {
                "cfstep_out_DIGEST": "sha256:0123abcd",
                "cfstep_out_URL": "https://app.example.com/r/42?a=1&b=2",
                "release_VERSION": "7.1.0",
                "unrelated": "not an output",
            },
        },
    }
}


@dataclass
class Result:
    code: int
    lines: list[str]  # stderr
    exports: dict[str, str]  # the export file, later lines winning
    export_lines: list[str]
    document: Any  # --output-json, None when not written

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def ids(self) -> list[str]:
        return self.exports["BUILD_ID"].split(" ")


def step(
    emu: Emulator,
    clock: FakeClock,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    *argv: str,
    on_sleep: Callable[[int], None] | None = None,
    **inputs: str,
) -> Result:
    """`on_sleep(n)` is called before the step's n-th wait (from 1): a test acts there
    while the step is following, as a child pipeline or a runner would."""
    export = tmp_path / "env_vars_to_export"
    output_json = tmp_path / "outputs.json"
    environ = {
        "CF_URL": emu.url,
        "CF_API_KEY": emu.api_key,
        "EXPORT_FILE": str(export),
        "OUTPUT_JSON": str(output_json),
        "CF_STEP_NAME": "release",
        **inputs,
    }
    waits = 0

    def sleep(seconds: float) -> None:
        nonlocal waits
        waits += 1
        if on_sleep is not None:
            on_sleep(waits)
        clock.sleep(seconds)

    capsys.readouterr()
    code = main(
        list(argv),
        environ,
        clock=clock.now,
        sleep=sleep,
        jitter_factor=lambda: 1.0,
        meta_export=tmp_path / "no-meta" / "env_vars_to_export",
    )
    err = capsys.readouterr().err
    export_lines = export.read_text().splitlines() if export.exists() else []
    return Result(
        code=code,
        lines=err.splitlines(),
        exports=parse_exports(export_lines),
        export_lines=[line for line in export_lines if line],
        document=json.loads(output_json.read_text()) if output_json.exists() else None,
    )


def parse_exports(lines: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in lines:
        if line:
            key, _, value = line.partition("=")
            found[key] = value
    return found


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
    """Progress ids this run asked Codefresh to terminate, in order."""
    prefix = "/api/progress/"
    return [unquote(r.path[len(prefix) :]) for r in emu.requests if r.method == "DELETE"]


def run_posts(emu: Emulator) -> list[RecordedRequest]:
    return [r for r in emu.requests if r.method == "POST" and "/pipelines/run/" in r.path]


def variables_of(body: Mapping[str, Any]) -> dict[str, str]:
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
        if request.method == "POST" and "/pipelines/run/" in request.path:
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
