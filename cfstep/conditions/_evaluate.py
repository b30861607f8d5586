"""tevale's semantics on simpleeval: the jsep tree becomes a Python `ast` evaluated by a
`simpleeval.SimpleEval` whose operators, functions and name handler are ours.

Each JS operator maps to a Python AST operator that only exists here as a key in the
operators table: `&&` is `BitAnd`, `||` is `BitOr` (both sides are always evaluated and
type-checked, as tevale does), and every comparison is a single-operator `Compare`, so
jsep's left-associative `a == b == c` is never chained the Python way. Members are calls to
a function whose name (" member") no jsep identifier can spell. Every exception that
simpleeval or Python can raise is turned into `JsError` at `evaluate_tree`.
"""

from __future__ import annotations

import ast
import math
import re
import warnings

import simpleeval

from cfstep.conditions import _js, _jsep, _regex
from cfstep.conditions._js import JsError

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any, cast

    from cfstep.conditions._js import JsValue
else:
    from cfstep.conditions._jsep import cast

MAX_TREE_DEPTH = 200
"""Deepest expression tree evaluated (long operator chains nest too)."""

_BINARY_TYPES: dict[str, tuple[str, ...]] = {
    "==": ("number", "string", "nullableString", "object", "boolean"),
    "!=": ("number", "string", "nullableString", "object", "boolean"),
    "<": ("number", "string"),
    ">": ("number", "string"),
    "<=": ("number", "string"),
    ">=": ("number", "string"),
    "+": ("number", "string"),
    "-": ("number",),
    "*": ("number",),
    "/": ("number",),
    "%": ("number",),
    "||": ("boolean",),
    "&&": ("boolean",),
}
_UNARY_TYPES: dict[str, tuple[str, ...]] = {
    "+": ("number",),
    "-": ("number",),
    "!": ("number", "boolean"),
}


def _js_type_name(v: object) -> str:
    return "null" if v is None else _js.typeof(v)


def _verify(op: str, values: tuple[object, ...]) -> None:
    allowed = _UNARY_TYPES[op] if len(values) == 1 else _BINARY_TYPES[op]
    for t in allowed:
        if t == "nullableString":
            if all(v is None or isinstance(v, str) for v in values):
                return
        elif all(_js.typeof(v) == t for v in values):
            return
    got = ",".join(_js_type_name(v) for v in values)
    raise JsError(
        f"The operator {op} cannot be used with {got}. It can only be used with the types: "
        f"{','.join(allowed)}"
    )


def _strict_equal(a: object, b: object) -> bool:
    if isinstance(a, dict | list) or isinstance(b, dict | list) or a is None or b is None:
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b  # NaN != NaN and 0 == -0, as in JS


def _eq(a: object, b: object) -> bool:
    _verify("==", (a, b))
    return _strict_equal(a, b)


def _ne(a: object, b: object) -> bool:
    _verify("!=", (a, b))
    return not _strict_equal(a, b)


def _numbers(op: str, a: object, b: object) -> tuple[float, float]:
    _verify(op, (a, b))
    return cast("float", a), cast("float", b)


