"""The composition root of a run, after the step decided to run: builds every part (the
run's state, the policy, the report and summary, the follower, the collector, the live
logs, the scheduler), wires them, runs them, and winds the run down on every way out
(docs/architecture.md shows how the parts fit). Nothing else constructs them.

Imported only on the trigger path: the skip path never loads the HTTP stack.
"""

from __future__ import annotations

from dataclasses import dataclass

from cfstep.codefresh.client import client_for
from cfstep.logs import live, location
from cfstep.run import wind_down
from cfstep.run.collect import Collector
from cfstep.run.follow import Follower
from cfstep.run.policy import Policy
from cfstep.run.report import Report
from cfstep.run.scheduler import Scheduler
from cfstep.run.state import RunState
from cfstep.run.summary import Summary

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Mapping

    import requests

    from cfstep import outputs
    from cfstep.cancel import CancelGuard
    from cfstep.codefresh.client import CodefreshClient
    from cfstep.console import Console
    from cfstep.model import Config
    from cfstep.run.state import Child
    from cfstep.timing import Clock, Jitter, Sleep


@dataclass(frozen=True)
class Runtime:
    """What the step is given from outside: time, output, signals."""

    clock: Clock
    sleep: Sleep
    jitter: Jitter
    console: Console
    guard: CancelGuard


def run(
    config: Config,
    runtime: Runtime,
    exporter: outputs.Exporter,
    client: CodefreshClient,
    *,
    skip: Mapping[int, str] | None = None,
) -> int:
    """Trigger (or follow BUILD_ID), follow, export; `client` is the run's one API client
    (its caller closes it). `skip`: children decided not to run before any trigger, by
    their index in the list (from 1), each with the one line that says why, without the
    child's name (see `RunState.skip`)."""
    if config.insecure:
        runtime.console.say(
            f"warning: INSECURE=true: the TLS certificate of {config.url} is not verified; "
            "prefer CA_BUNDLE (a PEM file of the CAs to trust)"
        )
    scheduler, live_logs = _compose(config, runtime, exporter, client)
    for index, reason in (skip or {}).items():
        scheduler.state.skip(index, reason)
    try:
        if config.build_id is not None:
            scheduler.follow_existing(config.build_id)
        else:
            scheduler.start_and_follow()
    except BaseException as exc:
        live_logs.stop_all()
        wind_down.after(scheduler, exc)
        raise
    finally:
        live_logs.stop_all()
    return scheduler.finish()


def _compose(
    config: Config, runtime: Runtime, exporter: outputs.Exporter, client: CodefreshClient
) -> tuple[Scheduler, live.LiveLogs]:
    console, clock = runtime.console, runtime.clock
    state = RunState(planned=max(1, len(config.children)), started_at=clock())
    policy = Policy(config)
    report = Report(config=config, console=console, clock=clock, exporter=exporter, state=state)
    summary = Summary(
        config=config, console=console, clock=clock, exporter=exporter, state=state, report=report
    )
    live_logs = _live_logs(config, runtime)

    def start_live_log(child: Child) -> None:
        """A child's live log starts once a poll gave its progress id; in a fan-out its
        lines carry the child's label, as the status lines do (`[#2 shop/deploy-us]`)."""
        progress = child.build.progress if child.build else None
        live_logs.start(child.index, progress, child.name if state.many else "")

    follower = Follower(
        client,
        report,
        clock=clock,
        sleep=runtime.sleep,
        jitter=runtime.jitter,
        poll_max_seconds=config.poll_max_seconds,
        on_approval=config.on_approval,
        on_poll=start_live_log,
    )
    collector = Collector(
        client=client,
        live=live_logs,
        log_session=lambda: _log_session(config),
        console=console,
        policy=policy,
    )
    scheduler = Scheduler(
        config=config,
        clock=clock,
        guard=runtime.guard,
        client=client,
        state=state,
        policy=policy,
        follower=follower,
        collector=collector,
        report=report,
        summary=summary,
    )
    return scheduler, live_logs


def _client(config: Config, runtime: Runtime) -> CodefreshClient:
    return client_for(
        config, runtime.console, clock=runtime.clock, sleep=runtime.sleep, jitter=runtime.jitter
    )


def _live_logs(config: Config, runtime: Runtime) -> live.LiveLogs:
    """FOLLOW_LOGS: each live log reads with its own API session (a session is one
    connection, used by one thread) and its own session for the log store."""
    return live.LiveLogs(
        enabled=config.follow_logs,
        console=runtime.console,
        client=lambda: _client(config, runtime),
        session=lambda: _log_session(config),
    )


def _log_session(config: Config) -> requests.Session:
    return location.http_session(
        config.platform.network, insecure=config.insecure, ca_bundle=config.ca_bundle
    )
