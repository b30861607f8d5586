"""Which annotations become outputs, and why the others do not (cfstep.run.returned)."""

from __future__ import annotations

import pytest

from cfstep.run.returned import MAX_RETURNED_BYTES, MAX_RETURNED_NAME, returned_values


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("cfstep_out_PATH", "/tmp/evil", "depends on"),
        ("cfstep_out_ld_preload", "x", "depends on"),  # LD_ in any case
        ("cfstep_out_deploy_CF_OUTPUT_URL", "x", "depends on"),
        ("cfstep_out_1ST", "x", "letters, digits and _"),
        ("cfstep_out_A B", "x", "letters, digits and _"),
        ("cfstep_out_" + "N" * (MAX_RETURNED_NAME + 1), "x", f"at most {MAX_RETURNED_NAME}"),
        ("cfstep_out_BIG", "x" * (MAX_RETURNED_BYTES + 1), "more than"),
        ("cfstep_out_ESC", "red\x1b[31m", "control characters"),
        ("cfstep_out_SURROGATE", "\ud800", "not valid text"),
    ],
)
def test_a_refused_value_says_why(key: str, value: str, reason: str) -> None:
    returned, refused = returned_values({key: value}, "cfstep_out_")
    assert returned == {}
    ((refused_key, why),) = refused
    assert refused_key == key
    assert reason in why


@pytest.mark.parametrize(
    "value", ["sha256:abc", "a value\twith a tab", "two\nlines", "x" * MAX_RETURNED_BYTES]
)
def test_an_ordinary_value_comes_back(value: str) -> None:
    assert returned_values({"cfstep_out_DIGEST": value}, "cfstep_out_") == ({"DIGEST": value}, [])


def test_other_prefixes_are_not_returned() -> None:
    found = {"mine_DIGEST": "1", "cfstep_out_DIGEST": "2"}
    assert returned_values(found, "mine_") == ({"DIGEST": "1"}, [])


def test_returned_values_strip_the_prefix_and_refuse_unsafe_names() -> None:
    found = {
        "cfstep_out_DIGEST": "sha256:1",
        "cfstep_out_": "no name",
        "cfstep_out_BUILD_STATUS": "not ours",
        "cfstep_out_A-B": "not a name",
        "other": "not returned",
    }
    returned, refused = returned_values(found, "cfstep_out_")
    assert returned == {"DIGEST": "sha256:1"}
    assert [key for key, _ in refused] == ["cfstep_out_BUILD_STATUS", "cfstep_out_A-B"]
