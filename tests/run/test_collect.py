"""What a finished child leaves behind, fetched between its end and telling it
(cfstep.run.collect): its live log drained, its log tail when it failed and was not shown
whole, its values back read with retries. Against the emulator on a fake clock."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import pytest
from runparts import config

from cfstep.codefresh import run_request
from cfstep.codefresh.client import CodefreshClient, client_for
from cfstep.console import Console
from cfstep.emulator import Emulator, Fault
from cfstep.errors import Cancelled
from cfstep.logs import location
from cfstep.model import ChildSpec, ExitCode
from cfstep.run.collect import Collector
from cfstep.run.policy import Policy
from cfstep.run.state import Child, label
from fakeclock import FakeClock
from harness import API_KEY, base_env


@dataclass
class FakeLiveLogs:
    """`shown_whole` as the test says; each `ended` the collector asked is recorded."""

    whole: bool = False
    asked: list[tuple[int, bool]] = field(default_factory=list)  # (index, drain)

    def ended(self, index: int, *, drain: bool) -> None:
        self.asked.append((index, drain))

    def shown_whole(self, index: int) -> bool:
        return self.whole


@dataclass
class Setup:
    emu: Emulator
    clock: FakeClock
    client: CodefreshClient
    err: io.StringIO
    live: FakeLiveLogs
    env: dict[str, str]

    def ended_child(self, pipeline: str) -> Child:
        """Trigger `pipeline` and let it end, as the follower would see it."""
        body = run_request.run_body(ChildSpec(pipeline), None)
        build_id = self.client.run_pipeline(pipeline, body, run_request.new_req_id())
        self.clock.advance(10)
        build = self.client.get_build(build_id)
        return Child(
            index=1,
            pipeline=pipeline,
            name=label(1, pipeline, many=False),
            build_id=build_id,
            url=self.client.build_url(build_id),
            started_at=0.0,
            deadline=600.0,
            status=build.status,
            build=build,
            outcome=build.status,
        )

    def collector(self, **env: str) -> Collector:
        cfg = config(**{**self.env, **env})
        console = Console(err=self.err)
        return Collector(
            client=self.client,
            live=self.live,  # type: ignore[arg-type]
            log_session=lambda: location.http_session({}, insecure=False, ca_bundle=None),
            console=console,
            policy=Policy(cfg),
        )


@pytest.fixture
def setup(emu: Emulator, fake_clock: FakeClock) -> Setup:
    env = base_env(emu)
    cfg = config(**env)
    client = client_for(
        cfg, Console(), clock=fake_clock, sleep=fake_clock.sleep, jitter=lambda: 1.0
    )
    return Setup(emu, fake_clock, client, io.StringIO(), FakeLiveLogs(), env)


def test_a_failed_child_not_shown_whole_live_gets_its_tail(setup: Setup) -> None:
    """The live log did not catch up (shown_whole false although it never failed): the tail
    is shown, as when live logs fail."""
    failed = setup.ended_child("proj/fail")
    setup.collector(LOG_TAIL="3").collect(failed)

    assert setup.live.asked == [(1, True)]  # drained first: it ended on its own
    assert setup.err.getvalue().splitlines() == [
        f"last 3 log lines of {failed.build_id}:",
        "  | line 98",
        "  | line 99",
        "  | line 100",
    ]


def test_a_failed_child_shown_whole_live_gets_no_tail(setup: Setup) -> None:
    setup.live.whole = True
    failed = setup.ended_child("proj/fail")
    setup.collector().collect(failed)

    assert setup.err.getvalue() == ""
    assert not [r for r in setup.emu.requests if r.path.startswith("/api/progress/")]


def test_values_back_are_read_and_filtered(setup: Setup) -> None:
    ended = setup.ended_child("proj/ok")
    collected = setup.collector().collect(ended)

    assert collected.returned == {"VERSION": "1.2.3"}
    assert collected.unreadable is None
    assert setup.err.getvalue() == ""  # a success shows no tail


def test_transient_trouble_reading_annotations_is_retried(setup: Setup) -> None:
    ended = setup.ended_child("proj/ok")
    setup.emu.add_fault(Fault("GET", "/api/annotations", "status", times=2, status=503))
    collected = setup.collector().collect(ended)

    assert collected.returned == {"VERSION": "1.2.3"}
    reads = [r for r in setup.emu.requests if r.path.startswith("/api/annotations")]
    assert len(reads) == 3


def test_annotations_that_cannot_be_read_are_a_reason_not_an_error(setup: Setup) -> None:
    ended = setup.ended_child("proj/ok")
    setup.emu.add_fault(Fault("GET", "/api/annotations", "status", times=-1, status=503))
    collected = setup.collector().collect(ended)

    assert collected.returned == {}
    assert collected.unreadable is not None
    assert "503" in collected.unreadable


def test_a_signal_while_reading_annotations_stops_the_step(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    ended = setup.ended_child("proj/ok")

    def stopped(*_args: object, **_kwargs: object) -> dict[str, str]:
        raise Cancelled("stopped by SIGTERM", ExitCode.SIGTERM)

    monkeypatch.setattr(setup.client, "annotations", stopped)
    with pytest.raises(Cancelled):
        setup.collector().collect(ended)


def test_a_child_stopped_by_the_step_is_not_drained_nor_tailed(setup: Setup) -> None:
    stopped = setup.ended_child("proj/fail")
    stopped.stopped_by_step = True
    setup.collector().collect(stopped)

    assert setup.live.asked == [(1, False)]
    assert setup.err.getvalue() == ""


def test_the_collector_holds_no_api_key(setup: Setup) -> None:
    """The tail is read from the storage link with the keyless session."""
    failed = setup.ended_child("proj/fail")
    setup.collector(LOG_TAIL="1").collect(failed)

    storage = setup.emu.logstore.recorded()
    assert storage
    assert all(API_KEY not in str(r.headers) for r in storage)
