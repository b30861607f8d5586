"""Live logs (FOLLOW_LOGS): how fast a loud child is followed, in how much memory, and how
soon a line written is a line printed.

Both runs are `python -m cfstep` subprocesses following a child on the emulator in real
time, their stderr read line by line by this process (each line stamped on arrival):

1. throughput: a child step writes LINES lines in a burst (every tenth holds one of 20
   SECRETS values, masked on the way); lines/s = LINES / (last child line - first child
   line), and the process's peak RSS (VmHWM, read until it exits);
2. latency: a child writes a line every LATENCY_INTERVAL s for LATENCY_SECONDS; for each line
   written after the stream is open, printed time - the time the emulator made it
   available; the median over the lines and over the repeats.

Usage: python bench/logs.py [--repeats N] [--lines N] [--json PATH|-]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from common import API_KEY, PYTHON, median, stats

from cfstep.emulator import Emulator

LINES = 200_000
QUIET_SECONDS = 1.5  # the first poll (1 s) starts the stream
BURST_SECONDS = 2.0  # 100,000 lines/s written: more than the target to keep up with
SECRETS = [f"bench-secret-{n:02d}-{'k' * 12}" for n in range(20)]
TARGET_RATE = 50_000.0
TARGET_RSS_MB = 60.0
TARGET_LATENCY = 0.5
LATENCY_INTERVAL = 0.1
LATENCY_SECONDS = 6.0
LATENCY_AFTER = 2.0  # the first poll (1 s) starts the stream: lines before are replayed


def _loud(lines: int, *, replay: bool) -> dict[str, Any]:
    """`lines` lines in BURST_SECONDS, after a quiet first step that lets the stream open
    (replay: before it opens, so that the first event holds them all)."""
    text = [
        f"line {n} token={SECRETS[n // 10 % 20]}" if n % 10 == 0 else f"line {n} compiling module"
        for n in range(lines)
    ]
    quiet = 0.0 if replay else QUIET_SECONDS
    return {
        "timeline": [{"status": "running", "seconds": quiet + BURST_SECONDS + 1.0}],
        "final": "success",
        "steps": [
            {"name": "Initializing Process", "seconds": quiet, "lines": ["starting"]},
            {"name": "Loud", "seconds": BURST_SECONDS, "lines": text},
            {"name": "Quiet", "lines": ["done"]},
        ],
    }


def _steady() -> dict[str, Any]:
    count = int(LATENCY_SECONDS / LATENCY_INTERVAL)
    return {
        "timeline": [{"status": "running", "seconds": LATENCY_SECONDS + 0.5}],
        "final": "success",
        "steps": [
            {
                "name": "Steady",
                "seconds": LATENCY_SECONDS,
                "lines": [f"tick {n}" for n in range(count)],
            },
            {"name": "End", "lines": ["end"]},
        ],
    }


def _follow(emu: Emulator, pipeline: str) -> tuple[list[tuple[float, str]], int, float]:
    """Run cfstep on `pipeline`; its stderr lines stamped, exit code, peak RSS in MB."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", ""),
        "LANG": "C.UTF-8",
        "CF_URL": emu.url,
        "CF_API_KEY": API_KEY,
        "PIPELINE_ID": pipeline,
        "SECRETS": "\n".join(f"S{n}={value}" for n, value in enumerate(SECRETS)),
    }
    proc = subprocess.Popen(
        [str(PYTHON), "-m", "cfstep"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    seen: list[tuple[float, str]] = []

    def read() -> None:
        for raw in proc.stderr or ():
            seen.append((time.monotonic(), raw.decode("utf-8", "replace")))

    reader = threading.Thread(target=read)
    reader.start()
    peak_kb = 0
    while proc.poll() is None:
        peak_kb = max(peak_kb, _high_water_kb(proc.pid))
        time.sleep(0.02)
    reader.join()
    return seen, proc.returncode, peak_kb / 1024


def _high_water_kb(pid: int) -> int:
    """VmHWM: the process's peak RSS since its exec. Not `wait4`'s ru_maxrss, which
    also counts the moment between fork and exec, when the child is a copy of this
    process (the emulator and its 200,000 lines)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:  # it has just ended
        pass
    return 0


def throughput(lines: int, *, replay: bool = False) -> dict[str, Any]:
    scenario = {"pipelines": {"bench/loud": _loud(lines, replay=replay)}}
    with Emulator(scenario, api_key=API_KEY) as emu:
        seen, code, rss = _follow(emu, "bench/loud")
    child = [t for t, line in seen if line.startswith("line ")]
    leaked = sum(secret in line for _, line in seen for secret in SECRETS)
    span = child[-1] - child[0] if len(child) > 1 else float("nan")
    return {
        "exit_code": code,
        "lines_shown": len(child),
        "lines_written": lines,
        "seconds": round(span, 3),
        "lines_per_second": round(len(child) / span) if span > 0 else None,
        "peak_rss_mb": round(rss, 1),
        "secrets_leaked": leaked,
    }


def latency() -> dict[str, Any]:
    with Emulator({"pipelines": {"bench/steady": _steady()}}, api_key=API_KEY) as emu:
        seen, code, _ = _follow(emu, "bench/steady")
        (build,) = emu.runs()
    count = int(LATENCY_SECONDS / LATENCY_INTERVAL)
    delays = []
    for stamp, line in seen:
        if line.startswith("tick "):
            n = int(line.split()[1])
            written = build.created + LATENCY_SECONDS * n / count
            if written - build.created >= LATENCY_AFTER:
                delays.append(stamp - written)
    return {"exit_code": code, "lines": len(delays), "delays": stats(delays)}


def run(repeats: int, lines: int, say: Any) -> dict[str, Any]:
    rounds = []
    for n in range(repeats):
        say(f"  throughput {n + 1}/{repeats}: {lines} lines, 20 secrets")
        rounds.append(throughput(lines))
    say(f"  replay: {lines} lines already written when the stream opens")
    replayed = throughput(lines, replay=True)
    waits = []
    for n in range(repeats):
        say(f"  latency {n + 1}/{repeats}")
        waits.append(latency())
    rates = [r["lines_per_second"] for r in rounds if r["lines_per_second"]]
    return {
        "throughput": rounds,
        "latency": waits,
        "replay": replayed,
        "lines_per_second": median(rates) if rates else None,
        "peak_rss_mb": max(r["peak_rss_mb"] for r in rounds),
        "latency_median_seconds": median(w["delays"]["median"] for w in waits if w["delays"]),
        "complete": all(r["lines_shown"] == lines and r["exit_code"] == 0 for r in rounds),
        "secrets_leaked": sum(r["secrets_leaked"] for r in rounds),
        "targets": {
            "lines_per_second": TARGET_RATE,
            "peak_rss_mb": TARGET_RSS_MB,
            "latency_median_seconds": TARGET_LATENCY,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lines", type=int, default=LINES)
    parser.add_argument("--json", default="-", help="where to write the figures (-: stdout)")
    args = parser.parse_args(argv)
    say = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    result = run(args.repeats, args.lines, say)
    text = json.dumps(result, indent=2)
    if args.json == "-":
        print(text)
    else:
        Path(args.json).write_text(text + "\n")
    met = (
        result["complete"]
        and not result["secrets_leaked"]
        and (result["lines_per_second"] or 0) >= TARGET_RATE
        and result["peak_rss_mb"] <= TARGET_RSS_MB
        and result["latency_median_seconds"] <= TARGET_LATENCY
    )
    say(
        f"lines/s {result['lines_per_second']}, peak RSS {result['peak_rss_mb']} MB, "
        f"latency median {result['latency_median_seconds']:.3f} s: "
        + ("targets met" if met else "TARGETS NOT MET")
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
