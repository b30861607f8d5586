"""`requests` is loaded only when a log is read: live logs, or a failed child's tail."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys
from cfstep.emulator import Emulator
emu = Emulator({"pipelines": {"p/ok": {"timeline": [{"status": "running", "seconds": 0.2}]}}},
               api_key="import-cost-key").start()
loaded_by_emulator = set(sys.modules)
from cfstep.cli import main
code = main([], {"CF_API_KEY": "import-cost-key", "CF_URL": emu.url, "PIPELINE_ID": "p/ok",
                 **json.loads(sys.argv[1])}, meta_export="/nonexistent/export")
emu.stop()
assert code == 0, code
print(json.dumps(sorted(set(sys.modules) - loaded_by_emulator)))
"""


@pytest.mark.parametrize(
    ("inputs", "loads_requests"),
    [({"DETACH": "true"}, False), ({"FOLLOW_LOGS": "false"}, False), ({}, True)],
    ids=["detached", "followed without live logs", "followed with live logs"],
)
def test_requests_is_imported_only_to_read_a_log(
    inputs: dict[str, str], loads_requests: bool
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(inputs)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout.splitlines()[-1]))
    assert ("requests" in loaded) == loads_requests
