"""Attack catalogue: each is a ConditionError, fast, with no side effect."""

from __future__ import annotations

import time

import pytest

from cfstep.conditions import decide, evaluate
from cfstep.errors import ConditionError

ENV = {"CF_BRANCH": "main", "LONG": "a" * 5_000, "BIG": "x" * 90_000}

ATTACKS = {
    "attribute-class": '"".__class__',
    "attribute-mro": '"".__class__.__mro__[1].__subclasses__()',
    "import": "__import__('os')",
    "import-system": "__import__('os').system('touch /tmp/cfstep-pwned')",
    "dunder-name": "__builtins__",
    "dunder-member": "CF_BRANCH.__class__",
    "dunder-variable": 'Variable("__builtins__")',
    "dunder-member-fn": 'Member(Variable("CF_BRANCH"), "__class__")',
    "lambda": "lambda: 1",
    "lambda-call": "(lambda x: x)(1)",
    "list-comprehension": "[x for x in 'abc']",
    "generator": "sum(x for x in range(10**9))",
    "power": "9**9**9",
    "power-float": "2.0 ** 10000",
    "string-repeat": '"a" * 10**9',
    "string-repeat-var": "LONG * 100000",
    "string-doubling": "(BIG + BIG) + (BIG + BIG)",
    "deep-parens": "(" * 1000 + "1" + ")" * 1000,
    "deep-unary": "!" * 5000 + "true",
    "deep-ternary": "1?" * 3000 + "1" + ":1" * 3000,
    "long-chain": "+".join(["1"] * 5000),
    "too-long": "1 == 1 " + " " * 11_994,
    "nul": "true\x00",
    "nul-only": "\x00",
    "control": "\x01 == 1",
    "control-esc": "\x1b[31m",
    "eval": 'eval("1")',
    "exec": 'exec("1")',
    "open": 'open("/etc/passwd")',
    "getattr": 'getattr("", "upper")',
    "format-string": 'f"{1}"',
    "walrus": "(x := 1)",
    "assignment": "CF_BRANCH = 'x'",
    "subscript": "CF_BRANCH[0]",
    "regex-python-only-flag": 'match("A", "(?i)a", false)',
    "constructor": "constructor",
    "proto": "__proto__",
}


@pytest.mark.parametrize("expression", list(ATTACKS.values()), ids=list(ATTACKS))
def test_attack_is_a_fast_condition_error(expression: str) -> None:
    start = time.perf_counter()
    with pytest.raises(ConditionError):
        evaluate(expression, ENV)
    assert time.perf_counter() - start < 1.0


# Regular expressions are bounded by time, not by their shape: each gives the answer
# JavaScript gives, or an error naming the limit once the evaluation's time is spent.
REGEX_ATTACKS = {
    "regex-catastrophic": ('match(LONG + "!", "(a+)+$", false)', False),
    "regex-alternation-blowup": ('match(LONG + "b", "(a|aa)+$", false)', False),
    "regex-nested-three": ('match("aaaa", "((a+)+)+$", false)', True),
    "regex-polynomial": ('match(BIG, ".*.*.*x", false)', True),
    "regex-lookbehind-variable": ('match("ab", "(?<=a+)b", false)', True),
    "regex-huge-count": ('match("a", "a{99999999}", false)', None),
    "regex-nested-counts": ('match("a", "(?:(?:a{1000}){1000}){1000}", false)', None),
}


@pytest.mark.parametrize(
    ("expression", "javascript"), list(REGEX_ATTACKS.values()), ids=list(REGEX_ATTACKS)
)
def test_regex_attack_is_answered_or_a_limit_error(expression: str, javascript: object) -> None:
    if javascript is None:  # compiling it would not end in time: refused before
        with pytest.raises(ConditionError, match="regex limit"):
            evaluate(expression, ENV)
        return
    try:
        answer: object = evaluate(expression, ENV)
    except ConditionError as exc:
        answer = exc.message
    assert answer is javascript or "regex limit" in str(answer)


def test_expression_of_12001_characters_is_rejected_before_substitution() -> None:
    text = "true" + " " * 11_997
    assert len(text) == 12_001
    with pytest.raises(ConditionError, match="12000"):
        decide([("long", text)], [], {})


def test_expression_longer_than_12000_after_substitution_is_rejected() -> None:
    with pytest.raises(ConditionError, match="after substitution"):
        decide([("long", '"${{BIG}}" == "x"')], [], {"BIG": "x" * 12_000})


def test_no_side_effect(tmp_path: object) -> None:
    from pathlib import Path

    target = Path("/tmp/cfstep-pwned")
    with pytest.raises(ConditionError):
        evaluate(ATTACKS["import-system"], ENV)
    assert not target.exists()
