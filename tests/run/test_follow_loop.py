"""The poll loop and termination (cfstep.run.follow) on a fake clock, against a scripted
client; what it sees goes into the child's state and to the report (recorded here)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from runparts import child

from cfstep.codefresh.answers import Build
from cfstep.errors import ApiError, TransientApiError
from cfstep.run.follow import Follower
from cfstep.run.state import Child
from fakeclock import FakeClock

FINISHED = datetime(2024, 1, 1, tzinfo=UTC)


class Told:
    """A report that records what it was asked to tell."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[object, ...]]] = []

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args: self.calls.append((name, args))

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


@dataclass
class Scripted:
    """A client whose status answers are scripted (a Build, or an error to raise); the last
    one is repeated."""

    answers: list[Build | Exception]
    clock: FakeClock
    polled_at: list[float] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    refuse_delete: ApiError | None = None

    def get_build(self, build_id: str, timeout: float | None = None) -> Build:
        self.polled_at.append(self.clock())
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def retrying(self, call: Callable[[float], object], budget: float) -> object:
        return call(budget)

    def terminate(self, progress: str, timeout: float | None = None) -> None:
        if self.refuse_delete is not None:
            raise self.refuse_delete
        self.deleted.append(progress)


def _build(status: str, *, finished: bool = False, progress: str | None = "prog") -> Build:
    return Build("b1", status, progress, None, FINISHED if finished else None)


def _follower(
    answers: list[Build | Exception],
    clock: FakeClock,
    *,
    on_approval: str = "wait",
    on_poll: Callable[[Child], None] = lambda _child: None,
) -> tuple[Follower, Scripted, Told]:
    client, told = Scripted(answers, clock), Told()
    follower = Follower(
        client,  # type: ignore[arg-type]
        told,  # type: ignore[arg-type]
        clock=clock,
        sleep=clock.sleep,
        jitter=lambda: 1.0,
        poll_max_seconds=15,
        on_approval=on_approval,
        on_poll=on_poll,
    )
    return follower, client, told


def _start(follower: Follower, clock: FakeClock, seconds: float = 600) -> Child:
    started = child(started_at=clock())
    started.deadline = clock() + seconds
    follower.schedule_first_poll(started)
    return started


def test_polls_on_the_adaptive_schedule_until_a_final_status() -> None:
    clock = FakeClock()
    answers: list[Build | Exception] = [_build("pending"), _build("running")]
    answers += [_build("running")] * 6 + [_build("success")]
    polled: list[str | None] = []
    follower, client, told = _follower(answers, clock, on_poll=lambda c: polled.append(c.status))
    followed = _start(follower, clock)

    assert follower.wait_for_next_outcome([followed]) is followed

    assert followed.outcome == "success"
    # 1 s after the start, then a sixth of the age, at least 1 s.
    assert [t - 1000 for t in client.polled_at] == pytest.approx(
        [1, 2, 3, 4, 5, 6, 7, 8.1667, 9.5278], rel=1e-3
    )
    changes = [args[1:] for name, args in told.calls if name == "status_changed"]
    assert changes == [(None, "pending"), ("pending", "running"), ("running", "success")]
    assert polled[-1] == "success"  # each answer given to the live logs' hook
    assert len(polled) == len(client.polled_at)


def test_the_deadline_is_a_timeout_and_nothing_is_polled_after_it() -> None:
    clock = FakeClock()
    follower, client, _ = _follower([_build("running")], clock)
    followed = _start(follower, clock, seconds=6)

    follower.wait_for_next_outcome([followed])

    assert followed.outcome == "timeout"
    assert clock() == 1006
    assert max(client.polled_at) <= 1006


def test_unreadable_answers_are_counted_in_the_childs_state_and_told_once_a_minute() -> None:
    clock = FakeClock()
    unreadable = TransientApiError("503 Service Unavailable from GET /api/builds/b1")
    answers: list[Build | Exception] = [unreadable] * 4 + [_build("success")]
    follower, _, told = _follower(answers, clock)
    followed = _start(follower, clock)
    seen: list[tuple[int, str]] = []
    original = follower._transient

    def watch(c: Child, exc: TransientApiError, now: float) -> None:
        original(c, exc, now)
        seen.append((c.unread_answers, c.last_unread))

    follower._transient = watch  # type: ignore[method-assign]

    follower.wait_for_next_outcome([followed])

    assert [n for n, _ in seen] == [1, 2, 3, 4]
    assert seen[-1][1] == "503 Service Unavailable from GET /api/builds/b1"
    assert told.names().count("status_unread") == 1  # within a minute: said once
    assert ("status_read_again", (followed, 4)) in told.calls
    assert (followed.unread_answers, followed.last_unread) == (0, "")


def test_a_status_cfstep_does_not_know_waits_unless_the_build_finished() -> None:
    clock = FakeClock()
    answers: list[Build | Exception] = [_build("queued-elsewhere")] * 3
    answers.append(_build("archived", finished=True))
    follower, _, told = _follower(answers, clock)
    followed = _start(follower, clock)

    follower.wait_for_next_outcome([followed])

    assert followed.outcome == "archived"  # final: it has a finished time
    assert told.names().count("unknown_status") == 1


@pytest.mark.parametrize(("on_approval", "outcome"), [("succeed", "pending-approval")])
def test_an_approval_the_step_does_not_wait_for_is_an_outcome(
    on_approval: str, outcome: str
) -> None:
    clock = FakeClock()
    follower, _, _ = _follower([_build("pending-approval")], clock, on_approval=on_approval)
    followed = _start(follower, clock)

    follower.wait_for_next_outcome([followed])

    assert followed.outcome == outcome


def test_an_approval_waited_for_ends_only_at_the_deadline() -> None:
    clock = FakeClock()
    follower, _, _ = _follower([_build("pending-approval")], clock)
    followed = _start(follower, clock, seconds=30)

    follower.wait_for_next_outcome([followed])

    assert followed.outcome == "timeout"


def test_a_quiet_wait_earns_one_heartbeat_a_minute() -> None:
    clock = FakeClock()
    follower, _, told = _follower([_build("running")] * 40 + [_build("success")], clock)
    followed = _start(follower, clock, seconds=3600)

    follower.wait_for_next_outcome([followed])

    beats = told.names().count("heartbeat")
    minutes = (clock() - 1000) / 60
    assert 1 <= beats <= minutes


def test_terminate_deletes_the_progress_and_says_so() -> None:
    clock = FakeClock()
    follower, client, told = _follower([_build("running")], clock)
    followed = child(status="running")

    assert follower.terminate(followed, 20) is True
    assert client.deleted == ["prog"]
    assert told.names() == ["termination_requested"]


def test_a_refused_termination_is_told_not_raised() -> None:
    clock = FakeClock()
    follower, client, told = _follower([_build("running")], clock)
    client.refuse_delete = ApiError("403 Forbidden from DELETE /api/progress/prog")

    assert follower.terminate(child(status="running"), 20) is False
    assert told.calls[0][0] == "cannot_terminate"
    assert told.calls[0][1][1] == "403 Forbidden from DELETE /api/progress/prog"


def test_a_build_without_progress_cannot_be_terminated() -> None:
    clock = FakeClock()
    follower, client, told = _follower([_build("running", progress=None)], clock)

    assert follower.terminate(child(), 20) is False
    assert client.deleted == []
    assert told.calls == [("cannot_terminate", (told.calls[0][1][0], "it has no progress id"))]
