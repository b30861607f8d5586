"""Live logs (FOLLOW_LOGS) and the log tail: how fast a loud child is followed, in how
much memory, how soon a line written is a line printed, and what a hostile log costs.

Every run is a `python -m cfstep` subprocess following a child on the emulator in real
time, its stderr read line by line by this process (each line stamped on arrival), its
peak RSS read from /proc (VmHWM) until it exits:

1. throughput: a child step writes LINES lines in a burst (every tenth holds one of 20
   SECRETS values, masked on the way); lines/s = LINES / (last child line - first child
   line), and the process's peak RSS;
2. latency: a child writes a line every LATENCY_INTERVAL s for LATENCY_SECONDS; for each line
   written after the stream is open, printed time - the time the emulator made it
   available; the median over the lines and over the repeats;
3. many steps: STEPS steps of one line each, written in STEPS_SECONDS once the stream is
   open: every line shown, lines/s as in 1 (the median over the repeats);
4. one big event: EVENT_LINES one-character lines written before the stream opens, so
   its first event (the tree) is one put of about 16 MB: every line shown, peak RSS;
5. the tail: a failed child whose stored log is about 32 MB (TAIL_LINES empty lines in
   storage JSON; also plain text, and the log database's JSON read once), live logs off:
   the last lines shown, peak RSS.

Usage: python bench/logs.py [--repeats N] [--lines N] [--only NAME ...] [--json PATH|-]
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
STEPS = 10_000
STEPS_SECONDS = 0.25  # 40,000 steps a second offered: more than the target to keep up with
TARGET_STEPS_RATE = 20_000.0
EVENT_LINES = 500_000
TARGET_EVENT_RSS_MB = 100.0
TAIL_LINES = 5_000_000
TARGET_TAIL_RSS_MB = 60.0
TAIL_BYTES = 32 * 10**6  # each form is made as close to this as its lines allow


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


def _follow(
    emu: Emulator, pipeline: str, **extra: str
) -> tuple[list[tuple[float, str]], int, float]:
    """Run cfstep on `pipeline`; its stderr lines stamped, exit code, peak RSS in MB."""
    env = {
        **extra,
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


def many_steps() -> dict[str, Any]:
    """STEPS steps of one line each, after a quiet step that lets the stream open."""
    steps: list[dict[str, Any]] = [{"name": "Quiet", "seconds": QUIET_SECONDS, "lines": ["q"]}]
    steps += [
        {"name": f"s{n}", "seconds": STEPS_SECONDS / STEPS, "lines": [f"line {n}"]}
        for n in range(STEPS)
    ]
    steps.append({"name": "End", "lines": ["end"]})
    pipeline = {
        "timeline": [{"status": "running", "seconds": QUIET_SECONDS + STEPS_SECONDS + 1.0}],
        "final": "success",
        "steps": steps,
    }
    with Emulator({"pipelines": {"bench/steps": pipeline}}, api_key=API_KEY) as emu:
        seen, code, rss = _follow(emu, "bench/steps")
    child = [t for t, line in seen if line.startswith("line ")]
    span = child[-1] - child[0] if len(child) > 1 else float("nan")
    return {
        "exit_code": code,
        "lines_shown": len(child),
        "lines_written": STEPS,
        "fell_behind": any("fell behind" in line for _, line in seen),
        "seconds": round(span, 3),
        "lines_per_second": round(len(child) / span) if span > 0 else None,
        "peak_rss_mb": round(rss, 1),
    }


def big_event() -> dict[str, Any]:
    """EVENT_LINES one-character lines already written when the stream opens."""
    pipeline = {
        "timeline": [{"status": "running", "seconds": 2.5}],
        "final": "success",
        "steps": [
            {"name": "Dots", "seconds": 0, "lines": ["."] * EVENT_LINES},
            {"name": "End", "lines": ["end"]},
        ],
    }
    with Emulator({"pipelines": {"bench/dots": pipeline}}, api_key=API_KEY) as emu:
        seen, code, rss = _follow(emu, "bench/dots")
        (build,) = emu.runs()
        steps = emu.logstore.steps_of(build.progress) or []
        tree = json.dumps({"path": "/", "data": emu.logstore.tree(steps)}, separators=(",", ":"))
    return {
        "exit_code": code,
        "lines_shown": sum(line == ".\n" for _, line in seen),
        "lines_written": EVENT_LINES,
        "event_mb": round(len(tree) / 10**6, 1),
        "peak_rss_mb": round(rss, 1),
    }


def tail(form: str) -> dict[str, Any]:
    """A failed child's stored log of about TAIL_BYTES, read for its last 50 lines."""
    pushes, lines = _tail_pushes(form)
    pipeline = {
        "timeline": [{"status": "running", "seconds": 0.3}],
        "final": "error",
        "steps": [{"name": "Loud", "lines": pushes}],
    }
    with Emulator({"pipelines": {"bench/tail": pipeline}}, api_key=API_KEY) as emu:
        emu.logstore.raw_pushes = True
        emu.logstore.live = form == "log database"
        emu.logstore.storage_form = "text" if form == "text" else "json"
        seen, code, rss = _follow(emu, "bench/tail", FOLLOW_LOGS="false")
        (build,) = emu.runs()
        size = len(requests_body(emu, build.progress, form))
    shown = [line for _, line in seen if line.startswith("  | ")]
    return {
        "form": form,
        "exit_code": code,
        "log_mb": round(size / 10**6, 1),
        "lines": lines,
        "tail_lines_shown": len(shown),
        "peak_rss_mb": round(rss, 1),
    }


