"""The option table drives parsing: each option's kind, default and destination are all
that is needed, so adding an input is one entry (plus its field in Config or ChildSpec)."""

from __future__ import annotations

import dataclasses

import pytest

from cfstep.inputs import config as inputs
from cfstep.inputs import given, values
from cfstep.inputs.kinds import Kind, Option
from cfstep.inputs.options import OPTIONS
from cfstep.model import ChildSpec, Config

BASE = {"CF_API_KEY": "k", "PIPELINE_ID": "p"}


def _fields(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def test_every_destination_is_a_field_filled_once() -> None:
    config = [o.config for o in OPTIONS if o.config]
    child = [o.child for o in OPTIONS if o.child]
    assert set(config) <= _fields(Config)
    assert set(child) <= _fields(ChildSpec)
    assert len(config) == len(set(config))
    assert len(child) == len(set(child))


@pytest.mark.parametrize("option", [o for o in OPTIONS if o.default is not None], ids=str)
def test_every_default_reads_as_its_kind(option: Option) -> None:
    """A default is text read like the environment's: a bad one would fail every run."""
    match option.kind:
        case Kind.BOOL:
            values.parse_bool(option.env, option.default or "")
        case Kind.NUMBER:
            values.parse_number(option.env, option.default or "", minimum=option.minimum)
        case Kind.INTEGER:
            values.parse_integer(option.env, option.default or "", minimum=int(option.minimum))
        case Kind.CHOICE:
            assert option.default in option.choices


# FOLLOW_LOGS: true with one child, false with several, so no one default in the table.
_DEFAULT_FROM_THE_CHILDREN = {"FOLLOW_LOGS"}


@pytest.mark.parametrize(
    "option",
    [
        o
        for o in OPTIONS
        if o.kind in (Kind.BOOL, Kind.NUMBER, Kind.INTEGER)
        and o.env not in _DEFAULT_FROM_THE_CHILDREN
    ],
    ids=lambda o: o.env,
)
def test_switches_and_numbers_have_a_default(option: Option) -> None:
    assert option.default is not None


@pytest.mark.parametrize("option", [o for o in OPTIONS if o.config or o.child], ids=str)
def test_unset_gives_the_table_default(option: Option) -> None:
    config = inputs.parse([], BASE)
    value = getattr(config, option.config) if option.config else None
    if option.child:
        value = getattr(config.children[0], option.child)
    expected = given.Given({}, {}).value(option)
    assert value == expected


def test_platform_values_are_named_fields_not_the_environment() -> None:
    env = {
        **BASE,
        "CF_BUILD_ID": " parent \n",
        "CF_STEP_NAME": "trigger",
        "CF_BRANCH": "main",
        "HTTPS_PROXY": "http://proxy:3128",
        "UNRELATED": "x",
    }
    platform = inputs.parse([], env).platform
    assert platform.parent_build_id == "parent"
    assert platform.step_name == "trigger"
    assert platform.branch == "main"
    assert dict(platform.network) == {"HTTPS_PROXY": "http://proxy:3128"}
