"""Shared pieces of the benchmark: paths, statistics, the machine, markdown tables."""

from __future__ import annotations

import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WORK = BENCH / ".work"  # scratch (gitignored)
PYTHON = Path(sys.executable)
CFSTEP = PYTHON.parent / "cfstep"  # the console script `pip install` writes
# A Codefresh key's shape (57 characters: an id, a dot, a secret): no warning that it is short
API_KEY = "be0c0ffee0123456789abcde.bench-api-key-0123456789abcdef01"


def stats(values: Iterable[float]) -> dict[str, float]:
    """Median first (what the tables show), then the spread."""
    data = sorted(values)
    if not data:
        return {}
    quartiles = statistics.quantiles(data, n=4) if len(data) > 1 else [data[0]] * 3
    return {
        "median": statistics.median(data),
        "q1": quartiles[0],
        "q3": quartiles[2],
        "min": data[0],
        "max": data[-1],
        "n": len(data),
    }


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def machine() -> dict[str, Any]:
    """What the numbers were measured on; every figure in docs/performance.md cites this."""
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "cpu_model": _lscpu_model(),
        "memory_gb": round(_meminfo_kb("MemTotal") / 1024 / 1024, 1),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "kernel": platform.release(),
        "os": _os_release(),
    }
    for tool, args in (("node", ["node", "--version"]), ("curl", ["curl", "--version"])):
        info[tool] = _first_line(args) if shutil.which(tool) else None
    return info


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _lscpu_model() -> str:
    if shutil.which("lscpu"):
        for line in _output(["lscpu"]).splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _meminfo_kb(field: str) -> int:
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return 0
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


def _os_release() -> str:
    try:
        text = Path("/etc/os-release").read_text()
    except OSError:
        return platform.platform()
    match = re.search(r'^PRETTY_NAME="?([^"\n]*)"?', text, re.MULTILINE)
    return match.group(1) if match else platform.platform()


def _first_line(args: Sequence[str]) -> str:
    return (_output(args).splitlines() or [""])[0].strip()


def _output(args: Sequence[str]) -> str:
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=30, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A markdown table, columns padded so it also reads well in a terminal."""
    text_rows = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in text_rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    out = [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in text_rows]
    return "\n".join(out)


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f} ms"


def secs(seconds: float | None, digits: int = 2) -> str:
    return "-" if seconds is None else f"{seconds:.{digits}f} s"


def ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}x"