def _tail_pushes(form: str) -> tuple[list[str], int]:
    """Pushes of empty lines that make about TAIL_BYTES in `form`; and how many lines."""
    if form == "storage JSON":  # `"\r\n",` is 7 bytes, `"\n",` 5
        crlf = (TAIL_BYTES - 5 * TAIL_LINES) // 2
        return ["\r\n"] * crlf + ["\n"] * (TAIL_LINES - crlf), TAIL_LINES
    if form == "text":  # a line of 6 bytes: 5 million of them
        return ["12345\n"] * TAIL_LINES, TAIL_LINES
    count = TAIL_BYTES // len('"-L000000000000000001":"\\r\\n",')
    return ["\r\n"] * count, count


def requests_body(emu: Emulator, progress: str, form: str) -> bytes:
    """The stored log as cfstep read it (its size is the figure)."""
    import requests

    if form == "log database":
        auth = emu.logstore.firebase_auth()
        url = f"{auth['url']}/build-logs/{progress}/steps.json"
        return requests.get(url, params={"auth": auth["accessToken"]}, timeout=60).content
    return requests.get(emu.logstore.storage_url(progress), timeout=60).content


PARTS = ("throughput", "latency", "replay", "steps", "event", "tail")


def run(repeats: int, lines: int, say: Any, only: tuple[str, ...] = PARTS) -> dict[str, Any]:
    result: dict[str, Any] = {
        "targets": {
            "lines_per_second": TARGET_RATE,
            "peak_rss_mb": TARGET_RSS_MB,
            "latency_median_seconds": TARGET_LATENCY,
            "steps_lines_per_second": TARGET_STEPS_RATE,
            "event_peak_rss_mb": TARGET_EVENT_RSS_MB,
            "tail_peak_rss_mb": TARGET_TAIL_RSS_MB,
        }
    }
    if "throughput" in only:
        rounds = []
        for n in range(repeats):
            say(f"  throughput {n + 1}/{repeats}: {lines} lines, 20 secrets")
            rounds.append(throughput(lines))
        rates = [r["lines_per_second"] for r in rounds if r["lines_per_second"]]
        result["throughput"] = rounds
        result["lines_per_second"] = median(rates) if rates else None
        result["peak_rss_mb"] = max(r["peak_rss_mb"] for r in rounds)
        result["complete"] = all(r["lines_shown"] == lines and r["exit_code"] == 0 for r in rounds)
        result["secrets_leaked"] = sum(r["secrets_leaked"] for r in rounds)
    if "replay" in only:
        say(f"  replay: {lines} lines already written when the stream opens")
        result["replay"] = throughput(lines, replay=True)
    if "latency" in only:
        waits = []
        for n in range(repeats):
            say(f"  latency {n + 1}/{repeats}")
            waits.append(latency())
        result["latency"] = waits
        result["latency_median_seconds"] = median(
            w["delays"]["median"] for w in waits if w["delays"]
        )
    if "steps" in only:
        steps = []
        for n in range(repeats):
            say(f"  many steps {n + 1}/{repeats}: {STEPS:,} steps of one line each")
            steps.append(many_steps())
        rates = [r["lines_per_second"] for r in steps if r["lines_per_second"]]
        result["many_steps"] = {
            "rounds": steps,
            "lines_per_second": median(rates) if rates else None,
            "lines_shown": min(r["lines_shown"] for r in steps),
            "lines_written": STEPS,
            "fell_behind": any(r["fell_behind"] for r in steps),
        }
    if "event" in only:
        say(f"  one big event: {EVENT_LINES:,} one-character lines replayed")
        result["big_event"] = big_event()
    if "tail" in only:
        result["tail"] = []
        for form in ("storage JSON", "text", "log database"):
            say(f"  tail: a stored log of about {TAIL_BYTES // 10**6} MB ({form})")
            result["tail"].append(tail(form))
    return result


def verdicts(result: dict[str, Any]) -> list[tuple[str, bool]]:
    """Each figure measured, and whether it meets its target."""
    found = []
    if "throughput" in result:
        rate = result["lines_per_second"] or 0
        found.append(("200,000 lines followed", result["complete"] and rate >= TARGET_RATE))
        found.append(("no secret printed", not result["secrets_leaked"]))
        found.append(("peak RSS following them", result["peak_rss_mb"] <= TARGET_RSS_MB))
    if "latency_median_seconds" in result:
        found.append(("latency", result["latency_median_seconds"] <= TARGET_LATENCY))
    if "many_steps" in result:
        steps = result["many_steps"]
        ok = steps["lines_shown"] == STEPS and not steps["fell_behind"]
        found.append(("10,000 steps", ok and (steps["lines_per_second"] or 0) >= TARGET_STEPS_RATE))
    if "big_event" in result:
        event = result["big_event"]
        ok = event["lines_shown"] == EVENT_LINES
        found.append(("16 MB event", ok and event["peak_rss_mb"] <= TARGET_EVENT_RSS_MB))
    for entry in result.get("tail", []):
        ok = entry["tail_lines_shown"] == 50 and entry["peak_rss_mb"] <= TARGET_TAIL_RSS_MB
        found.append((f"tail ({entry['form']})", ok))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lines", type=int, default=LINES)
    parser.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument("--json", default="-", help="where to write the figures (-: stdout)")
    args = parser.parse_args(argv)
    say = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    result = run(args.repeats, args.lines, say, tuple(args.only))
    text = json.dumps(result, indent=2)
    if args.json == "-":
        print(text)
    else:
        Path(args.json).write_text(text + "\n")
    found = verdicts(result)
    for name, met in found:
        say(f"{name}: {'met' if met else 'NOT MET'}")
    return 0 if all(met for _, met in found) else 1


if __name__ == "__main__":
    sys.exit(main())
