"""The hook for children decided not to run before any trigger (`compose.run(skip=...)`,
`RunState.skip`): such a child is exported `skipped` (its decider says why, in its own
line), shown with its reason in the summary and the output JSON, never triggered; a run
whose every child is skipped exits 0 (docs/fanout.md, "Children decided not to run")."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from composed import Composed

from cfstep.emulator import Emulator

RunComposed = Callable[..., Composed]

REASON = "no changed file matches 'web/**' (3 files changed since origin/main)"


def _no_duplicates(ran: Composed) -> None:
    assert [k for k, n in Counter(ran.keys).items() if n > 1] == [], ran.export_text


def test_a_skipped_child_of_a_fan_out(run_composed: RunComposed, emu: Emulator) -> None:
    ran = run_composed(skip={2: REASON}, PIPELINES="[proj/ok, proj/fail, proj/ok]")

    assert ran.code == 0, ran.stderr
    first, third = emu.runs()  # child 2 was never triggered
    out = ran.exports
    assert out["BUILD_STATUS_2"] == "skipped"
    assert out["BUILD_ID"] == f"{first.id} {third.id}"
    assert out["BUILD_STATUS"] == "success"
    assert "BUILD_ID_2" not in out
    assert not [line for line in ran.lines if line.startswith("#2 ")]  # its decider said it
    row = next(line for line in ran.lines if line.startswith("2 "))
    assert row.split() == ["2", "proj/fail", "-", "skipped", "-", "-"]
    skipped = ran.document["children"][1]
    assert skipped["status"] == "skipped"
    assert skipped["reason"] == REASON
    assert skipped["build_id"] is None
    assert "reason" not in ran.document["children"][0]
    _no_duplicates(ran)


def test_every_child_skipped_exits_0_and_sends_nothing(
    run_composed: RunComposed, emu: Emulator
) -> None:
    ran = run_composed(skip={1: REASON, 2: REASON}, PIPELINES="[proj/ok, proj/fail]")

    assert ran.code == 0, ran.stderr
    assert ran.requests == []
    assert ran.exports == {
        "BUILD_STATUS_1": "skipped",
        "BUILD_STATUS_2": "skipped",
        "BUILD_STATUS": "skipped",
        "BUILD_DURATION_SECONDS": "0",
    }
    assert [c["status"] for c in ran.document["children"]] == ["skipped", "skipped"]
    _no_duplicates(ran)


def test_a_single_child_skipped(run_composed: RunComposed, emu: Emulator) -> None:
    ran = run_composed(skip={1: REASON}, PIPELINE_ID="proj/ok")

    assert ran.code == 0, ran.stderr
    assert ran.requests == []
    assert ran.exports == {"BUILD_STATUS": "skipped"}
    assert ran.lines == []  # the decision is said by whoever made it (cfstep.changes)
    (child,) = ran.document["children"]
    assert (child["status"], child["reason"], child["pipeline"]) == ("skipped", REASON, "proj/ok")


def test_a_skipped_child_stays_skipped_when_fail_fast_stops_the_rest(
    run_composed: RunComposed, emu: Emulator
) -> None:
    """Child 1 fails, child 2 was skipped by the decision, child 3 is never started: each
    status written once, the skip keeping its own reason in the summary."""
    ran = run_composed(
        skip={2: REASON}, PIPELINES="[proj/fail, proj/ok, proj/ok]", MAX_PARALLEL="1"
    )

    assert ran.code == 1
    assert [ran.exports[f"BUILD_STATUS_{n}"] for n in (1, 2, 3)] == ["error", "skipped", "skipped"]
    rows = {line.split()[0]: line for line in ran.lines if line[:2] in ("1 ", "2 ", "3 ")}
    assert "skipped" in rows["2"]
    assert "not started" in rows["3"]
    assert "reason" not in ran.document["children"][2]
    _no_duplicates(ran)
