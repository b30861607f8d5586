"""Fuzzing with hypothesis: input parsing and conditions raise only the program's own input
errors (InputError, ConditionError) — never another exception, never a hang (deadline)."""

from __future__ import annotations

import contextlib
import io
import string
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cfstep import conditions
from cfstep.errors import ConditionError, InputError
from cfstep.inputs import config as inputs
from cfstep.inputs import options
from cfstep.model import Config
from harness import Figures

FUZZ = settings(
    max_examples=400,
    deadline=1000,  # ms per example: a hang or a blow-up fails the test
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,  # CI runs the same examples every time
    database=None,
)

FLAGS = sorted(
    {flag for option in options.OPTIONS for flag in option.flags}
    | {"--no-terminate-on-cancel", "--no-propagate-failure", "--no-fail-fast"}
)

# Values shaped like what users write: YAML lists and maps, KEY=VALUE, numbers, booleans.
yamlish = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "true",
            "off",
            "45",
            "0.5",
            "-1",
            "nan",
            "1e999",
            "- a\n- b",
            "[a, b",
            "{a: 1}",
            "A=1",
            "=",
            "- {pipeline: a}",
            "- [x]",
            "a: [1",
            "'${{X}}' == 'y'",
            "/[/",
            "\x00",
            "\udcff",
            "small",
            "terminate",
            "fail",
        ]
    ),
    st.lists(st.text(string.printable, max_size=12), max_size=4).map("\n".join),
    st.lists(st.text(string.printable, max_size=12), max_size=4).map(
        lambda items: "\n".join(f"- {i}" for i in items)
    ),
)
env_dicts = st.dictionaries(
    st.sampled_from([*options.ENV_NAMES, "CF_BRANCH", "CF_BUILD_ID", "HOME"]), yamlish, max_size=8
)
argv_lists = st.lists(
    st.one_of(
        st.sampled_from(FLAGS),
        yamlish,
        st.from_regex(r"\A--?[a-z][a-z-]{0,14}(=[^\n]{0,8})?\Z"),
    ),
    max_size=8,
)


def _asks_for_help(argv: list[str]) -> bool:
    return any(
        a in ("--help", "--version") or (a.startswith("-") and not a.startswith("--") and "h" in a)
        for a in argv
    )


@FUZZ
@given(env=env_dicts, argv=argv_lists)
def test_inputs_parse_raises_only_input_errors(
    env: dict[str, str], argv: list[str], figures: Figures
) -> None:
    figures.counts["fuzz_inputs"] += 1
    out = io.StringIO()
    failure: InputError | SystemExit | None = None
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            config = inputs.parse(argv, env)
    except (InputError, SystemExit) as exc:
        failure = exc
    if isinstance(failure, SystemExit):  # --help / --version print and exit 0, as they should
        assert (failure.code, _asks_for_help(argv)) == (0, True)
    elif failure is not None:
        assert (failure.exit_code, bool(failure.message.strip())) == (5, True)
    else:
        assert isinstance(config, Config)


identifiers = st.sampled_from(["A", "B", "CF_BRANCH", "n", "obj", "flag", "missing"])
json_values: st.SearchStrategy[Any] = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**20), 10**20),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=20),
    ),
    lambda inner: st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
variables = st.dictionaries(identifiers, json_values, max_size=5)

TOKENS = [
    "A", "B", "n", "obj", "flag", "missing", "true", "false", "null", "0", "1.5", "1e308",
    "-1", "'x'", '"main"', "'a\\'b'", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/",
    "%", "&&", "||", "!", "(", ")", ",", ".", "[", "]", "?", ":", "this", "String", "Number",
    "Boolean", "round", "floor", "upper", "lower", "trim", "trimLeft", "trimRight", "replace",
    "substring", "length", "includes", "indexOf", "match", "Variable", "Member", "'(a+)+$'",
    "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!'", "'\\\\d{2,}'", "__import__", "'__class__'", "${{A}}",
]  # fmt: skip
expressions = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(TOKENS), min_size=1, max_size=24).map(" ".join),
    st.lists(st.sampled_from(TOKENS), min_size=1, max_size=24).map("".join),
)


@FUZZ
@given(expression=expressions, names=variables)
def test_conditions_evaluate_raises_only_condition_errors(
    expression: str, names: dict[str, Any], figures: Figures
) -> None:
    figures.counts["fuzz_conditions"] += 1
    try:
        result: object = conditions.evaluate(expression, names)
    except ConditionError as exc:
        result = exc.message
    assert isinstance(result, bool) or result.strip()


@settings(FUZZ, max_examples=150)
@given(expression=st.text(max_size=400), names=variables)
def test_conditions_decide_with_substitution(
    expression: str, names: dict[str, Any], figures: Figures
) -> None:
    """The step's own path: substitution, then evaluation, errors named per condition."""
    figures.counts["fuzz_conditions"] += 1
    environ = {k: str(v) for k, v in names.items()}
    try:
        result: object = conditions.decide([("c", expression)], [], environ).run
    except ConditionError as exc:
        result = exc.message
    assert isinstance(result, bool) or "\n" not in result  # an error is one line in the log