def _compare(op: str, a: object, b: object) -> bool:
    _verify(op, (a, b))
    if isinstance(a, str) and isinstance(b, str):
        lt, gt = _js.less(a, b), _js.less(b, a)
        return {"<": lt, ">": gt, "<=": not gt, ">=": not lt}[op]
    x, y = cast("float", a), cast("float", b)
    return {"<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}[op]


def _add(a: object, b: object) -> JsValue:
    _verify("+", (a, b))
    if isinstance(a, str) and isinstance(b, str):
        return _js.checked(a + b)
    return cast("float", a) + cast("float", b)


def _sub(a: object, b: object) -> float:
    a, b = _numbers("-", a, b)
    return a - b


def _mul(a: object, b: object) -> float:
    a, b = _numbers("*", a, b)
    result = a * b
    if result == math.inf:
        raise JsError("Numeric overflow")
    return result


def _div(a: object, b: object) -> float:
    a, b = _numbers("/", a, b)
    result = _js.divide(a, b)
    if result == math.inf:
        raise JsError(f"Division of {_js.number_to_string(a)} by 0")
    return result


def _mod(a: object, b: object) -> float:
    a, b = _numbers("%", a, b)
    result = _js.modulo(a, b)
    if math.isnan(result):
        raise JsError(f"Modulo of {_js.number_to_string(a)} by 0")
    return result


def _and(a: object, b: object) -> bool:
    _verify("&&", (a, b))
    return bool(a) and bool(b)


def _or(a: object, b: object) -> bool:
    _verify("||", (a, b))
    return bool(a) or bool(b)


def _pos(a: object) -> float:
    _verify("+", (a,))
    return cast("float", a)


def _neg(a: object) -> float:
    _verify("-", (a,))
    return -cast("float", a)


def _not(a: object) -> bool:
    _verify("!", (a,))
    if isinstance(a, bool):
        return not a
    x = cast("float", a)
    return x == 0 or math.isnan(x)


OPERATORS: dict[type, Callable[..., Any]] = {
    ast.Eq: _eq,
    ast.NotEq: _ne,
    ast.Lt: lambda a, b: _compare("<", a, b),
    ast.Gt: lambda a, b: _compare(">", a, b),
    ast.LtE: lambda a, b: _compare("<=", a, b),
    ast.GtE: lambda a, b: _compare(">=", a, b),
    ast.Add: _add,
    ast.Sub: _sub,
    ast.Mult: _mul,
    ast.Div: _div,
    ast.Mod: _mod,
    ast.BitAnd: _and,
    ast.BitOr: _or,
    ast.UAdd: _pos,
    ast.USub: _neg,
    ast.Not: _not,
}
_BINOPS: dict[str, ast.operator] = {
    "+": ast.Add(),
    "-": ast.Sub(),
    "*": ast.Mult(),
    "/": ast.Div(),
    "%": ast.Mod(),
    "&&": ast.BitAnd(),
    "||": ast.BitOr(),
}
_CMPOPS: dict[str, ast.cmpop] = {
    "==": ast.Eq(),
    "!=": ast.NotEq(),
    "<": ast.Lt(),
    ">": ast.Gt(),
    "<=": ast.LtE(),
    ">=": ast.GtE(),
}
_UNOPS: dict[str, ast.unaryop] = {"+": ast.UAdd(), "-": ast.USub(), "!": ast.Not()}


# --- functions ---------------------------------------------------------------------------


def _typed(
    name: str, params: tuple[tuple[str, ...], ...], impl: Callable[..., object]
) -> Callable[..., object]:
    def call(*args: object) -> object:
        if len(args) != len(params):
            raise JsError(f"Expected {len(params)} arguments for function '{name}'.")
        for i, (arg, allowed) in enumerate(zip(args, params, strict=True)):
            t = _js.arg_type(arg)
            if t not in allowed:
                raise JsError(
                    f"Invalid argument #{i} of type {t} for function '{name}': expected "
                    f"{','.join(allowed)}"
                )
        return impl(*args)

    return call


def _string(v: float | str) -> str:
    return v if isinstance(v, str) else _js.number_to_string(v)


def _number(v: float | str) -> float:
    result = v if isinstance(v, float) else _js.string_to_number(v)
    if math.isnan(result) or math.isinf(result):
        shown = v if isinstance(v, str) else _js.number_to_string(v)
        raise JsError(f"Error converting value '{shown}' to number")
    return result


def _boolean(v: float | str) -> bool:
    if isinstance(v, str):
        return v != ""
    return not (v == 0 or math.isnan(v))


def _substring(s: str, start: float, end: float) -> str:
    # tevale: an end before the start means "to the end" (NaN compares false, as in JS)
    return _js.substring(s, start, None if end < start else end)


def _match(s: str, pattern: str, ignore_case: bool) -> bool:
    return _regex.search(_regex.compile_js(pattern, ignore_case=ignore_case), s)


def _get_own(container: object, key: str) -> tuple[bool, object]:
    """An own property of a JS value: (found, value). Inherited ones are never found."""
    if isinstance(container, dict):
        return (key in container, container.get(key))
    if isinstance(container, list | str):
        if key == "length":
            return True, float(
                _js.length(container) if isinstance(container, str) else len(container)
            )
        if key.isdigit() and key.isascii() and (key == "0" or not key.startswith("0")):
            i = int(key)
            if isinstance(container, list):
                return (i < len(container), container[i] if i < len(container) else None)
            u = _js.units(container)
            return (i < len(u), u[i] if i < len(u) else None)
    return False, None


_PROP_NAME = re.compile(r"""[^.[\]]+|\[(?:(-?\d+(?:\.\d+)?)|(["'])((?:(?!\2)[^\n\\]|\\.)*?)\2)\]""")
_ESCAPE_CHAR = re.compile(r"\\(\\)?")


def _to_path(key: str) -> list[str]:
    """lodash 3 `toPath`."""
    out: list[str] = []
    for m in _PROP_NAME.finditer(key):
        number, quote, string = m.group(1), m.group(2), m.group(3)
        if quote:
            out.append(_ESCAPE_CHAR.sub(lambda e: e.group(1) or "", string))
        else:
            out.append(number or m.group(0))
    return out


def _member_fn(container: object, key: str) -> object:
    """tevale's `Member(obj, key)`: lodash 3 `_.get`, a dotted/bracketed path allowed."""
    found, value = _get_own(container, key)
    if found:
        return value
    path = _to_path(key)
    current: object = container
    index = 0
    while current is not None and index < len(path):
        found, current = _get_own(current, path[index])
        index += 1
        if not found:
            raise JsError(f"Undefined identifier member: '{key}'")
    if index == 0 or index != len(path):
        raise JsError(f"Undefined identifier member: '{key}'")
    return current


def _member_node(container: object, key: str) -> object:
    """`a.b` in tevale: an own property of the evaluated object."""
    if container is None:
        raise JsError("Cannot read properties of null (reading 'hasOwnProperty')")
    found, value = _get_own(container, key)
    if not found:
        raise JsError(f"Undefined identifier member: '{key}'")
    return value


_S, _N, _B = ("string",), ("number",), ("boolean",)
_NS = ("number", "string")
BASE_FUNCTIONS: dict[str, Callable[..., object]] = {
    "String": _typed("String", (_NS,), _string),
    "Number": _typed("Number", (_NS,), _number),
    "Boolean": _typed("Boolean", (_NS,), _boolean),
    "round": _typed("round", (_N,), _js.js_round),
    "floor": _typed("floor", (_N,), _js.js_floor),
    "upper": _typed("upper", (_S,), lambda s: _js.checked(s.upper())),
    "lower": _typed("lower", (_S,), lambda s: _js.checked(s.lower())),
    "trim": _typed("trim", (_S,), _js.js_trim),
    "trimRight": _typed("trimRight", (_S,), lambda s: _js.js_trim(s, left=False)),
    "trimLeft": _typed("trimLeft", (_S,), lambda s: _js.js_trim(s, right=False)),
    "replace": _typed("replace", (_S, _S, _S), _js.replace_first),
    "substring": _typed("substring", (_S, _N, _N), _substring),
    "length": _typed("length", (_S,), lambda s: float(_js.length(s))),
    "includes": _typed("includes", (_S, _S), lambda s, t: _js.units(t) in _js.units(s)),
    "indexOf": _typed("indexOf", (_S, _S), lambda s, t: float(_js.index_of(s, t))),
    "match": _typed("match", (_S, _S, _B), _match),
    "Member": _typed("Member", (("object",), _S), _member_fn),
    " member": _member_node,
}


# --- tree conversion ---------------------------------------------------------------------


def _depth(tree: _jsep.Node) -> int:
    """Depth of the tree, computed without recursion."""
    best = 0
    stack: list[tuple[_jsep.Node, int]] = [(tree, 1)]
    while stack:
        node, d = stack.pop()
        best = max(best, d)
        children: tuple[_jsep.Node, ...] = ()
        if isinstance(node, _jsep.Binary):
            children = (node.left, node.right)
        elif isinstance(node, _jsep.Unary):
            children = (node.arg,)
        elif isinstance(node, _jsep.Member):
            children = (node.obj,)
        elif isinstance(node, _jsep.Call):
            children = (node.callee, *node.args)
        stack.extend((c, d + 1) for c in children)
    return best


def _to_ast(node: _jsep.Node) -> ast.expr:  # noqa: PLR0911, PLR0912 - one case per node kind
    match node:
        case None:
            raise JsError("Unknown expression detected! Very strange.")
        case _jsep.Literal(value=value):
            return ast.Constant(value)
        case _jsep.Identifier(name=name):
            return ast.Name(id=name, ctx=ast.Load())
        case _jsep.This():
            raise JsError("keyword 'this' not supported.")
        case _jsep.Conditional():
            raise JsError("Trinary operator (?:) currently not supported.")
        case _jsep.Array():
            raise JsError("Array literals ([1, 2, 3]) currently not supported.")
        case _jsep.Member(obj=obj, prop=prop):
            if not isinstance(prop, _jsep.Identifier):
                raise JsError("Invalid identifier member: 'undefined'")
            return ast.Call(
                func=ast.Name(id=" member", ctx=ast.Load()),
                args=[_to_ast(obj), ast.Constant(prop.name)],
                keywords=[],
            )
        case _jsep.Call(callee=callee, args=args):
            if not isinstance(callee, _jsep.Identifier):
                kind = type(callee).__name__ if callee is not None else "undefined"
                raise JsError(f"Invalid function name type: '{kind}'")
            if callee.name not in BASE_FUNCTIONS and callee.name != "Variable":
                raise JsError(f"Unknown function: '{callee.name}'")
            return ast.Call(
                func=ast.Name(id=callee.name, ctx=ast.Load()),
                args=[_to_ast(a) for a in args],
                keywords=[],
            )
        case _jsep.Unary(op=op, arg=arg):
            if op not in _UNOPS:
                raise JsError(f"Invalid unary operator: {op}")
            return ast.UnaryOp(op=_UNOPS[op], operand=_to_ast(arg))
        case _jsep.Binary(op=op, left=left, right=right):
            if op in _CMPOPS:
                return ast.Compare(
                    left=_to_ast(left), ops=[_CMPOPS[op]], comparators=[_to_ast(right)]
                )
            if op in _BINOPS:
                return ast.BinOp(left=_to_ast(left), op=_BINOPS[op], right=_to_ast(right))
            kind = "logical" if op in ("||", "&&") else "binary"
            raise JsError(f"Invalid {kind} operator: {op}")
    raise JsError("Unknown expression detected! Very strange.")  # pragma: no cover


def evaluate_tree(expression: str, variables: Mapping[str, object]) -> bool:
    """Parse `expression` as jsep and evaluate it as tevale; raise JsError on any error."""
    value = evaluate_value(expression, variables)
    try:
        return _js.truthy(value)
    except (TypeError, ValueError) as exc:  # pragma: no cover - truthy raises JsError only
        raise JsError(str(exc)) from exc


def evaluate_value(expression: str, variables: Mapping[str, object]) -> object:
    """The JS value of `expression` before tevale turns it into a boolean."""
    try:
        tree = _jsep.parse(expression)
        if isinstance(tree, _jsep.Compound):
            if tree.body:
                raise JsError("Cannot handle compound expressions.")
            return False
        if tree is None:  # pragma: no cover - a lone missing node never reaches the top
            return False
        if _depth(tree) > MAX_TREE_DEPTH:
            raise JsError(f"nesting limit: expression tree deeper than {MAX_TREE_DEPTH} levels")
        body = _to_ast(tree)
        env: dict[str, JsValue] = {}

        def resolve(name: str) -> object:
            if name not in variables:
                raise JsError(f"Invalid identifier: '{name}'")
            if name not in env:
                env[name] = _js.to_js(variables[name])
            value = env[name]
            return value

        def names(node: ast.Name) -> object:
            return resolve(node.id)

        functions = dict(BASE_FUNCTIONS)
        functions["Variable"] = _typed("Variable", (_S,), resolve)
        evaluator = simpleeval.SimpleEval(operators=OPERATORS, functions=functions, names=names)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return evaluator.eval(expression, previously_parsed=body)
    except JsError:
        raise
    except (
        simpleeval.InvalidExpression,
        SyntaxError,
        TypeError,
        ValueError,
        KeyError,
        IndexError,
        AttributeError,
        ZeroDivisionError,
        OverflowError,
        RecursionError,
        MemoryError,
        UnicodeError,
        re.error,
        Warning,
    ) as exc:
        raise JsError(f"{type(exc).__name__}: {exc}") from exc
