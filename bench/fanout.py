"""Fan-out benchmark (docs/performance.md): N children at once, on the emulator, on the real clock.

The real `cfstep` runs in its own process (`python -m cfstep`, inputs as environment, as in
a Codefresh step) against the emulator served from this process on 127.0.0.1. Every child
has its own timeline, `running` for 3 … 10 s spread evenly over the list, then `success`
with one returned value (annotation `cfstep_out_DIGEST`). Measured, per run:

- wall time of the cfstep process, and its overhead beyond the longest child;
  the overhead split into start-up (process start → first run request), triggering
  (first → last run request), detection (a child's end → the status request that saw it:
  the adaptive poll, at most a sixth of the child's age) and the finish (last end seen → exit);
- status requests (`GET /api/builds/<id>`) per child, per child per minute of its life,
  and the busiest second of the API as a whole;
- peak RSS of the cfstep process (`os.wait4`'s rusage: that one process, nothing else).

Usage: python bench/fanout.py [--children 10,100] [--repeats 1] [--max-parallel N]
       [--min-seconds 3] [--max-seconds 10] [--json bench/fanout.json]
       (`--json -`: the JSON document on stdout and the table on stderr, for bench/run.py)
Exit 1 when a run fails or peak RSS reaches the 60 MB target (docs/performance.md).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cfstep.emulator import Emulator

BENCH = Path(__file__).resolve().parent
API_KEY = "be0c0ffee0123456789abcde.bench-api-key-0123456789abcdef01"
RSS_LIMIT_MB = 60.0
MIN_SECONDS, MAX_SECONDS = 3.0, 10.0


def scenario(
    children: int, shortest: float = MIN_SECONDS, longest: float = MAX_SECONDS
) -> tuple[dict[str, Any], list[str], list[float]]:
    """One pipeline per child, each with its own length, spread evenly in list order."""
    names, lengths, pipelines = [], [], {}
    for i in range(children):
        share = i / (children - 1) if children > 1 else 0.0
        seconds = round(shortest + (longest - shortest) * share, 3)
        name = f"bench/child-{i + 1:03d}"
        pipelines[name] = {
            "timeline": [{"status": "running", "seconds": seconds}],
            "final": "success",
            "annotations": {"cfstep_out_DIGEST": f"sha256:{i:064x}"},
        }
        names.append(name)
        lengths.append(seconds)
    return {"pipelines": pipelines}, names, lengths


def answer_without_nagle(emu: Emulator) -> None:
    """The emulator writes an answer's headers and body in two writes; with Nagle on, the
    body waits for the client's delayed ACK: 40 ms per request on a kept-alive connection,
    which would make the emulator, not cfstep, the bottleneck of a fan-out. Accepted sockets
    inherit TCP_NODELAY from the listening one on Linux. A real API answers at once."""
    server = getattr(emu, "_server", None)
    if server is not None:
        server.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def measure(
    children: int,
    max_parallel: int | None = None,
    shortest: float = MIN_SECONDS,
    longest: float = MAX_SECONDS,
) -> dict[str, Any]:
    """One fan-out of `children`, all at once unless `max_parallel` is smaller."""
    spec, names, lengths = scenario(children, shortest, longest)
    parallel = max_parallel or children
    with Emulator(spec, api_key=API_KEY) as emu, tempfile.TemporaryDirectory() as tmp:
        answer_without_nagle(emu)
        env = {
            "PATH": os.environ.get("PATH", ""),
            "CF_URL": emu.url,
            "CF_API_KEY": API_KEY,
            "PIPELINES": json.dumps(names),
            "MAX_PARALLEL": str(parallel),
            "TIMEOUT_MINS": "10",
            "EXPORT_FILE": str(Path(tmp) / "env_vars_to_export"),
            "OUTPUT_JSON": str(Path(tmp) / "outputs.json"),
        }
        log_path = Path(tmp) / "cfstep.log"
        with log_path.open("w") as log_file:
            began = time.monotonic()
            proc = subprocess.Popen(
                [sys.executable, "-m", "cfstep"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log_file,
            )
            # wait4, not wait: the rusage of this one process (ru_maxrss: its peak RSS).
            _, status, usage = os.wait4(proc.pid, 0)
            ended = time.monotonic()
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        log = log_path.read_text()
        outputs = json.loads((Path(tmp) / "outputs.json").read_text())
        builds = emu.runs()
        requests = emu.requests
    if code != 0 or len(builds) != children:
        raise RuntimeError(f"cfstep exited {code} with {len(builds)} builds:\n{log[-2000:]}")
    returned = sum(1 for c in outputs["children"] if c.get("returned", {}).get("DIGEST"))

    by_id = {b.id: b for b in builds}
    polls: Counter[str] = Counter()
    seen_end: dict[str, float] = {}
    per_second: Counter[int] = Counter()
    for r in requests:
        per_second[int(r.time - began)] += 1
        if r.method == "GET" and r.path.startswith("/api/builds/"):
            build = by_id[r.path.rsplit("/", 1)[1]]
            polls[build.id] += 1
            if build.finished is not None and r.time >= build.finished:
                seen_end.setdefault(build.id, r.time)
    posts = [r.time for r in requests if r.method == "POST"]
    lags = [seen_end[b.id] - b.finished for b in builds if b.finished is not None]
    per_minute = [
        polls[b.id] / ((b.finished - b.created) / 60) for b in builds if b.finished is not None
    ]
    wall = ended - began
    longest = max(lengths)
    return {
        "children": children,
        "max_parallel": parallel,
        "child_seconds": [min(lengths), longest],
        "exit_code": code,
        "wall_seconds": round(wall, 3),
        "overhead_seconds": round(wall - longest, 3),
        "startup_seconds": round(posts[0] - began, 3),
        "trigger_seconds": round(posts[-1] - posts[0], 3),
        "detection_seconds": {
            "mean": round(statistics.mean(lags), 3),
            "max": round(max(lags), 3),
        },
        "finish_seconds": round(ended - max(seen_end.values()), 3),
        "status_requests": sum(polls.values()),
        "status_requests_per_child": round(sum(polls.values()) / children, 2),
        "status_requests_per_child_minute": round(statistics.mean(per_minute), 1),
        "requests": len(requests),
        "requests_by_kind": dict(Counter(_kind(r.method, r.path) for r in requests)),
        "busiest_second_requests": max(per_second.values()),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux: kilobytes
        "returned_values": returned,
    }


def _kind(method: str, path: str) -> str:
    if path.startswith("/api/builds/"):
        return "status"
    if path.startswith("/api/pipelines/run/"):
        return "run"
    if path.startswith("/api/annotations"):
        return "annotations"
    return f"{method} {path.split('/')[2] if path.count('/') > 1 else path}"


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of each figure over repeated runs of one size; the worst peak RSS."""
    first = runs[0]
    out: dict[str, Any] = {key: first[key] for key in ("children", "max_parallel", "child_seconds")}
    for key in (
        "wall_seconds",
        "overhead_seconds",
        "startup_seconds",
        "trigger_seconds",
        "finish_seconds",
        "status_requests",
        "status_requests_per_child",
        "status_requests_per_child_minute",
        "requests",
        "busiest_second_requests",
    ):
        out[key] = statistics.median(r[key] for r in runs)
    out["detection_seconds"] = {
        "mean": statistics.median(r["detection_seconds"]["mean"] for r in runs),
        "max": max(r["detection_seconds"]["max"] for r in runs),
    }
    out["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    out["requests_by_kind"] = first["requests_by_kind"]
    out["returned_values"] = min(r["returned_values"] for r in runs)
    out["runs"] = runs
    return out


def table(sizes: list[dict[str, Any]]) -> str:
    rows = [
        ("children (at most at once)", lambda s: f"{s['children']} ({s['max_parallel']})"),
        ("child lengths", lambda s: "{:.0f} to {:.0f} s".format(*s["child_seconds"])),
        ("wall time", lambda s: f"{s['wall_seconds']:.2f} s"),
        ("overhead beyond the longest child", lambda s: f"{s['overhead_seconds']:.2f} s"),
        ("  start-up → first run request", lambda s: f"{s['startup_seconds']:.2f} s"),
        ("  first → last run request", lambda s: f"{s['trigger_seconds']:.2f} s"),
        (
            "  a child's end → seen (mean / max)",
            lambda s: "{mean:.2f} / {max:.2f} s".format(**s["detection_seconds"]),
        ),
        ("  last end seen → exit", lambda s: f"{s['finish_seconds']:.2f} s"),
        ("status GETs per child", lambda s: f"{s['status_requests_per_child']:.1f}"),
        (
            "status GETs per child per minute",
            lambda s: f"{s['status_requests_per_child_minute']:.0f}",
        ),
        ("requests in all", lambda s: f"{s['requests']:.0f}"),
        ("busiest second (requests)", lambda s: f"{s['busiest_second_requests']:.0f}"),
        ("peak RSS of cfstep", lambda s: f"{s['peak_rss_mb']:.1f} MB"),
        ("values returned", lambda s: f"{s['returned_values']} / {s['children']}"),
    ]
    headers = ["", *(f"{s['children']} children" for s in sizes)]
    body = [[label, *(cell(s) for s in sizes)] for label, cell in rows]
    widths = [max(len(r[i]) for r in [headers, *body]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return "\n".join(
        [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
        + [line(r) for r in body]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", default="10,100", help="sizes, comma-separated")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each size")
    parser.add_argument("--max-parallel", type=int, default=None, help="default: all at once")
    parser.add_argument("--min-seconds", type=float, default=MIN_SECONDS, help="shortest child")
    parser.add_argument("--max-seconds", type=float, default=MAX_SECONDS, help="longest child")
    parser.add_argument("--json", default=str(BENCH / "fanout.json"), help="'-': stdout")
    args = parser.parse_args(argv)
    sizes = []
    for size in (int(n) for n in args.children.split(",")):
        runs = []
        for repeat in range(args.repeats):
            print(f"fan-out of {size} children, run {repeat + 1}", file=sys.stderr, flush=True)
            runs.append(measure(size, args.max_parallel, args.min_seconds, args.max_seconds))
        sizes.append(summarise(runs))
    text = table(sizes)
    document = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {
            "nproc": os.cpu_count(),
            "python": platform.python_version(),
            "kernel": platform.release(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        },
        "rss_limit_mb": RSS_LIMIT_MB,
        "sizes": sizes,
        "table": text,
    }
    if args.json == "-":
        print(text, file=sys.stderr)
        print(json.dumps(document, indent=2))
    else:
        print(text)
        Path(args.json).write_text(json.dumps(document, indent=2) + "\n")
    over = [s for s in sizes if s["peak_rss_mb"] >= RSS_LIMIT_MB]
    for s in over:
        print(f"peak RSS {s['peak_rss_mb']} MB >= {RSS_LIMIT_MB} MB", file=sys.stderr)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
