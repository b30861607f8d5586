"""The answer boundary's parts under the hostile-answer tests: the build parser and the
text and JSON that are kept or dropped."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cfstep.codefresh.answers import Build, clean_json, clean_text
from cfstep.errors import TransientApiError


def test_a_naive_time_is_utc_and_subtracts_from_an_aware_one() -> None:
    build = Build.from_json(
        {
            "status": "error",
            "created": "2026-01-01T00:00:00+02:00",
            "finished": "2026-01-01T00:00:05",
        },
        "b1",
    )
    assert build.finished == datetime(2026, 1, 1, 0, 0, 5, tzinfo=UTC)
    assert build.duration_seconds() == 7205


@pytest.mark.parametrize(
    "data",
    [
        {"status": "\ud800"},
        {"status": "success\nBUILD_STATUS=x"},
        {"status": 5},
        {"status": ""},
        [],
        None,
        "success",
    ],
)
def test_a_build_without_a_readable_status_is_transient(data: object) -> None:
    with pytest.raises(TransientApiError):
        Build.from_json(data, "b1")


def test_fields_that_are_not_what_they_claim_are_dropped() -> None:
    build = Build.from_json(
        {
            "id": ["x"],
            "status": "running",
            "progress": "../\ud800",
            "created": "0001-01-01T00:00:00+01:00",
            "finished": "\ud800",
        },
        "b1",
    )
    assert (build.id, build.progress, build.created, build.finished) == ("b1", None, None, None)


def test_clean_text_and_clean_json() -> None:
    assert clean_text("fine") == "fine"
    assert clean_text("a\ud800") is None
    assert clean_text(3) is None
    deep: object = []
    for _ in range(100):
        deep = [deep]
    assert not clean_json(deep)
    assert not clean_json({"k": ["\udfff"]})
    assert not clean_json({"\ud800": 1})
    assert clean_json({"metadata": {"id": "x"}, "spec": {"triggers": [1, None]}})
