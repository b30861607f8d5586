"""A condition that cannot be evaluated says what happened and what to change: the
message of Codefresh's evaluator, then the fix (`cfstep.conditions._advice`)."""

from __future__ import annotations

from collections import Counter

import pytest
from cond_gen import ENV_VARS, build

from cfstep import conditions
from cfstep.conditions import _advice
from cfstep.errors import ConditionError

GENERIC = _advice.GENERIC_FIX


def _refusal(expression: str, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConditionError) as caught:
        conditions.decide([("check", expression)], [], environ or {"X": "1"})
    return caught.value.message


@pytest.mark.parametrize(
    ("expression", "reason", "fix"),
    [
        (
            '"${{X}}" == 42',
            "The operator == cannot be used with string,number: both sides must be of one type",
            'quote the number to compare text ("42"), or make the text a number',
        ),
        ("foo == 'a'", "Invalid identifier: 'foo'", "a bare word names a variable"),
        ("'a' ==", "Expected expression after == at character", "check the quotes, brackets"),
        ("upper(1)", "Invalid argument #0 of type number", "call it as upper(text)"),
        ("substring('a', 1)", "Expected 3 arguments", "call it as substring(text, start, end)"),
        ("nope(1)", "Unknown function: 'nope'", "use one of Codefresh's functions: String,"),
        ("Number('x') == 1", "Error converting value 'x' to number", "Number() takes text"),
        ("1 % 0 == 1", "Modulo of 1 by 0", "check the numbers it computes with"),
        ("match('a', '(', true)", "Invalid regular expression", "fix the regular expression"),
        ("true && 1", "both sides must be booleans", "make each side a comparison"),
        ("'a' == true", "of one type", "compare booleans with true or false"),
        ("1 ? 2 : 3", "Trinary operator", "Codefresh's conditions do not support this"),
        ("1 === 1", "Invalid binary operator: ===", "use the operators Codefresh's conditions"),
        ("-'a' == 1", "cannot be used with string: it takes a number", "give both sides"),
    ],
    ids=lambda v: v[:20],
)
def test_each_refusal_names_its_fix(expression: str, reason: str, fix: str) -> None:
    message = _refusal(expression)
    happened, dash, to_do = message.partition(" — ")
    assert dash, message
    assert reason in happened
    assert to_do.startswith(fix)


def test_the_type_rule_no_longer_contradicts_itself() -> None:
    """tevale lists both types it was given as allowed: `cannot be used with string,number.
    It can only be used with the types: number,string,…`."""
    message = _refusal('"${{X}}" == 42')
    assert "It can only be used with the types" not in message
    assert message.startswith(
        "CONDITION_ALL condition 'check' cannot be evaluated: The operator == cannot be used "
        "with string,number: both sides must be of one type: two numbers, two strings or two "
        'booleans (null and a string may be compared); text: "1" == 42 — '
    )


def test_evaluate_keeps_the_evaluators_own_words() -> None:
    """Only the step's closing line adds the fix; `evaluate` raises tevale's message, which
    the differential tests compare with tevale's."""
    with pytest.raises(ConditionError) as caught:
        conditions.evaluate('"1" == 1', {})
    assert caught.value.message == (
        "The operator == cannot be used with string,number. It can only be used with the "
        "types: number,string,nullableString,object,boolean"
    )


def test_every_generated_refusal_has_a_fix() -> None:
    """1,500 generated expressions (valid, mistyped, broken): every refusal is `what
    happened — what to do`, and most get a fix more precise than the generic one."""
    fixes: Counter[str] = Counter()
    environ = {k: str(v) for k, v in ENV_VARS.items()}
    for expression, _ in build(1500):
        try:
            conditions.decide([("c", expression)], [], environ)
        except ConditionError as exc:
            happened, _, to_do = exc.message.rpartition(" — ")
            fixes[to_do if happened else "(none)"] += 1
    assert "(none)" not in fixes
    refused = sum(fixes.values())
    assert refused > 300
    assert fixes[GENERIC] < refused * 0.05, fixes.most_common(5)


@pytest.mark.parametrize(
    ("only", "says"),
    [
        ("/main/zz", "invalid regular expression flags in '/main/zz' — use each of"),
        ("/(/", "Invalid regular expression: /(/: Unterminated group — fix the regular"),
    ],
)
def test_branch_filters_say_what_to_do(only: str, says: str) -> None:
    with pytest.raises(ConditionError) as caught:
        conditions.decide([], [], {}, branch_only=[only], branch="main")
    assert says in caught.value.message
