"""A log host that drips its answer (a byte every 29 s, under any read timeout) holds the
step no longer than the request's total bound: the failed child's tail is given up with one
line, and the exit code stays the child's."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import pytest

from cfstep.codefresh.transport import Timeouts
from cfstep.emulator import Emulator, Fault
from cfstep.logs import location
from fakeclock import FakeClock
from harness import API_KEY, base_env, run_step
from netkit import dripping, scripted_server
from scenarios import CLI_SCENARIO

BOUND_SECONDS = 1.0  # the total bound, injected: a minute in a real run


def test_a_dripping_log_host_ends_within_the_bound(
    emulator: Callable[..., Emulator], fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # raising=False: on a tree without the bound the run shows what it fixes (it hangs)
    bound = Timeouts(connect=2, read=30, total=BOUND_SECONDS)
    monkeypatch.setattr(location, "FETCH_TIMEOUTS", bound, raising=False)
    emu = emulator(CLI_SCENARIO, clock=fake_clock, api_key=API_KEY)
    closed = threading.Event()
    with scripted_server(dripping(closed)) as log_host:
        where = {"location": {"type": "storage", "url": f"{log_host}/log.json"}}
        emu.add_fault(
            Fault(
                "GET",
                "/api/progress/",
                "status",
                times=-1,
                status=200,
                body=json.dumps(where).encode(),
            )
        )
        started = time.monotonic()
        res = run_step(
            emu, base_env(emu, PIPELINE_ID="proj/fail", FOLLOW_LOGS="false"), clock=fake_clock
        )
        took = time.monotonic() - started
        assert closed.wait(5)  # the step let the connection go
    assert res.code == 1, res.stderr  # the child's result, not the log's
    (line,) = [line for line in res.stderr_lines if "could not read the child's log" in line]
    assert "time bound" in line
    assert took < BOUND_SECONDS + 3
