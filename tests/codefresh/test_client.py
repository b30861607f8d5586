"""The one Codefresh client against the emulator: the path segments it builds reach the
endpoint they name and the URL it prints is the URL it sent; an answer about another object
is an API error; one retry policy, and one word when Codefresh cannot be reached."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

import pytest

from cfstep.codefresh.client import CodefreshClient, Unreachable
from cfstep.codefresh.run_request import quote_segment
from cfstep.codefresh.transport import API_BODY_LIMIT, new_session
from cfstep.emulator import Emulator, Fault
from cfstep.errors import ApiError, InputError
from fakeclock import FakeClock
from scenarios import DEFAULT_SCENARIO

KEY = "client-test-key"


@pytest.fixture
def keyed_emu(emulator: Callable[..., Emulator], fake_clock: FakeClock) -> Emulator:
    return emulator(DEFAULT_SCENARIO, clock=fake_clock, api_key=KEY)


@pytest.fixture
def said() -> list[str]:
    return []


def _client(url: str, clock: FakeClock, said: list[str]) -> CodefreshClient:
    return CodefreshClient(
        new_session(url, KEY),
        clock=clock,
        sleep=clock.sleep,
        jitter=lambda: 1.0,
        notice=said.append,
    )


@pytest.fixture
def client(
    keyed_emu: Emulator, fake_clock: FakeClock, said: list[str]
) -> Iterator[CodefreshClient]:
    made = _client(keyed_emu.url, fake_clock, said)
    yield made
    made.session.close()


def _url_in(message: str) -> str:
    found = re.search(r"http://\S+", message)
    assert found is not None, message
    return found.group(0)


# -- dot segments reach the endpoint they name ---------------------------------------------


@pytest.mark.parametrize(("name", "segment"), [("..", "%2E%2E"), (".", "%2E")])
def test_a_dot_pipeline_is_run_by_that_name_not_another_endpoint(
    client: CodefreshClient, keyed_emu: Emulator, name: str, segment: str
) -> None:
    """`..` would make `POST /api/pipelines/` (create a pipeline) of the run request."""
    with pytest.raises(ApiError) as caught:
        client.run_pipeline(name, {}, "req-1")
    (sent,) = keyed_emu.requests
    assert (sent.method, sent.path) == ("POST", f"/api/pipelines/run/{segment}")
    assert sent.status == 404
    assert _url_in(caught.value.message) == f"{keyed_emu.url}{sent.path}?reqId=req-1"


def test_a_dot_project_is_looked_up_by_that_name_not_listed(
    client: CodefreshClient, keyed_emu: Emulator
) -> None:
    assert client.project_exists("..", 5) is False
    assert [r.path for r in keyed_emu.requests] == ["/api/projects/name/%2E%2E"]


def test_a_dot_pipeline_is_read_by_that_name(client: CodefreshClient, keyed_emu: Emulator) -> None:
    assert client.get_pipeline(".", 5) is None
    assert [r.path for r in keyed_emu.requests] == ["/api/pipelines/%2E"]


@pytest.mark.parametrize(
    ("name", "segment"),
    [
        ("..", "%2E%2E"),
        ("...", "%2E%2E%2E"),
        ("../deploy", "..%2Fdeploy"),
        ("a.b", "a.b"),
        ("my project/deploy", "my%20project%2Fdeploy"),
    ],
)
def test_quote_segment(name: str, segment: str) -> None:
    assert quote_segment(name) == segment


def test_an_empty_segment_is_refused_and_nothing_sent(
    client: CodefreshClient, keyed_emu: Emulator
) -> None:
    with pytest.raises(InputError) as caught:
        client.run_pipeline("", {}, "req-1")
    assert caught.value.message.startswith("the pipeline: an empty name cannot be sent")
    assert keyed_emu.requests == []


# -- an answer about another object -------------------------------------------------------------


def test_a_build_answer_about_another_build(client: CodefreshClient, keyed_emu: Emulator) -> None:
    build_id = client.run_pipeline("proj/ok", {}, "req-1")
    other = {"id": "b0000000000000000000000b", "status": "success"}
    keyed_emu.add_fault(
        Fault("GET", "/api/builds/", "status", status=200, body=json.dumps(other).encode())
    )
    with pytest.raises(ApiError) as caught:
        client.get_build(build_id)
    assert not isinstance(caught.value, Unreachable)
    assert build_id in caught.value.message
    assert "b0000000000000000000000b" in caught.value.message


def test_annotations_of_another_build(client: CodefreshClient, keyed_emu: Emulator) -> None:
    build_id = client.run_pipeline("proj/ok", {}, "req-1")
    foreign = [{"entityId": "someone-else", "key": "cfstep_out_X", "value": "1"}]
    body = json.dumps(foreign).encode()
    keyed_emu.add_fault(Fault("GET", "/api/annotations", "status", status=200, body=body))
    with pytest.raises(ApiError) as caught:
        client.annotations(build_id)
    assert "'someone-else'" in caught.value.message


def test_a_project_answer_about_another_project(
    client: CodefreshClient, keyed_emu: Emulator
) -> None:
    body = json.dumps({"id": "p1", "projectName": "other"}).encode()
    keyed_emu.add_fault(Fault("GET", "/api/projects/name/", "status", status=200, body=body))
    with pytest.raises(ApiError) as caught:
        client.project_exists("team-a", 5)
    assert "'other'" in caught.value.message
    assert "'team-a'" in caught.value.message


# -- one retry policy ------------------------------------------------------------------------------


def test_an_oversized_answer_is_not_retried(
    client: CodefreshClient, keyed_emu: Emulator, fake_clock: FakeClock
) -> None:
    huge = b'{"status": "running", "pad": "' + b"x" * API_BODY_LIMIT + b'"}'
    keyed_emu.add_fault(Fault("GET", "/api/projects/", "status", times=-1, status=200, body=huge))
    with pytest.raises(ApiError) as caught:
        client.retrying(lambda t: client.project_exists("team-a", t), 60)
    assert "larger than 4 MB" in caught.value.message
    assert len(keyed_emu.requests) == 1
    assert fake_clock.sleeps == []


def test_unreachable_is_said_once_for_the_whole_run(fake_clock: FakeClock, said: list[str]) -> None:
    client = _client("http://127.0.0.1:9", fake_clock, said)
    for _ in range(2):
        with pytest.raises(Unreachable):
            client.retrying(lambda t: client.get_build("b1", t), 5)
    client.session.close()
    assert said == ["cannot reach http://127.0.0.1:9: connection refused — retrying for up to 5 s"]
    assert len(fake_clock.sleeps) >= 4  # both calls were retried


def test_waitable_answers_are_not_called_unreachable(
    client: CodefreshClient, keyed_emu: Emulator, said: list[str]
) -> None:
    keyed_emu.add_fault(Fault("GET", "/api/builds/", "status", times=-1, status=503))
    with pytest.raises(ApiError):
        client.retrying(lambda t: client.get_build("b1", t), 5)
    assert said == []  # Codefresh answered: it is reachable
