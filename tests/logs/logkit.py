"""What the log tests share: a child started on the emulator, and one `LogStream` following
it for real (HTTP to the emulator's API and log store) with its waits recorded, not slept.

Import it by name from a test of this folder: `from logkit import follow`.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

import requests

from cfstep.codefresh.client import CodefreshClient
from cfstep.codefresh.transport import new_session
from cfstep.console import Console
from cfstep.emulator import Emulator
from cfstep.logs import location
from cfstep.logs.stream import LogStream


def start_child(emu: Emulator, pipeline: str) -> str:
    """Start a build of `pipeline` through the API; its progress id."""
    headers = {"Authorization": emu.api_key}
    run = requests.post(
        f"{emu.url}/api/pipelines/run/{quote(pipeline, safe='')}",
        json={},
        headers=headers,
        timeout=5,
    )
    run.raise_for_status()
    build = requests.get(f"{emu.url}/api/builds/{run.json()}", headers=headers, timeout=5)
    build.raise_for_status()
    progress: str = build.json()["progress"]
    return progress


@dataclass
class Followed:
    """What one LogStream did: its output, and the order of its waits and token requests."""

    stream: LogStream
    err: io.StringIO
    timeline: list[tuple[str, float]] = field(default_factory=list)  # ("wait", s) / ("token", 0)

    @property
    def lines(self) -> list[str]:
        return self.err.getvalue().splitlines()

    @property
    def child_lines(self) -> list[str]:
        return [line for line in self.lines if not line.startswith("live logs ")]

    @property
    def waits(self) -> list[float]:
        return [seconds for kind, seconds in self.timeline if kind == "wait"]

    @property
    def tokens(self) -> int:
        return sum(kind == "token" for kind, _ in self.timeline)


def follow(
    emu: Emulator,
    progress: str,
    *,
    secrets: list[str] | None = None,
    run_for: float | None = None,
    timeout: float = 20.0,
) -> Followed:
    """Follow the child's log until live logs stop on their own (`run_for` None), or for
    `run_for` seconds of real time and then `finish(drain=True)`."""
    err = io.StringIO()
    console = Console(err=err)
    console.add_secrets([emu.api_key, *(secrets or [])])
    followed = Followed(stream=None, err=err)  # type: ignore[arg-type]
    followed.stream = LogStream(
        progress,
        client=_client_factory(emu, followed.timeline),
        session=lambda: location.http_session({}, insecure=False, ca_bundle=None),
        console=console,
        pause=lambda seconds: followed.timeline.append(("wait", seconds)),
        jitter_factor=lambda: 1.0,
    ).start()
    if run_for is None:
        followed.stream._thread.join(timeout)  # the thread ends when live logs stop
        assert not followed.stream._thread.is_alive(), "live logs never stopped"
    else:
        time.sleep(run_for)
        followed.stream.finish(drain=True)
    return followed


def _client_factory(
    emu: Emulator, timeline: list[tuple[str, float]]
) -> Callable[[], CodefreshClient]:
    class Counting(CodefreshClient):
        def firebase_auth(self, progress_id: str, timeout: float | None = None) -> object:
            timeline.append(("token", 0.0))
            return super().firebase_auth(progress_id, timeout)

    return lambda: Counting(
        new_session(emu.url, emu.api_key), clock=time.monotonic, sleep=time.sleep, jitter=lambda: 1
    )
