"""A near miss of an input's name in the environment: a warning, never an error
(`cfstep.inputs.spelling`)."""

from __future__ import annotations

import pytest

from cfstep.errors import InputError
from cfstep.inputs import config, spelling
from cfstep.inputs.options import ENV_NAMES

KEY = "k" * 57


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("PIPELINE_IDS", "PIPELINE_ID"),
        ("SECRET", "SECRETS"),
        ("VARIABLES", "VARIABLE"),
        ("PIPELNE_ID", "PIPELINE_ID"),
        ("TIMEOUT_MIN", "TIMEOUT_MINS"),
        ("PIEPLINE_ID", "PIPELINE_ID"),
        ("PIPELINE_SPECS", "PIPELINE_SPEC"),
    ],
)
def test_near_misses(name: str, meant: str) -> None:
    assert spelling.near_misses([name], ENV_NAMES) == [(name, meant)]


@pytest.mark.parametrize(
    "name",
    [
        "CF_BUILD_ID",  # Codefresh's own
        "CF_BRANCH",
        "SHA1",  # too short to be a misspelling rather than another tool's name
        "BRANCH_NAME",
        "pipeline_id",  # lower case: a pipeline's own variable
        "HOME",
        "PIPELINE_ID",  # the input itself
        "DEBUG_LEVEL",
    ],
)
def test_what_is_no_near_miss(name: str) -> None:
    assert spelling.near_misses([name], ENV_NAMES) == []


def test_one_edit() -> None:
    assert spelling.one_edit_apart("abcd", "abd")
    assert spelling.one_edit_apart("abcd", "abxd")
    assert spelling.one_edit_apart("abcd", "acbd")
    assert not spelling.one_edit_apart("abcd", "abcd")
    assert not spelling.one_edit_apart("abcd", "badc")
    assert not spelling.one_edit_apart("abcd", "ab")


def test_a_near_miss_warns_once_and_the_run_goes_on() -> None:
    parsed = config.parse([], {"CF_API_KEY": KEY, "PIPELINE_ID": "p/q", "SECRET": "T=x"})
    assert parsed.notices == (
        "warning: SECRET is not an input of cfstep and is ignored — did you mean SECRETS?",
    )


def test_no_warning_when_the_input_itself_is_given() -> None:
    env = {"CF_API_KEY": KEY, "PIPELINE_ID": "p/q", "SECRETS": "T=x", "SECRET": "other"}
    assert config.parse([], env).notices == ()


def test_the_missing_input_error_names_the_near_miss() -> None:
    with pytest.raises(InputError) as caught:
        config.parse([], {"CF_API_KEY": KEY, "PIPELINE_IDS": "p/q"})
    assert caught.value.message.startswith("PIPELINE_ID: not set — ")
    assert caught.value.message.endswith("(PIPELINE_IDS is set: did you mean PIPELINE_ID?)")
