"""Hand-written corpus: expression, environment, expected result (True/False) or ERROR.

Each expression is what arrives after YAML parsing; `${{NAME}}` is substituted from the
environment first, as Codefresh does, then evaluated with the environment as variables.
"""

from __future__ import annotations

import pytest

from cfstep.conditions import evaluate, substitute
from cfstep.errors import ConditionError

ERROR = "error"
SEED = "'${{CF_PULL_REQUEST_TARGET}}' == 'production' && '${{CF_PULL_REQUEST_ACTION}}' == 'opened'"
PR = {"CF_PULL_REQUEST_TARGET": "production", "CF_PULL_REQUEST_ACTION": "opened"}
BR = {"CF_BRANCH": "release-1.4", "CF_REVISION": "abc123", "EMPTY": "", "N": "42"}

CASES: list[tuple[str, str, dict[str, str], bool | str]] = [
    # the seed example and its neighbours
    (
        "seed-both",
        SEED,
        PR,
        True,
    ),
    (
        "seed-closed",
        SEED,
        {**PR, "CF_PULL_REQUEST_ACTION": "closed"},
        False,
    ),
    (
        "seed-bare-names",
        "CF_PULL_REQUEST_TARGET == 'production' && CF_PULL_REQUEST_ACTION == 'opened'",
        PR,
        True,
    ),
    ("seed-undefined", "'${{CF_PULL_REQUEST_TARGET}}' == 'production'", {}, False),
    ("seed-bare-undefined", "CF_PULL_REQUEST_TARGET == 'production'", {}, ERROR),
    # YAML single-quoted scalars arrive with doubled quotes already undone
    ("yaml-doubled-quotes", "'${{CF_PULL_REQUEST_ACTION}}' == 'opened'", PR, True),
    ("yaml-double-inside-single", '"${{CF_BRANCH}}" == "release-1.4"', BR, True),
    ("documented-master", '"${{CF_BRANCH}}" == "master"', BR, False),
    # documented idioms
    ("idiom-defined", 'includes("${{CF_REVISION}}", "{{CF_REVISION}}") == false', BR, True),
    ("idiom-undefined", 'includes("${{MY_VAR}}", "{{MY_VAR}}") == false', BR, False),
    ("idiom-match-release", 'match("${{CF_BRANCH}}", "^release-", true)', BR, True),
    ("idiom-match-case", 'match("${{CF_BRANCH}}", "^RELEASE-", true)', BR, True),
    ("idiom-match-case-sensitive", 'match("${{CF_BRANCH}}", "^RELEASE-", false)', BR, False),
    ("idiom-match-digits", 'match(CF_BRANCH, "\\\\d+\\\\.\\\\d+$", false)', BR, True),
    # substitution
    ("subst-one-pass", '"${{A}}" == "${{B}}"', {"A": "${{B}}", "B": "x"}, False),
    ("subst-quote-breaks", '"${{A}}" == "x"', {"A": 'a"b'}, ERROR),
    ("subst-empty", '"${{EMPTY}}" == ""', BR, True),
    ("subst-number", "${{N}} == 42", BR, True),
    ("subst-undefined-bare", "${{NOPE}} == 1", BR, ERROR),
    # literals
    ("lit-true", "true", {}, True),
    ("lit-false", "false", {}, False),
    ("lit-null", "null", {}, False),
    ("lit-empty-string", '""', {}, False),
    ("lit-string", '"x"', {}, True),
    ("lit-zero", "0", {}, False),
    ("lit-nan", "0 / 0", {}, False),
    ("lit-exponent", "1e3 == 1000", {}, True),
    ("lit-leading-dot", ".5 == 0.5", {}, True),
    ("lit-escape-quote", "'it\\'s' == \"it's\"", {}, True),
    ("lit-escape-newline", '"a\\nb" != "anb"', {}, True),
    ("lit-unknown-escape", '"\\q" == "q"', {}, True),
    ("lit-hex-not-js", "0x10 == 16", {}, ERROR),
    ("empty", "", {}, False),
    ("blank", "   ", {}, False),
    ("semicolons-only", ";;", {}, False),
    ("empty-parens", "()", {}, False),
    # strict types
    ("type-string-number", '"1" == 1', {}, ERROR),
    ("type-null-string", 'null == "x"', {}, False),
    ("type-null-null", "null == null", {}, True),
    ("type-null-number", "null == 1", {}, ERROR),
    ("type-and-number", "1 && true", {}, ERROR),
    ("type-or-string", '"a" || true', {}, ERROR),
    ("type-not-string", '!"a"', {}, ERROR),
    ("type-not-number", "!0", {}, True),
    ("type-plus-mixed", '"a" + 1', {}, ERROR),
    ("type-minus-string", '"3" - "1"', {}, ERROR),
    ("type-compare-strings", '"abc" < "abd"', {}, True),
    ("type-compare-bool", "true < false", {}, ERROR),
    ("type-env-is-string", "N == 42", BR, ERROR),
    ("type-env-number", "Number(N) == 42", BR, True),
    # operators and precedence (JavaScript's, not Python's)
    ("prec-mul-add", "1 + 2 * 3 == 7", {}, True),
    ("prec-left-assoc-minus", "10 - 4 - 3 == 3", {}, True),
    ("prec-eq-left-assoc", "1 == 1 == true", {}, True),
    ("prec-not-chained", "3 > 2 > 1", {}, ERROR),
    ("prec-and-or", "true || false && false", {}, True),
    ("prec-parens", "(true || false) && false", {}, False),
    ("mod-sign-dividend", "-7 % 3 == -1", {}, True),
    ("mod-by-zero", "5 % 0 == 0", {}, ERROR),
    ("div-by-zero", "1 / 0 > 0", {}, ERROR),
    ("div-negative-by-zero", "-1 / 0 < 0", {}, True),
    ("mul-overflow", "1e308 * 10 > 0", {}, ERROR),
    ("add-overflow-allowed", "1e308 + 1e308 > 0", {}, True),
    ("float-sum", "0.1 + 0.2 == 0.3", {}, False),
    ("both-sides-evaluated", "false && UNKNOWN", {}, ERROR),
    ("unsupported-strict-eq", "1 === 1", {}, ERROR),
    ("unsupported-ternary", "true ? 1 : 2", {}, ERROR),
    ("unsupported-array", "[1, 2]", {}, ERROR),
    ("unsupported-this", "this", {}, ERROR),
    ("compound", "true false", {}, ERROR),
    # functions
    ("fn-string-int", 'String(2.0) == "2"', {}, True),
    ("fn-string-exp", 'String(1e21) == "1e+21"', {}, True),
    ("fn-string-sum", 'String(0.1 + 0.2) == "0.30000000000000004"', {}, True),
    ("fn-string-small", 'String(0.0000001) == "1e-7"', {}, True),
    ("fn-string-bool", "String(true)", {}, ERROR),
    ("fn-number-hex", 'Number("0x1F") == 31', {}, True),
    ("fn-number-bad", 'Number("12px")', {}, ERROR),
    ("fn-number-empty", 'Number("") == 0', {}, True),
    ("fn-boolean", 'Boolean("") == false && Boolean(2) == true', {}, True),
    ("fn-round-half", "round(2.5) == 3 && round(-2.5) == -2", {}, True),
    ("fn-floor", "floor(-0.5) == -1", {}, True),
    ("fn-upper", 'upper("${{CF_BRANCH}}") == "RELEASE-1.4"', BR, True),
    ("fn-lower-sharp-s", 'upper("straße") == "STRASSE"', {}, True),
    ("fn-trim-nbsp", 'trim("\\u00a0x ") == "u00a0x"', {}, True),
    ("fn-trimleft", 'trimLeft("  x ") == "x "', {}, True),
    ("fn-trimright", 'trimRight("  x ") == "  x"', {}, True),
    ("fn-replace-first", 'replace("a-b-c", "-", "+") == "a+b-c"', {}, True),
    ("fn-replace-dollar", 'replace("abc", "b", "$&$&") == "abbc"', {}, True),
    ("fn-substring", 'substring("release-1.4", 0, 7) == "release"', {}, True),
    ("fn-substring-end-before-start", 'substring("hello", 3, 1) == "lo"', {}, True),
    ("fn-substring-negative", 'substring("hello", -5, 2) == "he"', {}, True),
    ("fn-length-emoji", 'length("😀") == 2', {}, True),
    ("fn-length-number", "length(5)", {}, ERROR),
    ("fn-includes", 'includes("${{CF_BRANCH}}", "1.4")', BR, True),
    ("fn-indexof", 'indexOf("${{CF_BRANCH}}", "-") == 7', BR, True),
    ("fn-indexof-missing", 'indexOf("abc", "z") == -1', {}, True),
    ("fn-wrong-arity", 'includes("abc")', {}, ERROR),
    ("fn-wrong-arity-extra", 'upper("a", "b")', {}, ERROR),
    ("fn-unknown", 'eval("1")', {}, ERROR),
    ("fn-match-no-flag-arg", 'match("a", "a")', {}, ERROR),
    ("fn-match-bad-regex", 'match("a", "(", false)', {}, ERROR),
    ("fn-match-dollar-js", 'match("ab\\n", "b$", false)', {}, False),
    ("fn-match-named-group", 'match("1.1", "(?<v>\\\\d)\\\\.\\\\k<v>", false)', {}, True),
    ("fn-match-unicode-digit", 'match("٣", "\\\\d", false)', {}, False),
    ("fn-variable", 'Variable("CF_BRANCH") == "release-1.4"', BR, True),
    ("fn-variable-missing", 'Variable("NOPE")', BR, ERROR),
    ("fn-member-on-string", 'Member("abc", "length")', {}, ERROR),
    ("member-length", "CF_BRANCH.length == 11", BR, True),
    ("member-unknown", "CF_BRANCH.foo", BR, ERROR),
    ("ident-unknown", "NOPE == 'x'", BR, ERROR),
    # syntax errors
    ("syntax-unclosed-quote", "'abc == 'abc'", {}, ERROR),
    ("syntax-unclosed-paren", "(true", {}, ERROR),
    ("syntax-dangling-op", "true &&", {}, ERROR),
    ("syntax-assignment", "a = 1", {"a": "1"}, ERROR),
]


@pytest.mark.parametrize(
    ("expression", "env", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_corpus(expression: str, env: dict[str, str], expected: bool | str) -> None:
    text = substitute(expression, env)
    if expected == ERROR:
        with pytest.raises(ConditionError):
            evaluate(text, env)
    else:
        assert evaluate(text, env) is expected
