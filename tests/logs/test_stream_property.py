"""Any sequence of stream events and endings, played by the emulator's log store to a real
LogStream: at most one token request per backoff step, no line printed twice, each step's
lines in the order they were written; and an honest store's lines all shown.

The store plays scripted connections (`LogStore.script`): `put`s of the tree or of one push,
`patch`es, `keep-alive`, `auth_revoked`, `cancel`, and endings (the stream ends, drops, or
goes silent). Waits are recorded, not slept; silence is noticed after 50 ms."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from logkit import Followed, follow, start_child

from cfstep.emulator import Emulator
from cfstep.logs import stream as logstream
from cfstep.logs.reconnect import BACKOFF, IN_A_ROW, TOKENS
from harness import API_KEY

STEPS = ("s0", "s1", "s2")
PUSHES = 6
Event = tuple[str, Any]


def _push_id(number: int) -> str:
    return f"-L{number:018d}"


def _text(step: str, number: int) -> str:
    return f"{step} line {number}\r\n"


def _tree(written: list[int]) -> dict[str, Any]:
    return {
        step: {
            "name": step,
            "creationTimeStamp": order,
            "logs": {_push_id(n): _text(step, n) for n in range(count)},
        }
        for order, (step, count) in enumerate(zip(STEPS, written, strict=True))
    }


ACTIONS = st.one_of(
    st.lists(st.integers(0, PUSHES), min_size=3, max_size=3).map(
        lambda written: ("put", {"path": "/", "data": _tree(written)})
    ),
    st.lists(st.tuples(st.sampled_from(STEPS), st.integers(0, PUSHES - 1)), max_size=4).map(
        lambda pushes: (
            "patch",
            {"path": "/", "data": {f"{s}/logs/{_push_id(n)}": _text(s, n) for s, n in pushes}},
        )
    ),
    st.tuples(st.sampled_from(STEPS), st.integers(0, PUSHES - 1)).map(
        lambda push: ("put", {"path": f"/{push[0]}/logs/{_push_id(push[1])}", "data": _text(*push)})
    ),
    st.just(("keep-alive", None)),
    st.just(("auth_revoked", "credential is no longer valid")),
    st.just(("cancel", "permission denied")),
)
CONNECTION = st.tuples(st.lists(ACTIONS, max_size=5), st.sampled_from(["end", "drop", "stall"]))


def _connections(drawn: list[tuple[list[Event], str]]) -> list[list[Event]]:
    return [[*events, *([] if end == "end" else [(end, None)])] for events, end in drawn]


@pytest.fixture(scope="module")
def store_emu() -> Iterator[Emulator]:
    scenario = {"pipelines": {"p/run": {"timeline": [{"status": "running"}]}}}
    emulator = Emulator(scenario, api_key=API_KEY).start()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def progress(store_emu: Emulator) -> str:
    return start_child(store_emu, "p/run")


@pytest.fixture(autouse=True, scope="module")
def quick_silence() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(logstream, "SILENCE_SECONDS", 0.05)
        yield


def _shown(followed: Followed) -> dict[str, list[int]]:
    """Each step's line numbers in the order printed; banners apart."""
    shown: dict[str, list[int]] = {step: [] for step in STEPS}
    for line in followed.child_lines:
        if not line.startswith("--- step: "):
            step, _, number = line.split(" ")
            shown[step].append(int(number))
    return shown


def _assert_one_token_per_wait(followed: Followed) -> None:
    """Before any token but the first, a wait of the backoff."""
    kinds = [kind for kind, _ in followed.timeline]
    tokens = [i for i, kind in enumerate(kinds) if kind == "token"]
    for previous, token in itertools.pairwise(tokens):
        assert "wait" in kinds[previous + 1 : token], followed.timeline
    assert followed.tokens <= 1 + len(followed.waits)
    assert all(wait >= BACKOFF.base for wait in followed.waits)


SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(drawn=st.lists(CONNECTION, min_size=1, max_size=6))
def test_any_events_at_most_one_token_per_backoff_step_and_no_line_twice(
    store_emu: Emulator, progress: str, drawn: list[tuple[list[Event], str]]
) -> None:
    store_emu.logstore.script(_connections(drawn))
    before = len(store_emu.logstore.recorded())
    followed = follow(store_emu, progress)

    _assert_one_token_per_wait(followed)
    banners = [line for line in followed.child_lines if line.startswith("--- step: ")]
    assert len(banners) == len(set(banners))
    for step, numbers in _shown(followed).items():
        assert numbers == sorted(set(numbers)), (step, numbers)
    stopped = [line for line in followed.lines if line.startswith("live logs stopped: ")]
    assert len(stopped) == 1  # the script ends in `cancel` at the latest
    assert len(store_emu.logstore.recorded()) - before <= 1 + len(followed.waits)


HONEST = st.lists(
    st.tuples(
        st.lists(st.integers(0, PUSHES), min_size=3, max_size=3),
        st.sampled_from(["end", "drop", "stall", "auth_revoked"]),
    ),
    min_size=1,
    max_size=IN_A_ROW - 1,
)


@SETTINGS
@given(drawn=HONEST)
def test_an_honest_store_replaying_a_growing_tree_shows_every_line_once_in_order(
    store_emu: Emulator, progress: str, drawn: list[tuple[list[int], str]]
) -> None:
    """Each connection replays the tree as written so far (it only grows), then ends in
    any way: every line written is shown once, in order. Fewer than TOKENS revocations in
    all: only a healthy connection resets their count, and none here lasts that long (a new
    line resets nothing but the count of fruitless connections)."""
    written = [0, 0, 0]
    connections: list[list[Event]] = []
    revocations = 0
    for more, drawn_end in drawn:
        end = drawn_end
        if end == "auth_revoked":
            revocations += 1
            if revocations >= TOKENS:
                end = "drop"
        written = [max(a, b) for a, b in zip(written, more, strict=True)]
        tree = ("put", {"path": "/", "data": _tree(written)})
        connections.append([tree, *([] if end == "end" else [(end, "revoked")])])
    store_emu.logstore.script(connections)
    followed = follow(store_emu, progress)

    _assert_one_token_per_wait(followed)
    assert _shown(followed) == {s: list(range(n)) for s, n in zip(STEPS, written, strict=True)}
