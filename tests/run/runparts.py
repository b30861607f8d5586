"""The run's parts built by hand for unit tests, around fakes that record what they were
asked (import it by name: `from runparts import Parts`). No HTTP unless a test brings the
emulator."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cfstep import outputs
from cfstep.cancel import CancelGuard
from cfstep.codefresh.answers import Build
from cfstep.console import Console
from cfstep.inputs import config as inputs
from cfstep.model import Config
from cfstep.run.collect import Collected
from cfstep.run.policy import Policy
from cfstep.run.report import Report
from cfstep.run.scheduler import Scheduler
from cfstep.run.state import Child, RunState, label
from cfstep.run.summary import Summary
from fakeclock import FakeClock
from harness import parse_exports


def config(**env: str) -> Config:
    """The inputs as the step parses them (PIPELINE_ID proj/ok unless PIPELINES is given)."""
    base = {"CF_API_KEY": "runparts-test-key", "CF_URL": "http://cf.example"}
    if "PIPELINES" not in env and "BUILD_ID" not in env:
        base["PIPELINE_ID"] = "proj/ok"
    return inputs.parse([], {**base, **env})


def child(
    index: int = 1,
    *,
    many: bool = False,
    pipeline: str = "proj/ok",
    status: str | None = None,
    outcome: str | None = None,
    stopped: bool = False,
    started_at: float = 1000.0,
    progress: str | None = "prog",
) -> Child:
    build_id = f"b{index:023d}"
    found = Child(
        index=index,
        pipeline=pipeline,
        name=label(index, pipeline, many=many),
        build_id=build_id,
        url=f"http://cf.example/build/{build_id}",
        started_at=started_at,
        deadline=started_at + 60,
        status=status,
        outcome=outcome,
        stopped_by_step=stopped,
    )
    if status is not None:
        found.build = Build(build_id, status, progress, None, None)
    return found


@dataclass
class FakeFollower:
    """Outcomes in a scripted order; terminations answered from `accepts` (default yes),
    or an error from `raises`, raised once."""

    outcomes: list[tuple[int, str]] = field(default_factory=list)  # (index, outcome)
    accepts: dict[int, bool] = field(default_factory=dict)
    raises: dict[int, Exception] = field(default_factory=dict)
    terminated: list[tuple[int, float]] = field(default_factory=list)
    scheduled: list[int] = field(default_factory=list)

    def schedule_first_poll(self, child: Child) -> None:
        self.scheduled.append(child.index)

    def wait_for_next_outcome(self, active: list[Child]) -> Child:
        index, outcome = self.outcomes.pop(0)
        (found,) = [c for c in active if c.index == index]
        found.outcome = outcome
        found.status = outcome if outcome in ("success", "error", "terminated") else "running"
        return found

    def terminate(self, child: Child, budget: float) -> bool:
        self.terminated.append((child.index, budget))
        if child.index in self.raises:  # once: a second signal is ignored, as CancelGuard does
            raise self.raises.pop(child.index)
        return self.accepts.get(child.index, True)


@dataclass
class FakeCollector:
    """Records each child it collected, with the exports written at that moment."""

    parts: Parts | None = None
    collected: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    returned: dict[int, dict[str, str]] = field(default_factory=dict)

    def collect(self, child: Child) -> Collected:
        exports = self.parts.exports if self.parts else {}
        self.collected.append((child.index, exports))
        return Collected(self.returned.get(child.index, {}))


class FakeSession:
    base_url = "http://cf.example"

    def cut_soon(self, _seconds: float) -> None:
        pass


@dataclass
class FakeClient:
    """run_pipeline gives ids in order; build_url as the real client makes it."""

    session: FakeSession = field(default_factory=FakeSession)
    started: list[str] = field(default_factory=list)

    def run_pipeline(self, pipeline: str, body: object, req_id: str, guard: object) -> str:
        self.started.append(pipeline)
        return f"b{len(self.started):023d}"

    def build_url(self, build_id: str) -> str:
        return f"{self.session.base_url}/build/{build_id}"


class Parts:
    """State, policy, report and summary on a console that writes to a string and an
    export file in `folder`; a scheduler around fakes on demand."""

    def __init__(self, folder: Path, clock: FakeClock | None = None, **env: str) -> None:
        self.config = config(EXPORT_FILE=str(folder / "exports"), **env)
        self.clock = clock or FakeClock()
        self.err = io.StringIO()
        self.console = Console(err=self.err)
        self.exporter = outputs.Exporter(self.config.export_file, self.console)
        self.state = RunState(planned=max(1, len(self.config.children)), started_at=self.clock())
        self.policy = Policy(self.config)
        self.report = Report(
            config=self.config,
            console=self.console,
            clock=self.clock,
            exporter=self.exporter,
            state=self.state,
        )
        self.summary = Summary(
            config=self.config,
            console=self.console,
            clock=self.clock,
            exporter=self.exporter,
            state=self.state,
            report=self.report,
        )
        self._folder = folder

    @property
    def lines(self) -> list[str]:
        return [line for line in self.err.getvalue().splitlines() if line]

    @property
    def export_text(self) -> str:
        path = self._folder / "exports"
        return path.read_text(encoding="utf-8") if path.exists() else ""

    @property
    def exports(self) -> dict[str, str]:
        return parse_exports(self.export_text)

    def scheduler(
        self,
        follower: FakeFollower,
        collector: FakeCollector | None = None,
        client: FakeClient | None = None,
    ) -> Scheduler:
        collector = collector or FakeCollector()
        collector.parts = self
        return Scheduler(
            config=self.config,
            clock=self.clock,
            guard=CancelGuard(),
            client=client or FakeClient(),  # type: ignore[arg-type]
            state=self.state,
            policy=self.policy,
            follower=follower,  # type: ignore[arg-type]
            collector=collector,  # type: ignore[arg-type]
            report=self.report,
            summary=self.summary,
        )


Factory = Callable[..., Parts]
