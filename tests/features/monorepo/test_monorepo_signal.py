"""A signal while git decides: the step stops within the 5 s every phase honours (README,
"Exit codes"), git and what it started are gone, nothing was triggered."""

from __future__ import annotations

import os
import signal
import stat
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from monorepo_kit import SERVICES, shop_scenario

from cfstep.emulator import Emulator
from gitrepos import Repo, process_gone
from harness import API_KEY, base_env, start_cli


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_while_git_runs(
    origin: Repo,
    tmp_path: Path,
    emulator: Callable[..., Emulator],
    signum: signal.Signals,
    code: int,
) -> None:
    emu = emulator(shop_scenario(), api_key=API_KEY)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    pids = tmp_path / "git-pids"
    fake = bin_dir / "git"
    fake.write_text(f"#!/bin/sh\nsleep 60 &\necho $$ $! >> {pids}\nwait\n", encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    env = base_env(
        emu,
        PIPELINES=SERVICES,
        REPO_DIR=str(origin.path),
        CHANGED_SINCE="HEAD~1",  # checked before anything is sent: git runs at once
        PATH=f"{bin_dir}:{os.environ['PATH']}",
    )
    running = start_cli(emu, env, volume=tmp_path)
    try:
        running.wait_for(pids.exists)
        running.process.send_signal(signum)
        started = time.monotonic()
        result = running.finish(timeout=10)
    finally:
        running.kill()
    assert time.monotonic() - started < 5
    assert result.code == code, result.stderr
    assert result.run_requests == []
    for pid in pids.read_text().split():
        assert process_gone(int(pid)), pid
