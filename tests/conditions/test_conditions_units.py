"""parse_conditions, branch_allowed, decide and substitute."""

from __future__ import annotations

import pytest

from cfstep.conditions import (
    ConditionResult,
    branch_allowed,
    decide,
    parse_conditions,
    substitute,
)
from cfstep.errors import ConditionError, InputError

SEED_YAML = """\
is_production: '''${{CF_PULL_REQUEST_TARGET}}'' == ''production'''
is_opened: '''${{CF_PULL_REQUEST_ACTION}}'' == ''opened'''
"""
PR = {
    "CF_PULL_REQUEST_TARGET": "production",
    "CF_PULL_REQUEST_ACTION": "opened",
    "CF_BRANCH": "main",
}


def test_seed_example_through_parse_and_decide() -> None:
    conditions = parse_conditions(SEED_YAML, "CONDITION_ALL")
    assert conditions == [
        ("is_production", "'${{CF_PULL_REQUEST_TARGET}}' == 'production'"),
        ("is_opened", "'${{CF_PULL_REQUEST_ACTION}}' == 'opened'"),
    ]
    assert decide(conditions, [], PR).run
    closed = decide(conditions, [], {**PR, "CF_PULL_REQUEST_ACTION": "closed"})
    assert not closed.run
    assert "is_opened" in closed.reason
    assert "'closed' == 'opened'" in closed.reason
    assert closed.results[1] == ConditionResult(
        "all", "is_opened", "'closed' == 'opened'", False, None
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("  \n", []),
        ("a: x == 1\nb: y == 2", [("a", "x == 1"), ("b", "y == 2")]),
        ('{"a": "x == 1"}', [("a", "x == 1")]),
        ("- x == 1\n- y == 2", [("condition_1", "x == 1"), ("condition_2", "y == 2")]),
        ("'${{X}}' == 'main'", [("condition", "'${{X}}' == 'main'")]),
        ('"${{X}}" == "main"', [("condition", '"${{X}}" == "main"')]),
        ("CF_BRANCH == 'main'", [("condition", "CF_BRANCH == 'main'")]),
        ("true", [("condition", "true")]),
        ("{}", []),
        ("[]", []),
    ],
    ids=[
        "empty",
        "blank",
        "map",
        "json-map",
        "list",
        "invalid-yaml",
        "double-quoted",
        "scalar",
        "bool-scalar",
        "empty-map",
        "empty-list",
    ],
)
def test_parse_conditions(text: str, expected: list[tuple[str, str]]) -> None:
    assert parse_conditions(text, "CONDITION_ALL") == expected


@pytest.mark.parametrize("text", ["a: 1", "a: true", "a: [x]", "- 1", "- {a: b}"])
def test_parse_conditions_rejects_non_string_values(text: str) -> None:
    with pytest.raises(ConditionError, match="CONDITION_ANY") as info:
        parse_conditions(text, "CONDITION_ANY")
    assert isinstance(info.value, InputError)


def test_substitute() -> None:
    env = {"A": "1", "B": "${{A}}"}
    assert substitute("${{A}}-${{B}}-${{C}}", env) == "1-${{A}}-${{C}}"


@pytest.mark.parametrize(
    ("branch", "only", "ignore", "allowed"),
    [
        ("main", [], [], True),
        ("main", ["main"], [], True),
        ("main", ["master"], [], False),
        ("FB-12", ["/^fb-/i"], [], True),
        ("FB-12", ["/^fb-/"], [], False),
        ("release/1.2", ["/^release\\/\\d+\\.\\d+$/"], [], True),
        ("main", [], ["main"], False),
        ("feature/x", [], ["/^feature\\//"], False),
        ("feature/x", ["/.*/"], ["main"], True),
        ("", ["main"], [], False),
        ("mainline", ["main"], [], False),
    ],
)
def test_branch_allowed(branch: str, only: list[str], ignore: list[str], allowed: bool) -> None:
    ok, reason = branch_allowed(branch, only, ignore)
    assert ok is allowed
    assert (reason == "") is allowed


@pytest.mark.parametrize("item", ["/(/", "/a/q", "/a/ii", "/[z-a]/"])
def test_branch_allowed_bad_regex(item: str) -> None:
    with pytest.raises(ConditionError, match="BRANCH_ONLY"):
        branch_allowed("main", [item], [])


def test_decide_branch_filters_use_cf_branch() -> None:
    decision = decide([], [], {"CF_BRANCH": "dev"}, branch_only=["main"], branch="dev")
    assert not decision.run
    assert "dev" in decision.reason


def test_decide_empty_holds() -> None:
    assert decide([], [], {}).run


def test_decide_any() -> None:
    env = {"X": "b"}
    anys = [("is_a", "X == 'a'"), ("is_b", "X == 'b'")]
    assert decide([], anys, env).run
    decision = decide([], anys, {"X": "c"})
    assert not decision.run
    assert "CONDITION_ANY" in decision.reason


def test_decide_all_and_any_both_must_hold() -> None:
    env = {"X": "a"}
    assert not decide([("t", "true")], [("f", "false")], env).run
    assert not decide([("f", "false")], [("t", "true")], env).run
    assert decide([("t", "true")], [("t", "true")], env).run


def test_decide_fail_raises_one_line_with_name_text_and_position() -> None:
    with pytest.raises(ConditionError) as info:
        decide([("broken", "'${{X}}' ==")], [], {"X": "a\nb"})
    message = info.value.message
    assert "\n" not in message
    assert "'broken'" in message
    assert "'a\\nb' ==" in message
    assert "at character" in message


def test_decide_skip_records_error_as_false() -> None:
    decision = decide([("broken", "NOPE == 1"), ("ok", "true")], [], {}, on_error="skip")
    assert not decision.run
    broken = decision.results[0]
    assert broken.holds is False
    assert broken.error is not None
    assert "NOPE" in broken.error
    assert "error" in decision.reason


def test_decide_rejects_unknown_on_error() -> None:
    with pytest.raises(ConditionError):
        decide([], [], {}, on_error="ignore")
