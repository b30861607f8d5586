"""One run of the step after it decided to run: trigger → follow → outputs, for one child or
several. Builds the collaborators and is the one place that winds a run down when it ends
early: a cancel terminates what runs, an error stops a fan-out (README, "Several children,
and values back"; docs/architecture.md shows how the pieces fit).

Imported only on the trigger path: the skip path never loads the HTTP stack.
"""

from __future__ import annotations

from dataclasses import dataclass

from cfstep import logs, logsource, outputs
from cfstep.api import CodefreshClient
from cfstep.cancel import CancelGuard
from cfstep.console import Console
from cfstep.errors import Cancelled, CfstepError
from cfstep.follow import Follower
from cfstep.model import Config
from cfstep.policy import Policy
from cfstep.report import Report
from cfstep.schedule import Clock, Jitter, Sleep
from cfstep.scheduler import Scheduler
from cfstep.transport import new_session

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


def run(config: Config, runtime: Runtime, exporter: outputs.Exporter) -> int:
    if config.insecure:
        runtime.console.say(
            f"warning: INSECURE=true: the TLS certificate of {config.url} is not verified; "
            "prefer CA_BUNDLE (a PEM file of the CAs to trust)"
        )
    client = _client(config, runtime)
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
        on_poll=live.poll_seen,
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
    except Cancelled:
        live.stop_all()
        scheduler.cancel()
        raise
    except CfstepError:  # e.g. a refused run request or status request (exit 4)
        live.stop_all()
        scheduler.abort()
        raise
    finally:
        live.stop_all()
        client.session.close()
    return scheduler.finish()


def _client(config: Config, runtime: Runtime) -> CodefreshClient:
    debug = (lambda line: runtime.console.say(f"debug: {line}")) if config.debug else None
    session = new_session(
        config.url,
        config.api_key or "",
        insecure=config.insecure,
        ca_bundle=config.ca_bundle,
        debug=debug,
        environ=config.platform.network,
    )
    return CodefreshClient(session, clock=runtime.clock, sleep=runtime.sleep, jitter=runtime.jitter)


def _live_logs(config: Config, runtime: Runtime) -> logs.LiveLogs:
    """FOLLOW_LOGS: each live log reads with its own API session (a session is one
    connection, used by one thread) and its own session for the log store."""
    return logs.LiveLogs(
        enabled=config.follow_logs,
        labels=len(config.children) > 1,
        console=runtime.console,
        client=lambda: _client(config, runtime),
        session=lambda: _log_session(config),
    )


def _log_session(config: Config) -> requests.Session:
    return logsource.http_session(
        config.platform.network, insecure=config.insecure, ca_bundle=config.ca_bundle
    )
