"""Many builds at once, each on its own timeline (fan-out of children)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from emuhttp import build, run

from cfstep.emulator import Emulator
from fakeclock import FakeClock

Factory = Callable[..., Emulator]


def test_fifty_concurrent_runs_get_fifty_distinct_builds(emulator: Factory) -> None:
    emu = emulator()
    with ThreadPoolExecutor(max_workers=50) as pool:
        ids = list(pool.map(lambda n: run(emu, "proj/ok", req_id=f"r{n}"), range(50)))
    assert len(set(ids)) == 50
    assert {b.req_id for b in emu.runs()} == {f"r{n}" for n in range(50)}
    assert len({b.progress for b in emu.runs()}) == 50


def test_concurrent_retries_of_one_req_id_make_one_build(emulator: Factory) -> None:
    emu = emulator()
    with ThreadPoolExecutor(max_workers=20) as pool:
        ids = set(pool.map(lambda _: run(emu, "proj/ok", req_id="one"), range(20)))
    assert len(ids) == 1
    assert len(emu.runs()) == 1


def test_builds_started_at_different_times_end_at_different_times(
    emulator: Factory, fake_clock: FakeClock
) -> None:
    emu = emulator(clock=fake_clock)
    ids = []
    for n in range(4):  # one every second; proj/ok is pending 1 s, running 2 s
        if n:
            fake_clock.advance(1)
        ids.append(run(emu, "proj/ok"))
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(lambda i: build(emu, i)["status"], ids))
    assert statuses == ["success", "running", "running", "pending"]
