"""Import cost (docs/performance.md), from `python -X importtime`.

- `import cfstep.cli`: the entrypoint module's cumulative time and what dominates it.
- The paths actually taken, as whole processes: the detached trigger (against the emulator)
  and the skip path of a false condition. Their total import time is the sum of the
  top-level entries; the bare interpreter's own imports (`python -c pass`: site, encodings)
  are reported beside them. Which heavy modules each path loads is read from the same trace.
"""

from __future__ import annotations

import subprocess
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from common import API_KEY, PYTHON, median
from startup import PIPELINE, SCENARIO

from cfstep.emulator import Emulator

# Modules whose presence on a path is worth a line: the HTTP/TLS stack, parsers, our own.
WATCHED = (
    "requests", "urllib3", "charset_normalizer", "idna", "importlib.metadata",
    "http.client", "ssl", "email.parser", "json", "yaml", "simpleeval", "argparse",
    "dataclasses", "pathlib", "tempfile", "traceback", "uuid", "decimal", "urllib.parse",
    "cfstep.codefresh.transport", "cfstep.run.compose", "cfstep.codefresh.client",
    "cfstep.conditions", "cfstep.run.follow",
)  # fmt: skip


@dataclass(frozen=True)
class Entry:
    name: str
    depth: int
    self_us: int
    cumulative_us: int


def parse(stderr: str) -> list[Entry]:
    """`import time:  <self> | <cumulative> | <2 spaces per level><name>` lines."""
    entries = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        head, cumulative_us, name = line.split("|", 2)
        name = name[1:]  # the one space after `|`
        stripped = name.lstrip(" ")
        depth = (len(name) - len(stripped)) // 2
        self_us = head.removeprefix("import time:").strip()
        entries.append(Entry(stripped, depth, int(self_us), int(cumulative_us.strip())))
    return entries


def trace(argv: list[str], env: Mapping[str, str] | None = None) -> list[Entry]:
    done = subprocess.run(
        [str(PYTHON), "-X", "importtime", *argv],
        env=dict(env) if env is not None else None,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{argv} exited {done.returncode}: {done.stderr[-400:]}")
    return parse(done.stderr)


def total_us(entries: list[Entry]) -> int:
    return sum(e.cumulative_us for e in entries if e.depth == 0)


def run(repeats: int, say: Callable[[str], None]) -> dict[str, Any]:
    with Emulator(SCENARIO, api_key=API_KEY) as emu:
        base = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/nonexistent"}
        cf = {**base, "CF_URL": emu.url, "CF_API_KEY": API_KEY, "PIPELINE_ID": PIPELINE}
        cases: dict[str, tuple[list[str], Mapping[str, str] | None]] = {
            "import_cli": (["-c", "import cfstep.cli"], base),
            "interpreter": (["-c", "pass"], base),
            "import_requests": (["-c", "import requests"], base),
            "trigger_path": (["-m", "cfstep"], {**cf, "DETACH": "true"}),
            "skip_path": (["-m", "cfstep"], {**cf, "CONDITION_ALL": '"a" == "b"'}),
        }
        traces: dict[str, list[list[Entry]]] = defaultdict(list)
        for case in cases.values():  # warm-up: byte-code compiled
            trace(*case)
        for i in range(repeats):
            for name, case in cases.items():
                traces[name].append(trace(*case))
            say(f"  import traces {i + 1}/{repeats}")
    result: dict[str, Any] = {"repeats": repeats}
    cli = traces["import_cli"]
    result["import_cli"] = {
        "cumulative_ms": median(_cumulative(t, "cfstep.cli") for t in cli) / 1000,
        "top_by_cumulative": _top(cli, key="cumulative", limit=12, max_depth=1),
        "top_by_self": _top(cli, key="self", limit=12),
        "modules": len(cli[0]),
    }
    # What the HTTP client costs: `import requests` alone (what it shares with the
    # interpreter's own start-up, such as `re`, is not counted), and inside the trigger path.
    result["import_requests_ms"] = (
        median(_cumulative(t, "requests") for t in traces["import_requests"]) / 1000
    )
    result["requests_in_trigger_ms"] = (
        median(_cumulative(t, "requests") for t in traces["trigger_path"]) / 1000
    )
    interpreter_ms = median(total_us(t) for t in traces["interpreter"]) / 1000
    result["interpreter_total_ms"] = interpreter_ms
    for path in ("trigger_path", "skip_path"):
        runs = traces[path]
        names = {e.name for e in runs[0]}
        total_ms = median(total_us(t) for t in runs) / 1000
        result[path] = {
            "total_import_ms": total_ms,
            "beyond_interpreter_ms": total_ms - interpreter_ms,
            "modules": len(runs[0]),
            # a package counts by any of its modules: importtime may not list the
            # package itself (charset_normalizer's compiled __init__, for one)
            "loaded": {m: any(n == m or n.startswith(f"{m}.") for n in names) for m in WATCHED},
            "top_by_self": _top(runs, key="self", limit=12),
        }
    return result


def _cumulative(entries: list[Entry], name: str) -> int:
    return next(e.cumulative_us for e in entries if e.name == name)


def _top(
    traces: list[list[Entry]], *, key: str, limit: int, max_depth: int | None = None
) -> list[dict[str, Any]]:
    """Per module, the median over the traces; the largest first."""
    found: dict[str, list[int]] = defaultdict(list)
    for entries in traces:
        for e in entries:
            if max_depth is None or e.depth <= max_depth:
                found[e.name].append(e.cumulative_us if key == "cumulative" else e.self_us)
    ranked = sorted(found.items(), key=lambda kv: median(kv[1]), reverse=True)[:limit]
    return [{"module": name, "ms": round(median(v) / 1000, 2)} for name, v in ranked]
