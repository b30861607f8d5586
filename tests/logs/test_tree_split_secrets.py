"""A line written in pieces (two or three pushes, as `put`s or a `put` then `patch`es) is
masked as a whole line: a secret cut at any point is never printed, not even in parts.

The tree gets the pieces as the stream gives them (one event each, JSON text) and the
real Console masks and prints what it gives out."""

from __future__ import annotations

import io
import json
from itertools import combinations, pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cfstep.console import CUT, Console
from cfstep.logs.tree import FLUSH_SECONDS, LogTree
from fakeclock import FakeClock

SECRET = "HUNTER2SPLITSECRET77"  # noqa: S105 - capitals and digits: the text around has none
LINE = f"deploying with token {SECRET} done\r\n"


def _event(kind: str, number: int, piece: str, *, first: bool) -> tuple[str, str]:
    """One push as the stream sends it: the step's first push in a `put` of the step,
    later ones as `put`s at their path, or `patch`es of the root."""
    push = f"-L{number:018d}"
    if first:
        data = {"name": "deploy", "status": "running", "logs": {push: piece}}
        return "put", json.dumps({"path": "/step0", "data": data})
    if kind == "put":
        return "put", json.dumps({"path": f"/step0/logs/{push}", "data": piece})
    return "patch", json.dumps({"path": "/", "data": {f"step0/logs/{push}": piece}})


def _printed(pieces: list[str], kind: str, *, clock: FakeClock | None = None) -> str:
    """What the step prints when the pieces come one event each; with `clock`, each
    piece comes after the flush time, so what is held is shown before the next."""
    err = io.StringIO()
    console = Console(err=err)
    console.add_secrets([SECRET])
    tree = LogTree(mask=console.mask, **({"clock": clock.now} if clock else {}))
    for number, piece in enumerate(pieces):
        tree.read_event(*_event(kind, number, piece, first=number == 0))
        for batch in tree.new_lines():
            console.say_lines(batch)
        if clock is not None:
            clock.advance(FLUSH_SECONDS)
            console.say_lines(tree.flush_held(older_than=FLUSH_SECONDS))
    tree.read_event("patch", json.dumps({"path": "/step0", "data": {"status": "success"}}))
    for batch in tree.new_lines():
        console.say_lines(batch)
    return err.getvalue()


def _cut(text: str, at: tuple[int, ...]) -> list[str]:
    bounds = [0, *at, len(text)]
    return [text[a:b] for a, b in pairwise(bounds)]


def _revealed(printed: str) -> str:
    """The secret's own characters in what was printed (the text around has none)."""
    return "".join(c for c in printed if c.isupper() or c.isdigit())


@pytest.mark.parametrize("kind", ["put", "patch"], ids=["two puts", "a put then a patch"])
def test_a_secret_cut_at_every_point_across_two_pushes_is_masked_whole(kind: str) -> None:
    for cut in range(1, len(LINE)):
        printed = _printed(_cut(LINE, (cut,)), kind)
        assert printed.splitlines()[-1] == "deploying with token *** done", cut
        assert _revealed(printed) == "", cut


@pytest.mark.parametrize("kind", ["put", "patch"])
def test_a_secret_cut_at_every_pair_of_points_across_three_pushes_is_masked_whole(
    kind: str,
) -> None:
    for cuts in combinations(range(1, len(LINE)), 2):
        printed = _printed(_cut(LINE, cuts), kind)
        assert printed.splitlines()[-1] == "deploying with token *** done", cuts
        assert _revealed(printed) == "", cuts


@pytest.mark.parametrize("kind", ["put", "patch"])
def test_pieces_slower_than_the_flush_time_never_print_the_secret_together(kind: str) -> None:
    """Each piece waits past the flush time: it is shown early, ending in `…`, and the
    rest after a `…`, masked with what was shown. At most MIN_MASKED_CUT - 1 of the
    secret's first characters can show; never the secret, not even joined back."""
    for cuts in [(c,) for c in range(1, len(LINE))] + list(combinations(range(1, len(LINE), 3), 2)):
        printed = _printed(_cut(LINE, cuts), kind, clock=FakeClock())
        joined = "".join(line.strip(CUT) for line in printed.splitlines())
        assert SECRET not in printed, cuts
        assert SECRET not in joined, cuts
        assert len(_revealed(printed)) <= 2, (cuts, printed)


@settings(max_examples=200, deadline=None)
@given(
    before=st.text(alphabet="abc xyz=:'\"", max_size=10),
    after=st.text(alphabet="abc xyz=:'\"", max_size=10),
    ending=st.sampled_from(["\r\n", "\n"]),
    cuts=st.lists(st.integers(1, 60), min_size=1, max_size=2, unique=True),
    kind=st.sampled_from(["put", "patch"]),
)
def test_any_line_holding_a_secret_cut_in_two_or_three_is_never_printed(
    before: str, after: str, ending: str, cuts: list[int], kind: str
) -> None:
    line = before + SECRET + after + ending
    at = tuple(sorted(c for c in cuts if c < len(line)))
    printed = _printed(_cut(line, at), kind)
    assert _revealed(printed) == ""
    assert printed.splitlines()[-1] == (before + "***" + after).strip("\r")
