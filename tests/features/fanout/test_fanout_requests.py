"""A fan-out of 100 children makes a bounded number of requests (docs/fanout.md). Not timed: the
fake clock runs the children's 3 s in no time; the real-clock figures are bench/fanout.py's."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable

from cfstep.emulator import Emulator
from harness import Result, build_gets, max_in_flight

CHILDREN = 100


def test_100_children_of_3_seconds_at_once_make_a_bounded_number_of_requests(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    emu.add_pipeline(
        "fan/three-seconds",
        {
            "timeline": [{"status": "pending", "seconds": 1}, {"status": "running", "seconds": 2}],
            "final": "success",
            "annotations": {"cfstep_out_DIGEST": "sha256:abc"},
        },
    )
    result = run(PIPELINES=json.dumps(["fan/three-seconds"] * CHILDREN), MAX_PARALLEL=str(CHILDREN))
    assert result.code == 0
    builds = emu.runs()
    assert len(builds) == CHILDREN
    assert max_in_flight(emu) == CHILDREN  # all at once
    # The adaptive poll for a 3 s child: 1, 2 and 3 s (the 1 s floor); the last sees the end.
    polls = Counter(r.path.rsplit("/", 1)[1] for r in build_gets(emu))
    assert sorted(set(polls.values())) == [3]
    assert sum(polls.values()) < 4 * CHILDREN
    kinds = Counter((r.method, r.path.split("/")[2]) for r in emu.requests)
    assert kinds == {
        ("POST", "pipelines"): CHILDREN,  # one run request each, no retry
        ("GET", "builds"): 3 * CHILDREN,
        ("GET", "annotations"): CHILDREN,  # values back, read once at the end
    }
    assert len(emu.requests) < 6 * CHILDREN
    assert all(result.exports[f"DIGEST_{n}"] == "sha256:abc" for n in range(1, CHILDREN + 1))
    assert len(result.exports["BUILD_ID"].split(" ")) == CHILDREN
    # The log stays readable: one line per child per change, not one per poll.
    status_lines = [line for line in result.stderr_lines if line.startswith("[")]
    assert len(status_lines) == 2 * CHILDREN  # running (at 1 s), then running → success


def test_status_requests_per_child_do_not_grow_with_the_number_of_children(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    """One poll loop for all: a child is polled on its own schedule, whatever the others."""
    counts = []
    for size in (1, 10, 50):
        before = len(build_gets(emu))
        result = run(PIPELINES=json.dumps(["fan/c"] * size), MAX_PARALLEL=str(size))
        assert result.code == 0
        counts.append((len(build_gets(emu)) - before) / size)
    assert counts == [3.0, 3.0, 3.0]  # a 3 s child: polled at 1, 2 and 3 s
