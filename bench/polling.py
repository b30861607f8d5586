"""Polling economy (docs/performance.md): status requests and detection delay per child length.

The accelerated route: the real entrypoint `cfstep.cli.main` follows a real child on the
emulator over real HTTP, with one FakeClock shared by both (tests/fakeclock.py), so a one-hour
child takes well under a second and every poll is the real Follower's decision. The
emulator's request log gives the number of `GET /api/builds/<id>` and the clock time of the
poll that saw the end; the child's end is its `finished` time. Connections opened are
counted too (keep-alive: one for the whole wait).

Beside it, the pure schedule (`cfstep.timing.poll_interval`, the Follower's arithmetic)
over many jitter seeds, and Codefresh's official fixed 5 s poll.
"""

from __future__ import annotations

import contextlib
import io
import math
import random
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import urllib3
from common import API_KEY, ROOT, WORK, median, stats

from cfstep.cli import main
from cfstep.emulator import Emulator
from cfstep.timing import jitter, poll_interval

sys.path.insert(0, str(ROOT / "tests"))
from fakeclock import FakeClock

DURATIONS = (("10 s", 10.0), ("1 min", 60.0), ("10 min", 600.0), ("1 h", 3600.0))
OFFICIAL_INTERVAL = 5.0
POLL_MAX_SECONDS = 15.0


@contextlib.contextmanager
def counting_connects() -> Iterator[list[int]]:
    """Count TCP connections cfstep opens (urllib3's connect, under requests), here."""
    count = [0]
    original = urllib3.connection.HTTPConnection.connect

    def connect(self: urllib3.connection.HTTPConnection) -> None:
        count[0] += 1
        original(self)

    urllib3.connection.HTTPConnection.connect = connect  # type: ignore[method-assign]
    try:
        yield count
    finally:
        urllib3.connection.HTTPConnection.connect = original  # type: ignore[method-assign]


def accelerated(seconds: float, seed: int) -> dict[str, Any]:
    """One child of `seconds` followed to its end by `main()` on a fake clock."""
    clock = FakeClock()
    pipeline = "bench/child"
    scenario = {
        "pipelines": {
            pipeline: {"timeline": [{"status": "running", "seconds": seconds}], "final": "success"}
        }
    }
    env = {
        "CF_URL": "",
        "CF_API_KEY": API_KEY,
        "PIPELINE_ID": pipeline,
        "TIMEOUT_MINS": str(seconds / 60 * 2 + 5),
        "POLL_MAX_SECONDS": str(POLL_MAX_SECONDS),
        "LOG_TAIL": "0",
        "FOLLOW_LOGS": "false",  # polling alone: live logs have their own bench (logs.py)
    }
    log = io.StringIO()
    WORK.mkdir(parents=True, exist_ok=True)
    with Emulator(scenario, clock=clock, api_key=API_KEY) as emu, counting_connects() as conns:
        env["CF_URL"] = emu.url
        started = time.perf_counter()
        with contextlib.redirect_stderr(log), contextlib.redirect_stdout(log):
            code = main(
                [],
                env,
                clock=clock,
                sleep=clock.sleep,
                jitter_factor=jitter(rng=random.Random(seed)),  # noqa: S311
                meta_export=WORK / "no-such-dir" / "env_vars_to_export",
            )
        took = time.perf_counter() - started
        build = emu.runs(pipeline)[0]
        requests = emu.requests
    if code != 0 or build.finished is None:
        raise RuntimeError(f"child of {seconds} s: exit {code}\n{log.getvalue()[-800:]}")
    polls = [r for r in requests if r.method == "GET" and r.path.startswith("/api/builds/")]
    return {
        "status_requests": len(polls),
        "all_requests": len(requests),
        "detection_delay": polls[-1].time - build.finished,
        "connections": conns[0],
        "heartbeat_lines": log.getvalue().count("still running"),
        "real_seconds": took,
    }


def schedule_only(seconds: float, seed: int) -> tuple[int, float]:
    """The Follower's arithmetic without HTTP: first poll at poll_interval(0), then each next
    one poll_interval(elapsed) after the previous; (requests, delay) for a child of `seconds`."""
    factor = jitter(rng=random.Random(seed))  # noqa: S311
    now = poll_interval(0.0, POLL_MAX_SECONDS, factor())
    polls = 1
    while now < seconds:
        now += poll_interval(now, POLL_MAX_SECONDS, factor())
        polls += 1
    return polls, now - seconds


def official(seconds: float) -> dict[str, float]:
    """A fixed 5 s poll from the trigger: the end is seen at the first multiple of 5 s at or
    after it; over a uniformly random phase the delay averages 2.5 s, at most 5 s."""
    return {
        "status_requests": math.ceil(seconds / OFFICIAL_INTERVAL),
        "mean_detection_delay": OFFICIAL_INTERVAL / 2,
        "max_detection_delay": OFFICIAL_INTERVAL,
    }


def run(seeds: int, schedule_seeds: int, say: Callable[[str], None]) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for label, seconds in DURATIONS:
        runs = [accelerated(seconds, seed) for seed in range(seeds)]
        sims = [schedule_only(seconds, seed) for seed in range(schedule_seeds)]
        rows[label] = {
            "child_seconds": seconds,
            "cfstep": {
                "status_requests": stats(r["status_requests"] for r in runs),
                "detection_delay": stats(r["detection_delay"] for r in runs),
                "connections": max(r["connections"] for r in runs),
                "all_requests": median(r["all_requests"] for r in runs),
                "heartbeat_lines": median(r["heartbeat_lines"] for r in runs),
                "real_seconds": median(r["real_seconds"] for r in runs),
            },
            "schedule_simulation": {
                "status_requests": stats(s[0] for s in sims),
                "detection_delay": stats(s[1] for s in sims),
            },
            "official": official(seconds),
        }
        say(f"  polling {label}: {median(r['status_requests'] for r in runs):.0f} requests")
    return {
        "poll_max_seconds": POLL_MAX_SECONDS,
        "seeds": seeds,
        "schedule_seeds": schedule_seeds,
        "durations": rows,
    }


if __name__ == "__main__":  # a quick look: python bench/polling.py
    print(run(3, 200, print))
