"""The one pattern of an id: what an answer's id or BUILD_ID may be."""

from __future__ import annotations

import pytest

from cfstep.codefresh.ids import identifier


@pytest.mark.parametrize("value", ["65f0c0ffee0123456789abcd", "a", "build_1-x", "A" * 128])
def test_an_id_is_kept(value: str) -> None:
    assert identifier(value) == value


@pytest.mark.parametrize(
    "value",
    ["", "..", "a/b", "a b", "id\n", "ünicode", "A" * 129, None, 42, ["x"]],
    ids=[
        "empty",
        "dots",
        "slash",
        "space",
        "newline",
        "non-ascii",
        "too-long",
        "none",
        "int",
        "list",
    ],
)
def test_anything_else_is_not_an_id(value: object) -> None:
    assert identifier(value) is None
