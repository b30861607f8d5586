"""`cfstep-emulator --version`: the version of the cfstep it ships in."""

from __future__ import annotations

import subprocess
import sys

import pytest

import cfstep


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_the_emulator_tells_its_version(flag: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cfstep.emulator", flag],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"cfstep-emulator {cfstep.__version__}\n"
