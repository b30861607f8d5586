"""Conditions: Codefresh's `when.condition` language and `when.branch` filters (README,
"Conditions").

Codefresh evaluates conditions with npm `tevale` 0.9.2 (jsep 0.3.5 underneath); this package
reproduces it: `_jsep` is a port of the parser, `_evaluate` runs the tree on simpleeval with
tevale's strict operators and functions, `_js` holds JavaScript value semantics and `_regex`
translates JavaScript regular expressions. tests/conditions/ compares it with tevale itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cfstep.conditions import _regex
from cfstep.conditions._evaluate import evaluate_tree
from cfstep.conditions._js import JS_WHITESPACE as _JS_TRIM
from cfstep.conditions._js import JsError
from cfstep.conditions._regex import time_limit
from cfstep.documents import json_as_yaml, load_yaml_or_none
from cfstep.errors import ConditionError

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "MAX_EXPRESSION",
    "ConditionResult",
    "Decision",
    "branch_allowed",
    "decide",
    "evaluate",
    "parse_conditions",
    "substitute",
]

MAX_EXPRESSION = 12_000
"""Longest expression, before and after substitution (Codefresh's own limit)."""

_PLACEHOLDER = re.compile(r"\$\{\{([^{}]*)\}\}")
_REGEX_ITEM = re.compile(r"/(.*)/([a-z]*)", re.DOTALL)


def _one_line(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")


def substitute(expression: str, environ: Mapping[str, str]) -> str:
    """Replace each `${{NAME}}` by its value, one pass; an undefined one stays as written."""

    def value(m: re.Match[str]) -> str:
        name = m.group(1)
        return environ[name] if name in environ else m.group(0)

    return _PLACEHOLDER.sub(value, expression)


def _check_length(expression: str, what: str) -> None:
    if len(expression) > MAX_EXPRESSION:
        raise ConditionError(
            f"expression limit: {what} is {len(expression)} characters, longer than "
            f"{MAX_EXPRESSION}"
        )


def evaluate(expression: str, variables: Mapping[str, object]) -> bool:
    """Evaluate an already-substituted expression as tevale does; ConditionError on error."""
    _check_length(expression, "the expression")
    text = expression.strip(_JS_TRIM)
    try:
        with time_limit():
            return evaluate_tree(text, variables)
    except JsError as exc:
        raise ConditionError(str(exc)) from exc


# Without a `:` (maps need one) and without one of these first characters (sequences, flow
# maps, complex keys, tags, anchors, aliases, directives, comments), YAML can only read one
# scalar, which is taken raw anyway: such text is one expression and yaml is not imported.
_MAYBE_YAML_COLLECTION = tuple("-[{?!&*%#")


def _read_yaml(text: str, input_name: str) -> object:
    """The YAML reading of the text, or the text itself where only one expression is possible
    or it is not YAML at all."""
    if ":" not in text and not text.lstrip().startswith(_MAYBE_YAML_COLLECTION):
        return text
    fast = json_as_yaml(text)
    if fast is not None:
        return fast
    data = load_yaml_or_none(input_name, text)
    return text if data is None else data


def parse_conditions(text: str, input_name: str) -> list[tuple[str, str]]:
    """CONDITION_ALL / CONDITION_ANY text: a YAML map of named expressions, a list, or one."""
    if text.strip() == "":
        return []
    data = _read_yaml(text, input_name)
    if isinstance(data, dict):
        out: list[tuple[str, str]] = []
        for key, expr in data.items():
            if not isinstance(expr, str):
                raise ConditionError(
                    f"{input_name}: the condition {str(key)!r} must be an expression string, "
                    f"got {type(expr).__name__} {_one_line(repr(expr)[:80])} — quote it in YAML"
                )
            out.append((str(key), expr))
        return out
    if isinstance(data, list):
        items: list[tuple[str, str]] = []
        for i, expr in enumerate(data, start=1):
            if not isinstance(expr, str):
                raise ConditionError(
                    f"{input_name}: item {i} must be an expression string, got "
                    f"{type(expr).__name__} {_one_line(repr(expr)[:80])} — quote it in YAML"
                )
            items.append((f"condition_{i}", expr))
        return items
    return [("condition", text)]


def _branch_matches(branch: str, item: str, input_name: str) -> bool:
    m = _REGEX_ITEM.fullmatch(item)
    if m is None:
        return branch == item
    source, flags = m.group(1), m.group(2)
    if len(set(flags)) != len(flags) or set(flags) - set("dgimsy"):
        raise ConditionError(
            f"{input_name}: invalid regular expression flags in {item!r} — use each of "
            "d, g, i, m, s and y at most once"
        )
    try:
        compiled = _regex.compile_js(
            source, ignore_case="i" in flags, multiline="m" in flags, dotall="s" in flags
        )
        with time_limit():
            return _regex.search(compiled, branch, sticky="y" in flags)
    except JsError as exc:
        from cfstep.conditions import _advice  # only an error needs its fix

        raise ConditionError(
            f"{input_name}: {item!r}: {exc} — {_advice.what_to_do(str(exc))}, or give the "
            "branch name itself"
        ) from exc


def branch_allowed(branch: str, only: Sequence[str], ignore: Sequence[str]) -> tuple[bool, str]:
    """`when.branch` semantics: names or `/regex/flags`; returns (allowed, reason)."""
    if only and not any(_branch_matches(branch, item, "BRANCH_ONLY") for item in only):
        return False, f"branch {branch!r} matches none of BRANCH_ONLY {list(only)}"
    for item in ignore:
        if _branch_matches(branch, item, "BRANCH_IGNORE"):
            return False, f"branch {branch!r} matches BRANCH_IGNORE {item!r}"
    return True, ""


@dataclass(frozen=True)
class ConditionResult:
    group: str
    name: str
    text: str
    holds: bool
    error: str | None


@dataclass(frozen=True)
class Decision:
    run: bool
    results: tuple[ConditionResult, ...]
    reason: str


_INPUT = {"all": "CONDITION_ALL", "any": "CONDITION_ANY"}


def _evaluate_one(
    group: str, name: str, raw: str, environ: Mapping[str, str], on_error: str
) -> ConditionResult:
    text = raw
    try:
        _check_length(raw, "the expression before substitution")
        text = substitute(raw, environ)
        _check_length(text, "the expression after substitution")
        return ConditionResult(group, name, text, evaluate(text, environ), None)
    except ConditionError as exc:
        if on_error == "skip":
            return ConditionResult(group, name, text, False, exc.message)
        shown = text if len(text) <= 300 else text[:300] + "…"
        from cfstep.conditions import _advice  # only an error needs its fix

        raise ConditionError(
            f"{_INPUT[group]} condition {name!r} cannot be evaluated: "
            f"{_advice.explained(exc.message)}; text: {_one_line(shown)} — "
            f"{_advice.what_to_do(exc.message)}"
        ) from exc


def decide(  # noqa: PLR0917 - the signature the CLI codes against
    all_: Sequence[tuple[str, str]],
    any_: Sequence[tuple[str, str]],
    environ: Mapping[str, str],
    on_error: str = "fail",
    branch_only: Sequence[str] = (),
    branch_ignore: Sequence[str] = (),
    *,
    branch: str = "",
) -> Decision:
    """Whether to run: branch filters (on `branch`, the build's CF_BRANCH), every
    CONDITION_ALL, at least one CONDITION_ANY; `environ` holds what conditions may name."""
    if on_error not in ("fail", "skip"):
        raise ConditionError(
            f"CONDITION_ERROR must be fail or skip, not {on_error!r} — set it to one of them"
        )
    allowed, branch_reason = branch_allowed(branch, branch_only, branch_ignore)
    results = [_evaluate_one("all", n, e, environ, on_error) for n, e in all_]
    results += [_evaluate_one("any", n, e, environ, on_error) for n, e in any_]
    reason = ""
    if not allowed:
        reason = branch_reason
    else:
        for r in results:
            if r.group == "all" and not r.holds:
                why = f"error: {r.error}" if r.error else "false"
                reason = f"CONDITION_ALL {r.name!r} is {why}: {_one_line(r.text)}"
                break
        else:
            anys = [r for r in results if r.group == "any"]
            if anys and not any(r.holds for r in anys):
                shown = "; ".join(f"{r.name!r}: {_one_line(r.text)}" for r in anys)
                reason = f"no CONDITION_ANY holds: {shown}"
    return Decision(run=reason == "", results=tuple(results), reason=reason)
