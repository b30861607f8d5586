"""The emulator's log hosts: a Firebase-like database streaming a build's steps as the
build's clock moves, and the storage a finished build's log is archived to."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from emuhttp import build, call, run

from cfstep.emulator import Emulator, LogFault
from cfstep.logs.sse import events
from fakeclock import FakeClock

Factory = Callable[..., Emulator]
SCENARIO = {
    "pipelines": {
        "p/steps": {
            "timeline": [{"status": "pending", "seconds": 1}, {"status": "running", "seconds": 4}],
            "final": "error",
            "steps": [
                {"name": "Clone", "seconds": 1, "lines": ["a", "b"]},
                {"name": "Test", "lines": ["c", "d", "e"]},
            ],
        }
    }
}


def _auth(emu: Emulator, progress: str) -> dict[str, Any]:
    answer = call(emu, "GET", f"/api/user/firebaseAuth?progressId={progress}")
    assert answer.status == 200
    data: dict[str, Any] = answer.json
    return data


def _stream(emu: Emulator, progress: str, auth: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    url = f"{auth['url']}/build-logs/{progress}/steps.json"
    response = requests.get(
        url,
        params={"auth": auth["accessToken"]},
        headers={"Accept": "text/event-stream"},
        stream=True,
        timeout=5,
    )
    assert response.status_code == 200
    for event in events(iter(lambda: response.raw.read1(65536), b"")):
        yield event.name, json.loads(event.data)


def test_steps_and_lines_follow_the_builds_clock(emulator: Factory, fake_clock: FakeClock) -> None:
    emu = emulator(SCENARIO, clock=fake_clock)
    progress = build(emu, run(emu, "p/steps"))["progress"]
    stream = _stream(emu, progress, _auth(emu, progress))

    assert next(stream) == ("put", {"path": "/", "data": None})  # still pending: no step
    fake_clock.advance(1.6)  # Clone half done
    name, first = next(stream)
    assert name == "put"
    assert first["path"] == "/step000"
    assert first["data"]["name"] == "Clone"
    assert list(first["data"]["logs"].values()) == ["a\r\n", "b\r\n"]
    fake_clock.advance(10)  # the build has ended in error
    changes: dict[str, Any] = {}
    while changes.get("step001", {}).get("status") != "error":
        _, event = next(stream)
        if event["path"] != "/":  # a step's status, or a new step
            changes.setdefault(event["path"].strip("/"), {}).update(event["data"])
    assert changes["step000"]["status"] == "success"


def test_refuses_a_wrong_token_and_a_wrong_root(emulator: Factory) -> None:
    emu = emulator(SCENARIO)
    progress = build(emu, run(emu, "p/steps"))["progress"]
    auth = _auth(emu, progress)
    base = auth["url"]
    wrong_token = requests.get(f"{base}/build-logs/{progress}/steps.json?auth=nope", timeout=5)
    assert wrong_token.status_code == 401
    wrong_root = f"{base}/{progress}/steps.json?auth={auth['accessToken']}"
    assert requests.get(wrong_root, timeout=5).status_code == 404  # newStructure is false


def test_bad_token_fault_hands_out_a_refused_token(emulator: Factory) -> None:
    emu = emulator(SCENARIO)
    emu.add_log_fault(LogFault("bad_token"))
    progress = build(emu, run(emu, "p/steps"))["progress"]
    auth = _auth(emu, progress)
    url = f"{auth['url']}/build-logs/{progress}/steps.json"
    assert requests.get(url, params={"auth": auth["accessToken"]}, timeout=5).status_code == 401


def test_an_unknown_fault_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown log fault"):
        LogFault("flood")
