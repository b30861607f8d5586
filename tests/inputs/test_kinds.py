"""How an input is declared: which kinds repeat, and the topics of `--help`."""

from __future__ import annotations

import pytest

from cfstep.inputs.kinds import GROUPS, Kind, option
from cfstep.inputs.options import OPTIONS


@pytest.mark.parametrize("kind", list(Kind), ids=lambda kind: kind.value)
def test_only_lists_pairs_and_conditions_repeat(kind: Kind) -> None:
    assert kind.repeats == (kind in (Kind.LIST, Kind.PAIRS, Kind.CONDITIONS))


def test_an_option_splits_its_flags_and_keeps_the_rest() -> None:
    made = option("X", "-x --ex", Kind.TEXT, "help", "d", group=GROUPS[0], metavar="WORD")
    assert (made.env, made.flags, made.default, made.metavar) == ("X", ("-x", "--ex"), "d", "WORD")


def test_every_input_names_a_topic_and_every_topic_has_inputs() -> None:
    assert {o.group for o in OPTIONS} == set(GROUPS)
