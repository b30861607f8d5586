"""One run of the step after it decided to run: trigger → follow → outputs, for one child or
several. Builds the collaborators and is the one place that winds a run down when it ends
early: a cancel terminates what runs, an error stops a fan-out (README, "Several children,
and values back"; docs/architecture.md shows how the pieces fit).

Imported only on the trigger path: the skip path never loads the HTTP stack.
"""

from __future__ import annotations

from dataclasses import dataclass

from cfstep import outputs
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


@dataclass(frozen=True)
class Runtime:
    """What the step is given from outside: time, output, signals."""

    clock: Clock
    sleep: Sleep
    jitter: Jitter
    console: Console
    guard: CancelGuard


def run(config: Config, runtime: Runtime, exporter: outputs.Exporter) -> int:
    client = _client(config, runtime)
    follower = Follower(
        client,
        runtime.console,
        clock=runtime.clock,
        sleep=runtime.sleep,
        jitter=runtime.jitter,
        poll_max_seconds=config.poll_max_seconds,
        on_approval=config.on_approval,
        show_labels=len(config.children) > 1,
    )
    console, clock = runtime.console, runtime.clock
    report = Report(
        config=config,
        console=console,
        clock=clock,
        exporter=exporter,
        client=client,
        follower=follower,
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
        scheduler.cancel()
        raise
    except CfstepError:  # e.g. a refused run request or status request (exit 4)
        scheduler.abort()
        raise
    finally:
        client.session.close()
    return scheduler.finish()


def _client(config: Config, runtime: Runtime) -> CodefreshClient:
    debug = (lambda line: runtime.console.say(f"debug: {line}")) if config.debug else None
    if config.insecure:
        runtime.console.say(
            f"warning: INSECURE=true: the TLS certificate of {config.url} is not verified; "
            "prefer CA_BUNDLE (a PEM file of the CAs to trust)"
        )
    session = new_session(
        config.url,
        config.api_key or "",
        insecure=config.insecure,
        ca_bundle=config.ca_bundle,
        debug=debug,
        environ=config.platform.network,
    )
    return CodefreshClient(session, clock=runtime.clock, sleep=runtime.sleep, jitter=runtime.jitter)
