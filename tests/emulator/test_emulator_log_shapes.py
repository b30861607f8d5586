"""The log store's hostile shapes: pushes as written, one `put` per push, a text archive,
and scripted connections."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests

from cfstep.emulator import Emulator
from cfstep.logs.sse import events
from fakeclock import FakeClock

SCENARIO = {
    "pipelines": {
        "p/pieces": {
            "timeline": [{"status": "running", "seconds": 3}],
            "final": "error",
            "steps": [{"name": "Deploy", "seconds": 2, "lines": ["token HUNT", "ER2 done\r\n"]}],
        }
    }
}
Factory = Callable[..., Emulator]


def _progress(emu: Emulator, pipeline: str = "p/pieces") -> str:
    headers = {"Authorization": emu.api_key}
    path = f"{emu.url}/api/pipelines/run/{quote(pipeline, safe='')}"
    build_id = requests.post(path, json={}, headers=headers, timeout=5).json()
    build = requests.get(f"{emu.url}/api/builds/{build_id}", headers=headers, timeout=5).json()
    return str(build["progress"])


def _open(emu: Emulator, progress: str) -> Iterator[tuple[str, Any]]:
    auth = requests.get(
        f"{emu.url}/api/user/firebaseAuth",
        params={"progressId": progress},
        headers={"Authorization": emu.api_key},
        timeout=5,
    ).json()
    response = requests.get(
        f"{auth['url']}/build-logs/{progress}/steps.json",
        params={"auth": auth["accessToken"]},
        headers={"Accept": "text/event-stream"},
        stream=True,
        timeout=5,
    )
    for event in events(response.iter_content(None)):
        yield event.name, json.loads(event.data)


def test_raw_pushes_and_one_put_per_push(emulator: Factory, fake_clock: FakeClock) -> None:
    emu = emulator(SCENARIO, clock=fake_clock)
    emu.logstore.raw_pushes = True
    emu.logstore.line_events = "put"
    progress = _progress(emu)
    fake_clock.advance(0.5)  # the step exists, its first piece written
    stream = _open(emu, progress)
    name, first = next(stream)
    assert name == "put"
    assert list(first["data"]["step000"]["logs"].values()) == ["token HUNT"]
    fake_clock.advance(1.5)
    assert next(stream) == (
        "put",
        {"path": f"/step000/logs/-L{1:018d}", "data": "ER2 done\r\n"},
    )


def test_a_text_archive_is_the_pushes_joined(emulator: Factory, fake_clock: FakeClock) -> None:
    emu = emulator(SCENARIO, clock=fake_clock)
    emu.logstore.raw_pushes = True
    emu.logstore.storage_form = "text"
    progress = _progress(emu)
    fake_clock.advance(5)
    answer = requests.get(emu.logstore.storage_url(progress), timeout=5)
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.text == "token HUNTER2 done\r\n"


def test_scripted_connections_play_in_order_then_cancel(emulator: Factory) -> None:
    emu = emulator(SCENARIO)
    progress = _progress(emu)
    emu.logstore.script(
        [
            [("put", {"path": "/", "data": None}), ("keep-alive", None)],
            [("patch", {"path": "/", "data": {"a/name": "A"}}), ("drop", None)],
        ]
    )
    assert list(_open(emu, progress)) == [
        ("put", {"path": "/", "data": None}),
        ("keep-alive", None),
    ]
    dropped = _open(emu, progress)
    assert next(dropped) == ("patch", {"path": "/", "data": {"a/name": "A"}})
    with pytest.raises(requests.exceptions.ChunkedEncodingError):  # cut, not ended
        next(dropped)
    assert list(_open(emu, progress)) == [("cancel", "permission denied")]
