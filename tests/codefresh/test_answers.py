"""An answer about a named object must be about that object; anything else is an API error
that names both."""

from __future__ import annotations

import json

import pytest

from cfstep.codefresh import answers
from cfstep.codefresh.answers import ApiAnswer, Build
from cfstep.errors import ApiError, TransientApiError

URL = "https://g.codefresh.io/api/pipelines/proj%2Fpipe"


def _answer(body: object) -> ApiAnswer:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return ApiAnswer(200, "OK", {"content-type": "application/json"}, raw, URL)


def _pipeline(name: object, pipeline_id: object = "64b0de0d00000000000000aa") -> dict[str, object]:
    return {"metadata": {"name": name, "id": pipeline_id}, "spec": {"triggers": []}}


@pytest.mark.parametrize("asked", ["proj/pipe", "64b0de0d00000000000000aa"])
def test_a_pipeline_asked_for_by_name_or_id(asked: str) -> None:
    assert answers.pipeline_from(_answer(_pipeline("proj/pipe")), asked)["metadata"]["name"] == (
        "proj/pipe"
    )


@pytest.mark.parametrize(
    "other", [_pipeline("other/pipeline", "0ther"), _pipeline(None, None), {"spec": {}}, {}]
)
def test_another_pipeline_is_an_api_error(other: dict[str, object]) -> None:
    with pytest.raises(ApiError) as caught:
        answers.pipeline_from(_answer(other), "proj/pipe")
    assert not isinstance(caught.value, TransientApiError)
    assert "not 'proj/pipe'" in caught.value.message
    assert URL in caught.value.message


def test_the_other_pipeline_is_named_safely() -> None:
    with pytest.raises(ApiError) as caught:
        answers.pipeline_from(_answer(_pipeline("evil\x1b[2J/name\n")), "proj/pipe")
    assert "\x1b" not in caught.value.message
    assert "\n" not in caught.value.message


@pytest.mark.parametrize("body", [[1, 2], "proj/pipe", {"metadata": "x", "spec": {}}])
def test_a_shape_no_codefresh_sends(body: object) -> None:
    with pytest.raises(ApiError, match="not a"):
        answers.pipeline_from(_answer(body), "proj/pipe")


def test_an_unreadable_pipeline_answer_is_transient() -> None:
    with pytest.raises(TransientApiError):
        answers.pipeline_from(_answer(b"{not json"), "proj/pipe")


@pytest.mark.parametrize("body", [{"projectName": "other"}, {"name": "other"}, {"id": "p1"}])
def test_another_project_is_an_api_error(body: dict[str, object]) -> None:
    with pytest.raises(ApiError, match="not 'team-a'"):
        answers.project_found(_answer(body), "team-a")


def test_the_project_asked_for() -> None:
    answers.project_found(_answer({"id": "p1", "projectName": "team-a"}), "team-a")


def test_a_build_answer_about_another_build() -> None:
    with pytest.raises(ApiError) as caught:
        Build.from_json({"id": "b2", "status": "success"}, "b1")
    assert not isinstance(caught.value, TransientApiError)
    assert "b1" in caught.value.message
    assert "b2" in caught.value.message


def test_annotations_of_another_build_are_an_api_error() -> None:
    data = [
        {"entityId": "b1", "key": "mine", "value": "1"},
        {"entityId": "b2", "key": "theirs", "value": "2"},
    ]
    with pytest.raises(ApiError, match="'b2'"):
        answers.annotations_from(data, "b1")
    assert answers.annotations_from(data[:1], "b1") == {"mine": "1"}


def test_a_progress_answer_about_another_job() -> None:
    with pytest.raises(ApiError, match="'other-job'"):
        answers.progress_from(_answer({"_id": "other-job", "location": {}}), "p1")
    assert answers.progress_from(_answer({"_id": "p1"}), "p1") == {"_id": "p1"}
    assert answers.progress_from(_answer({"location": {}}), "p1") == {"location": {}}
