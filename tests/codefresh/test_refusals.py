"""What an answer that is not a success means: a conflict only by its status or its error
code, never by the words of its message; a refusal says what to do."""

from __future__ import annotations

import json

import pytest

from cfstep.codefresh import refusals
from cfstep.codefresh.answers import ApiAnswer
from cfstep.errors import TransientApiError

URL = "https://g.codefresh.io/api/pipelines"


def _answer(status: int, body: object, content_type: str = "application/json") -> ApiAnswer:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    reason = {400: "Bad Request", 409: "Conflict", 422: "Unprocessable Entity"}.get(status, "")
    return ApiAnswer(status, reason, {"content-type": content_type}, raw, URL)


def _error(status: int, code: str, message: str) -> dict[str, object]:
    return {"status": status, "code": code, "name": code, "message": message, "context": {}}


@pytest.mark.parametrize(
    ("status", "body", "conflict"),
    [
        (409, b"", True),
        (409, _error(409, "ANYTHING", "whatever"), True),
        (400, _error(400, "PIPELINE_ALREADY_EXIST", "Pipeline exists"), True),
        (400, _error(400, "PROJECT_ALREADY_EXISTS", "Project exists"), True),
        (422, _error(422, "REVISION_MISMATCH", "changed"), True),
        (400, {"code": "1010", "name": "DUPLICATE_ERROR", "message": "x"}, True),
        (400, _error(400, "BAD_REQUEST", "duplicate key; revision; already exists"), False),
        (422, _error(422, "VALIDATION_ERROR", "conflict between steps"), False),
        (400, b"duplicate revision already exists conflict", False),
        (400, {"message": "a duplicate revision"}, False),
        (400, {"code": "not an error code: DUPLICATE", "message": ""}, False),
        (404, _error(404, "PIPELINE_ALREADY_EXIST", "?"), False),
        (500, _error(500, "REVISION_MISMATCH", "?"), False),
    ],
)
def test_a_conflict_is_read_from_the_status_and_the_code(
    status: int, body: object, conflict: bool
) -> None:
    assert refusals.is_conflict(_answer(status, body)) is conflict


def test_a_spec_refused_says_what_codefresh_said_and_what_to_fix() -> None:
    error = refusals.spec_refused(
        _answer(400, _error(400, "BAD_REQUEST", "spec.steps: duplicate")), "POST"
    )
    assert error.message == (
        f"400 Bad Request from POST {URL} (spec.steps: duplicate) — Codefresh refused the "
        "pipeline spec as sent: fix what its message names in the spec, then run the step again"
    )
    assert error.status == 400


def test_an_html_400_on_an_http_url_names_the_tls_port() -> None:
    """nginx's "The plain HTTP request was sent to HTTPS port" page."""
    page = b"<html><body>400 The plain HTTP request was sent to HTTPS port</body></html>"
    answer = ApiAnswer(
        400, "Bad Request", {"content-type": "text/html"}, page, "http://cf:443/api/x"
    )
    message = refusals.refused(answer, "GET").message
    assert "CF_URL must start with https://" in message
    assert "https://cf:443" in message


def test_waitable_trouble_is_transient() -> None:
    answer = ApiAnswer(503, "Service Unavailable", {"retry-after": "7"}, b"", URL)
    error = refusals.not_ok(answer, "GET")
    assert isinstance(error, TransientApiError)
    assert error.retry_after == 7
