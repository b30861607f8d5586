"""`python -m cfstep` run to its end with its peak memory measured, for the live-log cases
whose finding is a figure of memory.

Peak RSS is `VmHWM` from /proc/<pid>/status (the kernel's high-water mark since exec), read
until the process ends; its output is read while it runs (a long log fills a pipe).
Import it by name: `from peakrss import run_measured`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from cfstep.emulator import Emulator
from harness import Result, assert_no_leak

TIMEOUT_SECONDS = 60.0


def run_measured(
    emu: Emulator, env: Mapping[str, str], *, volume: Path, secrets: Sequence[str] = ()
) -> tuple[Result, float]:
    """The run's result (leak-checked, as every run) and its peak RSS in MB."""
    keep = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "PYTHONPATH") if k in os.environ}
    before = len(emu.requests)
    out: list[bytes] = []
    err: list[bytes] = []
    peak_kb, give_up = 0, time.monotonic() + TIMEOUT_SECONDS
    with subprocess.Popen(
        [sys.executable, "-m", "cfstep"],
        env={**keep, "CF_VOLUME_PATH": str(volume), **env},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        readers = [
            threading.Thread(target=lambda: out.append(process.stdout.read())),  # type: ignore[union-attr]
            threading.Thread(target=lambda: err.append(process.stderr.read())),  # type: ignore[union-attr]
        ]
        for reader in readers:
            reader.start()
        while process.poll() is None:
            if time.monotonic() > give_up:
                process.kill()
            peak_kb = max(peak_kb, _high_water_kb(process.pid))
            time.sleep(0.02)
        for reader in readers:
            reader.join()
    export = volume / "env_vars_to_export"
    result = Result(
        code=process.returncode,
        stdout=b"".join(out).decode(),
        stderr=b"".join(err).decode(),
        export_text=export.read_text() if export.is_file() else "",
        requests=emu.requests[before:],
    )
    assert_no_leak(result, [env.get("CF_API_KEY", ""), *secrets])
    return result, peak_kb / 1024


def _high_water_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:  # it has just ended
        pass
    return 0
