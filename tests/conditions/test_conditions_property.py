"""Property: any text or grammar-shaped expression gives a bool or ConditionError, quickly."""

from __future__ import annotations

import cond_gen
from hypothesis import given, settings
from hypothesis import strategies as st

from cfstep.conditions import decide, evaluate
from cfstep.errors import ConditionError

ENV = {k: v for k, v in cond_gen.ENV_VARS.items() if isinstance(v, str)}

atoms = st.sampled_from(
    [
        *cond_gen.STRING_LITERALS,
        *cond_gen.NUMBER_LITERALS,
        *cond_gen.STRING_VARS,
        "true",
        "null",
        "x",
        "nul",
        "obj",
    ]
)
ops = st.sampled_from(["==", "!=", "<", ">=", "+", "-", "*", "/", "%", "&&", "||", "===", "|", ""])
functions = st.sampled_from(
    ["String", "Number", "upper", "replace", "substring", "match", "Member", "Variable", "nope"]
)


def _call(name: str, args: list[str]) -> str:
    return f"{name}({', '.join(args)})"


expressions = st.recursive(
    atoms,
    lambda inner: st.one_of(
        st.tuples(inner, ops, inner).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        inner.map(lambda e: f"({e})"),
        inner.map(lambda e: f"!{e}"),
        st.tuples(functions, st.lists(inner, max_size=4)).map(lambda t: _call(*t)),
    ),
    max_leaves=20,
)


def _check(text: str) -> None:
    try:
        result = evaluate(text, ENV)
    except ConditionError:
        return
    assert isinstance(result, bool)


@settings(max_examples=300, deadline=1000)
@given(st.text(max_size=200))
def test_random_text(text: str) -> None:
    _check(text)


@settings(max_examples=300, deadline=1000)
@given(st.text(alphabet="()[]{}'\".,;:?!=<>+-*/%&|^~\\ 0123456789aexnul$_é\t\n\x00", max_size=80))
def test_random_symbol_soup(text: str) -> None:
    _check(text)


@settings(max_examples=400, deadline=1000)
@given(expressions)
def test_grammar_shaped(text: str) -> None:
    _check(text)


@settings(max_examples=100, deadline=1000)
@given(st.text(max_size=60), st.sampled_from(["fail", "skip"]))
def test_decide_never_leaks(text: str, on_error: str) -> None:
    try:
        decision = decide([("a", text)], [("b", text)], ENV, on_error=on_error)
    except ConditionError:
        assert on_error == "fail"
        return
    assert isinstance(decision.run, bool)
