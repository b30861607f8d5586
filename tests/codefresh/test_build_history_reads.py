"""The two reads MODIFIED_FILES_GLOB needs, and their parsing boundary: a pipeline's id and
triggers, its last successful build on a branch. Whatever the server answers becomes typed
values or an ApiError; never a half-trusted value (docs/monorepos.md)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cfstep.codefresh.answers import (
    LastBuild,
    Trigger,
    last_build_from,
    pipeline_triggers_from,
)
from cfstep.codefresh.client import CodefreshClient
from cfstep.codefresh.transport import new_session
from cfstep.emulator import Emulator
from cfstep.errors import ApiError
from cfstep.model import MAX_GLOB_CHARS
from fakeclock import FakeClock
from harness import API_KEY

WEB_ID = "c0000000000000000000000c"
SCENARIO = {
    "pipelines": {
        "shop/web": {
            "id": WEB_ID,
            "triggers": [{"name": "push", "modifiedFilesGlob": "services/web/**"}, "manual"],
            "builds": [
                {"status": "success", "branch": "main", "revision": "a" * 40, "seconds_ago": 9},
                {"status": "success", "branch": "main", "revision": "b" * 40, "seconds_ago": 5},
            ],
        }
    }
}


@pytest.fixture
def client(emulator: Callable[..., Emulator], fake_clock: FakeClock) -> CodefreshClient:
    emu = emulator(SCENARIO, clock=fake_clock, api_key=API_KEY)
    session = new_session(emu.url, API_KEY, insecure=False, ca_bundle=None, environ={})
    return CodefreshClient(session, clock=fake_clock, sleep=fake_clock.sleep, jitter=lambda: 1.0)


def test_a_pipeline_by_name_and_by_id(client: CodefreshClient) -> None:
    for name in ("shop/web", WEB_ID):
        found = client.pipeline_triggers(name, timeout=5)
        assert (found.id, found.name) == (WEB_ID, "shop/web")
        assert found.triggers == (
            Trigger("push", "push", "git", "services/web/**"),
            Trigger("manual", "manual", "git", None),
        )


def test_an_unknown_pipeline_is_refused(client: CodefreshClient) -> None:
    with pytest.raises(ApiError, match="pipeline 'shop/nope' not found: check PIPELINE_ID"):
        client.pipeline_triggers("shop/nope", timeout=5)


def test_the_newest_success_on_the_branch(client: CodefreshClient) -> None:
    found = client.last_successful_build(WEB_ID, "main", timeout=5)
    assert found is not None
    assert found.revision == "b" * 40
    assert client.last_successful_build(WEB_ID, "other", timeout=5) is None


def _pipeline(**metadata: object) -> dict[str, object]:
    return {"metadata": {"name": "shop/web", "id": WEB_ID, **metadata}, "spec": {}}


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (None, "is not a pipeline with an id"),
        ([], "is not a pipeline with an id"),
        ({"metadata": {"name": "shop/web"}}, "is not a pipeline with an id"),
        ({"metadata": {"name": "shop/web", "id": "../../x"}}, "is not a pipeline with an id"),
        (_pipeline(name="shop/api"), "the answer is about 'shop/api'"),
        (_pipeline(name="shop/web\x1b[2J"), "is not a pipeline with an id"),
        ({**_pipeline(), "spec": "nope"}, "is not a pipeline with an id"),
    ],
)
def test_what_is_not_the_pipeline_asked_for(answer: object, problem: str) -> None:
    with pytest.raises(ApiError, match=problem):
        pipeline_triggers_from(answer, "shop/web")


@pytest.mark.parametrize(
    ("triggers", "found"),
    [
        (None, ()),
        ("nope", ()),
        ([{"name": "t", "type": "git"}], (Trigger("t", None, "git", None),)),
        ([{"name": "t", "modifiedFilesGlob": ""}], (Trigger("t", None, None, None),)),
        ([{"name": "t", "modifiedFilesGlob": 7}], (Trigger("t", None, None, None, True),)),
        (
            [{"name": "t", "modifiedFilesGlob": "a" * (MAX_GLOB_CHARS + 1)}],
            (Trigger("t", None, None, None, True),),
        ),
        ([{"name": "t", "modifiedFilesGlob": "\ud800"}], (Trigger("t", None, None, None, True),)),
        ([{"type": "git"}, "x", 3], ()),  # no name: not a trigger anyone can name
        ([{"name": "t", "id": "bad id!"}], (Trigger("t", None, None, None),)),
        ([{"name": "push\x1b[2J"}, {"name": "t\nu"}], ()),  # a name no line can hold
        ([{"name": "t", "modifiedFilesGlob": "a/**\nb"}], (Trigger("t", None, None, None, True),)),
    ],
    ids=[
        "none",
        "text",
        "no-glob",
        "empty",
        "number",
        "too-long",
        "surrogate",
        "no-name",
        "id",
        "control-name",
        "control-glob",
    ],
)
def test_triggers_as_read(triggers: object, found: tuple[Trigger, ...]) -> None:
    answer = {**_pipeline(), "spec": {"triggers": triggers}}
    assert pipeline_triggers_from(answer, "shop/web").triggers == found


def test_no_more_than_a_thousand_triggers_are_read() -> None:
    answer = {**_pipeline(), "spec": {"triggers": [{"name": f"t{n}"} for n in range(5000)]}}
    assert len(pipeline_triggers_from(answer, "shop/web").triggers) == 1000


def _build(**fields: object) -> dict[str, object]:
    return {
        "id": "b1",
        "status": "success",
        "branchName": "main",
        "serviceId": WEB_ID,
        "revision": "A" * 40,
        **fields,
    }


@pytest.mark.parametrize(
    ("docs", "found"),
    [
        ([], None),
        ([_build()], LastBuild("b1", "a" * 40)),
        ([_build(revision="abc1234")], LastBuild("b1", "abc1234")),
        ([_build(revision="HEAD~1")], LastBuild("b1", None)),
        ([_build(revision=["a" * 40])], LastBuild("b1", None)),
        ([_build(revision="a" * 65)], LastBuild("b1", None)),
        ([_build(id="x/y")], LastBuild("(no id)", "a" * 40)),
        ([_build(status="error"), _build(id="b2")], LastBuild("b2", "a" * 40)),
        ([_build(branchName="dev"), _build(id="b2")], LastBuild("b2", "a" * 40)),
        ([_build(serviceId="f" * 24)], None),
        ([{k: v for k, v in _build().items() if k != "serviceId"}], LastBuild("b1", "a" * 40)),
        (["nope", 3, None, _build()], LastBuild("b1", "a" * 40)),
    ],
    ids=[
        "none",
        "sha1",
        "abbreviated",
        "a-revision-expression",
        "a-list",
        "too-long",
        "bad-id",
        "not-a-success",
        "another-branch",
        "another-pipeline",
        "no-pipeline-field",
        "junk-first",
    ],
)
def test_the_last_build_as_read(docs: list[object], found: LastBuild | None) -> None:
    answer = {"workflows": {"docs": docs, "total": len(docs)}}
    assert last_build_from(answer, pipeline_id=WEB_ID, branch="main") == found


@pytest.mark.parametrize("answer", [None, [], {"workflows": []}, {"workflows": {"docs": {}}}])
def test_a_builds_answer_without_builds(answer: object) -> None:
    with pytest.raises(ApiError, match=r"holds no `workflows\.docs` list"):
        last_build_from(answer, pipeline_id=WEB_ID, branch="main")
