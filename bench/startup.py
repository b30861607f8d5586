"""Start-up to first request, wall time and peak RSS of one detached trigger (docs/performance.md).

Each tool is a real process started the way a pipeline starts it. The emulator runs in this
process on `time.monotonic`, so the instant it records the run request and the instant the
tool was started share one time base. Runs are interleaved (round after round, every tool
once per round, in a shuffled order) so a burst of load from elsewhere on the machine hits
all tools alike; medians are taken over the rounds.

Peak RSS comes from GNU time (`/usr/bin/time -f %M`), which forks the tool from its own small
process: Linux carries the parent's high-water RSS into a child across exec, so waiting on
the tool from this (large) Python process would report this process's memory, not the tool's.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import API_KEY, CFSTEP, PYTHON, ROOT, WORK, median, stats

from cfstep.emulator import Emulator

PIPELINE = "bench/target"
SCENARIO: dict[str, Any] = {
    # Held in `running`: a detached trigger never looks at it again.
    "pipelines": {PIPELINE: {"id": "be0c0000000000000000000a", "timeline": [{"status": "running"}]}}
}
GNU_TIME = Path("/usr/bin/time")
OFFICIAL_INSTALLER = ROOT / "scripts" / "install-official-cli"
RUN_PATH_PREFIX = "/api/pipelines/run/"


@dataclass
class Tool:
    name: str
    label: str
    argv: list[str]
    env: dict[str, str]
    sends_run: bool = True  # False: a floor or the skip path, which must send nothing
    samples: list[dict[str, float | None]] = field(default_factory=list)


@dataclass(frozen=True)
class Sample:
    wall: float
    cpu: float  # user + system seconds
    rss_mb: float | None
    first_request: float | None
    run_request: float | None
    requests: int


def official_cli(install: bool) -> tuple[Path | None, str]:
    """The official CLI's binary (installing it when asked), or None and why not."""
    if not shutil.which("node") or not shutil.which("npm"):
        return None, "node/npm not found on this machine"
    if not install:
        found = ROOT / ".cache" / "official-cli" / "node_modules" / ".bin" / "codefresh"
        return (found, "already installed") if found.exists() else (None, "not installed")
    done = subprocess.run(
        [str(OFFICIAL_INSTALLER)], capture_output=True, text=True, timeout=900, check=False
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return None, f"install failed: {done.stderr.strip().splitlines()[-1:]}"
    return Path(lines[-1]), "installed by scripts/install-official-cli"


def tools(url: str, official: Path | None, home: Path) -> list[Tool]:
    base = {"PATH": _path_env(), "HOME": str(home), "LANG": "C.UTF-8"}
    cf = {**base, "CF_URL": url, "CF_API_KEY": API_KEY}
    trigger = {**cf, "PIPELINE_ID": PIPELINE, "DETACH": "true"}
    skip = {**cf, "PIPELINE_ID": PIPELINE, "CONDITION_ALL": '"a" == "b"'}
    # README's typed-step example as step.yaml renders it: lists and maps as one line of JSON,
    # conditions that hold (Codefresh has substituted the ${{...}} already).
    typed = {**trigger, "VARIABLE": '["APP_VERSION=1.2.3", "REGION=eu-west-1"]'}
    typed["CONDITION_ALL"] = (
        '{"validateTargetBranch": "\\"production\\" == \\"production\\"", '
        "\"validatePRAction\": \"'opened' == 'opened'\"}"
    )
    found = [
        Tool("cfstep", "cfstep (console script)", [str(CFSTEP)], trigger),
        Tool("cfstep_m", "python -m cfstep", [str(PYTHON), "-m", "cfstep"], trigger),
        Tool("curl", "curl POST (floor)", _curl_argv(url), base),
        Tool("typed", "cfstep, typed-step inputs (list, conditions)", [str(CFSTEP)], typed),
        Tool("skip", "cfstep, false condition (skip path)", [str(CFSTEP)], skip, sends_run=False),
        Tool("python", "python -c pass (interpreter floor)", [str(PYTHON), "-c", "pass"], base,
             sends_run=False),
    ]  # fmt: skip
    if official is not None:
        argv = [str(official), "run", PIPELINE, "--detach"]
        found.append(Tool("official", "official CLI `codefresh run --detach`", argv, cf))
        found.append(
            Tool("node", "node -e '' (Node floor)", ["node", "-e", ""], base, sends_run=False)
        )
    return found


def _path_env() -> str:
    return os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin")


def _curl_argv(url: str) -> list[str]:
    # The reqId is replaced per run (see _argv_for), as each real trigger has its own.
    return [
        "curl", "-sS", "--fail", "-o", "/dev/null", "-X", "POST",
        "-H", f"Authorization: {API_KEY}", "-H", "Content-Type: application/json",
        "--data", "{}", f"{url}{RUN_PATH_PREFIX}bench%2Ftarget?reqId=REQID",
    ]  # fmt: skip


def _argv_for(tool: Tool) -> list[str]:
    return [arg.replace("REQID", str(uuid.uuid4())) for arg in tool.argv]


def measure_once(tool: Tool, emu: Emulator, scratch: Path) -> Sample:
    """Start the tool, wait for it, read what the emulator saw and what GNU time measured."""
    seen = len(emu.requests)
    rss_file, err_file = scratch / "rss", scratch / "stderr"
    prefix = [str(GNU_TIME), "-q", "-o", str(rss_file), "-f", "%M"] if GNU_TIME.exists() else []
    argv = prefix + _argv_for(tool)
    with err_file.open("wb") as err:
        started = time.monotonic()
        proc = subprocess.Popen(argv, env=tool.env, stdout=subprocess.DEVNULL, stderr=err)
        # wait4 on GNU time: CPU of the tool (and of time's own few instructions); its
        # ru_maxrss would be this process's, hence %M for the memory.
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - started
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{tool.label} exited {code}: {err_file.read_text()[-500:]}")
    new = emu.requests[seen:]
    runs = [r for r in new if r.method == "POST" and r.path.startswith(RUN_PATH_PREFIX)]
    if tool.sends_run and len(runs) != 1:
        raise RuntimeError(f"{tool.label}: expected one run request, the emulator saw {len(runs)}")
    if not tool.sends_run and new:
        raise RuntimeError(f"{tool.label}: expected no request, the emulator saw {len(new)}")
    return Sample(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        rss_mb=_read_rss(rss_file) if prefix else None,
        first_request=(new[0].time - started) if new else None,
        run_request=(runs[0].time - started) if runs else None,
        requests=len(new),
    )


def _read_rss(path: Path) -> float | None:
    try:
        return int(path.read_text().split()[-1]) / 1024
    except (OSError, ValueError, IndexError):
        return None


def run(
    runs: int, official_runs: int, install_official: bool, say: Callable[[str], None]
) -> dict[str, Any]:
    official, official_note = official_cli(install_official)
    say(f"official CLI: {official or 'absent'} ({official_note})")
    WORK.mkdir(parents=True, exist_ok=True)
    rng = random.Random(5)  # noqa: S311 - shuffling the order of runs
    with (
        tempfile.TemporaryDirectory(dir=WORK) as scratch_dir,
        Emulator(SCENARIO, api_key=API_KEY) as emu,
    ):
        scratch = Path(scratch_dir)
        home = scratch / "home"  # the official CLI writes ~/.cfconfig: keep it out of $HOME
        home.mkdir()
        found = tools(emu.url, official, home)
        for tool in found:  # warm-up: byte-code compiled, files in the page cache
            measure_once(tool, emu, scratch)
        for round_no in range(max(runs, official_runs)):
            order = [
                t
                for t in found
                if round_no < (official_runs if t.name in ("official", "node") else runs)
            ]
            rng.shuffle(order)
            for tool in order:
                sample = measure_once(tool, emu, scratch)
                tool.samples.append(sample.__dict__)
            say(f"  start-up round {round_no + 1}/{max(runs, official_runs)}")
    return _summarise(found, official, official_note)


def _summarise(found: list[Tool], official: Path | None, note: str) -> dict[str, Any]:
    by_name: dict[str, Any] = {}
    for tool in found:
        summary: dict[str, Any] = {"label": tool.label, "argv": tool.argv}
        for metric in ("wall", "cpu", "rss_mb", "first_request", "run_request"):
            values = [s[metric] for s in tool.samples if s[metric] is not None]
            summary[metric] = stats(v for v in values if v is not None) if values else None
        summary["requests_per_run"] = tool.samples[0]["requests"] if tool.samples else None
        summary["samples"] = tool.samples
        by_name[tool.name] = summary
    return {
        "official_cli": {"path": str(official) if official else None, "note": note},
        "tools": by_name,
        "ratios": _ratios(by_name),
    }


def _ratios(by_name: Mapping[str, Any]) -> dict[str, float | None]:
    def med(name: str, metric: str) -> float | None:
        entry = by_name.get(name)
        return entry[metric]["median"] if entry and entry.get(metric) else None

    def div(a: float | None, b: float | None) -> float | None:
        return a / b if a is not None and b else None

    def paired(a: str, b: str) -> float | None:
        """Median of the per-round ratios: robust to load that drifts during the run."""
        first, second = by_name.get(a, {}).get("samples", []), by_name.get(b, {}).get("samples", [])
        pairs = zip(first, second, strict=False)  # the official CLI may have fewer rounds
        values = [x["wall"] / y["wall"] for x, y in pairs if y["wall"]]
        return median(values) if values else None

    return {
        "cfstep_over_curl_wall": div(med("cfstep", "wall"), med("curl", "wall")),
        "cfstep_over_curl_wall_paired": paired("cfstep", "curl"),
        "official_over_cfstep_wall_paired": paired("official", "cfstep"),
        "cfstep_over_curl_run_request": div(
            med("cfstep", "run_request"), med("curl", "run_request")
        ),
        "official_over_cfstep_wall": div(med("official", "wall"), med("cfstep", "wall")),
        "official_over_cfstep_run_request": div(
            med("official", "run_request"), med("cfstep", "run_request")
        ),
        "official_over_cfstep_rss": div(med("official", "rss_mb"), med("cfstep", "rss_mb")),
        "cfstep_minus_python_floor_wall": _minus(med("cfstep", "wall"), med("python", "wall")),
    }


def _minus(a: float | None, b: float | None) -> float | None:
    return a - b if a is not None and b is not None else None
