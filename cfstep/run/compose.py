"""One run of the step after it decided to run: trigger → follow → outputs, for one child or
several. Builds the collaborators and is the one place that winds a run down when it ends
early: a cancel terminates what runs, an error stops a fan-out (README, "Several children,
and values back"; docs/architecture.md shows how the pieces fit).

Imported only on the trigger path: the skip path never loads the HTTP stack.
"""

from __future__ import annotations

from dataclasses import dataclass

from cfstep import outputs
from cfstep.cancel import CancelGuard
from cfstep.codefresh.client import CodefreshClient, client_for
from cfstep.console import Console
from cfstep.errors import Cancelled, CfstepError
from cfstep.logs import live, location
from cfstep.model import Config
from cfstep.run.follow import Follower
from cfstep.run.policy import Policy
from cfstep.run.report import Report
from cfstep.run.scheduler import Scheduler
from cfstep.timing import Clock, Jitter, Sleep

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    import requests


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
    skipped: frozenset[int] = frozenset(),
) -> int:
    """Trigger (or follow BUILD_ID), follow, export; `client` is the run's one API client
    (its caller closes it). `skipped`: the children (by place, from 1) decided not to run
    because their files did not change (docs/monorepos.md): never triggered, reported so."""
    if config.insecure:
        runtime.console.say(
            f"warning: INSECURE=true: the TLS certificate of {config.url} is not verified; "
            "prefer CA_BUNDLE (a PEM file of the CAs to trust)"
        )
    live = _live_logs(config, runtime)
    follower = Follower(
        client,
        runtime.console,
        clock=runtime.clock,
        sleep=runtime.sleep,
        jitter=runtime.jitter,
        poll_max_seconds=config.poll_max_seconds,
        on_approval=config.on_approval,
        show_labels=len(config.children) > 1,
        on_poll=lambda child: live.start(
            child.index,
            child.build.progress if child.build else None,
            f"{child.index} {child.label}" if len(config.children) > 1 else "",
        ),
    )
    console, clock = runtime.console, runtime.clock
    report = Report(
        config=config,
        console=console,
        clock=clock,
        exporter=exporter,
        client=client,
        follower=follower,
        live=live,
        log_session=lambda: _log_session(config),
        skipped=skipped,
    )
    policy = Policy(config, console, follower, report)
    scheduler = Scheduler(
        config=config,
        console=console,
        clock=clock,
        guard=runtime.guard,
        client=client,
        follower=follower,
        report=report,
        policy=policy,
    )
    try:
        if config.build_id is not None:
            scheduler.follow_existing(config.build_id)
        else:
            scheduler.start_and_follow()
    except BaseException as exc:
        live.stop_all()
        _wind_down(scheduler, exc)
        raise
    finally:
        live.stop_all()
    return scheduler.finish()


def _wind_down(scheduler: Scheduler, exc: BaseException) -> None:
    """Every way out of a run after the trigger ends the children it answers for: a cancel
    terminates them (TERMINATE_ON_CANCEL), an error stops a fan-out (FAIL_FAST), a bug does
    the same before it is reported (exit 70); each exports what is known and writes the
    JSON. A signal during that wind-down becomes a cancel's wind-down; the first reason is
    the one raised after it, unless it was a signal."""
    try:
        if isinstance(exc, Cancelled):
            scheduler.cancel()
        elif isinstance(exc, CfstepError):  # e.g. a refused run or status request (exit 4)
            scheduler.abort()
        elif isinstance(exc, Exception):
            scheduler.crashed()
    except Cancelled:
        scheduler.cancel()
        raise
    except Exception as failed:
        if isinstance(exc, Cancelled | CfstepError):
            raise
        exc.add_note(f"and winding the run down failed too: {failed!r}")


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
