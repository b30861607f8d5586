"""A line-by-line port of jsep 0.3.5, the parser under tevale 0.9.2.

Ported rather than approximated because the accepted language is jsep's, quirks included:
`f(1 2)` passes two arguments, `;` and `,` separate top-level expressions, `()` is an empty
expression, `.` alone is the number NaN, `a[b]` names the member `b`. Python's own parser
accepts a different language (chained comparisons, other precedences, other literals), so it
cannot be used for the syntax; simpleeval evaluates the tree this parser builds.

A missing operand (jsep's `false` node) is `None` here. Nesting is bounded so that neither
this recursive parser nor the evaluator can exhaust the stack. The port follows jsep's order,
so it can be read beside jsep.
"""

from __future__ import annotations

from cfstep.conditions._js import JsError, parse_float_literal

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from typing import cast
else:

    def cast(_type: str, value: object) -> object:
        """`typing.cast`, which only speaks to the type checker, without importing typing."""
        return value


MAX_DEPTH = 100
"""Deepest nesting of parentheses, unary operators, calls and members."""


# The tree's nodes are plain slotted classes, not dataclasses: building ten dataclasses costs
# ~15 ms at import, on the start-up path of every step with a condition (docs/performance.md).


class Literal:
    __slots__ = ("value",)

    def __init__(self, value: str | float | bool | None) -> None:
        self.value = value


class Identifier:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class This:
    __slots__ = ()


class Member:
    __slots__ = ("computed", "obj", "prop")

    def __init__(self, obj: Node, prop: Node, computed: bool) -> None:
        self.obj = obj
        self.prop = prop
        self.computed = computed


class Call:
    __slots__ = ("args", "callee")

    def __init__(self, callee: Node, args: tuple[Node, ...]) -> None:
        self.callee = callee
        self.args = args


class Unary:
    __slots__ = ("arg", "op")

    def __init__(self, op: str, arg: Node) -> None:
        self.op = op
        self.arg = arg


class Binary:
    __slots__ = ("left", "op", "right")

    def __init__(self, op: str, left: Node, right: Node) -> None:
        self.op = op
        self.left = left
        self.right = right


class Conditional:
    __slots__ = ("orelse", "test", "then")

    def __init__(self, test: Node, then: Node, orelse: Node) -> None:
        self.test = test
        self.then = then
        self.orelse = orelse


class Array:
    __slots__ = ("elements",)

    def __init__(self, elements: tuple[Node, ...]) -> None:
        self.elements = elements


class Compound:
    __slots__ = ("body",)

    def __init__(self, body: tuple[Node, ...]) -> None:
        self.body = body


Node = Literal | Identifier | This | Member | Call | Unary | Binary | Conditional | Array | None
Tree = Node | Compound

_UNARY = frozenset("-!~+")
_BINARY = {
    "||": 1,
    "&&": 2,
    "|": 3,
    "^": 4,
    "&": 5,
    "==": 6,
    "!=": 6,
    "===": 6,
    "!==": 6,
    "<": 7,
    ">": 7,
    "<=": 7,
    ">=": 7,
    "<<": 8,
    ">>": 8,
    ">>>": 8,
    "+": 9,
    "-": 9,
    "*": 10,
    "/": 10,
    "%": 10,
}
_LITERALS: dict[str, str | float | bool | None] = {"true": True, "false": False, "null": None}
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "v": "\x0b"}


def _ident_start(ch: str) -> bool:
    if not ch:
        return False
    return ch in "$_" or "A" <= ch <= "Z" or "a" <= ch <= "z" or (ch >= "\x80")


def _ident_part(ch: str) -> bool:
    return _ident_start(ch) or "0" <= ch <= "9"


def _digit(ch: str) -> bool:
    return "0" <= ch <= "9"


class _Parser:
    def __init__(self, expr: str) -> None:
        self.expr = expr
        self.index = 0
        self.length = len(expr)
        self.depth = 0

    # jsep reads past the end as '' (charAt) / NaN (charCodeAt); '' compares as neither.
    def ch(self, i: int | None = None) -> str:
        i = self.index if i is None else i
        return self.expr[i] if 0 <= i < self.length else ""

    def fail(self, message: str) -> JsError:
        return JsError(f"{message} at character {self.index}")

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"nesting limit: deeper than {MAX_DEPTH} levels")

    def spaces(self) -> None:
        while self.ch() in (" ", "\t", "\n", "\r") and self.ch() != "":
            self.index += 1

    def expression(self) -> Node:
        test = self.binary_expression()
        self.spaces()
        if self.ch() == "?":
            self.index += 1
            self.enter()
            consequent = self.expression()
            if consequent is None:
                raise self.fail("Expected expression")
            self.spaces()
            if self.ch() == ":":
                self.index += 1
                alternate = self.expression()
                if alternate is None:
                    raise self.fail("Expected expression")
                self.depth -= 1
                return Conditional(test, consequent, alternate)
            raise self.fail("Expected :")
        return test

    def binary_op(self) -> str | None:
        self.spaces()
        to_check = self.expr[self.index : self.index + 3]
        while to_check:
            if to_check in _BINARY:
                self.index += len(to_check)
                return to_check
            to_check = to_check[:-1]
        return None

    def binary_expression(self) -> Node:
        left = self.token()
        biop = self.binary_op()
        if biop is None:
            return left
        right = self.token()
        if right is None:
            raise self.fail(f"Expected expression after {biop}")
        stack: list[Node | tuple[str, int]] = [left, (biop, _BINARY[biop]), right]
        while (biop := self.binary_op()) is not None:
            prec = _BINARY[biop]
            while len(stack) > 2 and prec <= _prec(stack[-2]):
                r = stack.pop()
                op = stack.pop()
                lhs = stack.pop()
                stack.append(Binary(_opname(op), _node(lhs), _node(r)))
            node = self.token()
            if node is None:
                raise self.fail(f"Expected expression after {biop}")
            stack.extend([(biop, prec), node])
        i = len(stack) - 1
        result = _node(stack[i])
        while i > 1:
            result = Binary(_opname(stack[i - 1]), _node(stack[i - 2]), result)
            i -= 2
        return result

    def token(self) -> Node:
        self.spaces()
        ch = self.ch()
        if _digit(ch) or ch == ".":
            return self.numeric_literal()
        if ch in ("'", '"'):
            return self.string_literal()
        if ch == "[":
            return self.array()
        if ch in _UNARY and ch != "":
            self.index += 1
            self.enter()
            arg = self.token()
            self.depth -= 1
            return Unary(ch, arg)
        if ch != "" and (_ident_start(ch) or ch == "("):
            return self.variable()
        return None

    def numeric_literal(self) -> Literal:
        start = self.index
        while _digit(self.ch()):
            self.index += 1
        if self.ch() == ".":
            self.index += 1
            while _digit(self.ch()):
                self.index += 1
        if self.ch() in ("e", "E") and self.ch() != "":
            self.index += 1
            if self.ch() in ("+", "-") and self.ch() != "":
                self.index += 1
            while _digit(self.ch()):
                self.index += 1
            if not _digit(self.ch(self.index - 1)):
                number = self.expr[start : self.index]
                raise self.fail(f"Expected exponent ({number}{self.ch()})")
        number = self.expr[start : self.index]
        ch = self.ch()
        if ch != "" and _ident_start(ch):
            raise self.fail(f"Variable names cannot start with a number ({number}{ch})")
        if ch == ".":
            raise self.fail("Unexpected period")
        return Literal(parse_float_literal(number))

    def string_literal(self) -> Literal:
        quote = self.ch()
        self.index += 1
        out: list[str] = []
        closed = False
        while self.index < self.length:
            ch = self.ch()
            self.index += 1
            if ch == quote:
                closed = True
                break
            if ch == "\\":
                ch = self.ch()
                self.index += 1
                out.append(_ESCAPES.get(ch, ch))
            else:
                out.append(ch)
        if not closed:
            raise self.fail(f'Unclosed quote after "{"".join(out)}"')
        return Literal("".join(out))

    def identifier(self) -> Literal | Identifier | This:
        start = self.index
        ch = self.ch()
        if ch != "" and _ident_start(ch):
            self.index += 1
        else:
            raise self.fail(f"Unexpected {ch}")
        while self.index < self.length and _ident_part(self.ch()):
            self.index += 1
        name = self.expr[start : self.index]
        if name in _LITERALS:
            return Literal(_LITERALS[name])
        if name == "this":
            return This()
        return Identifier(name)

    def arguments(self, termination: str) -> tuple[Node, ...]:
        args: list[Node] = []
        closed = False
        separators = 0
        while self.index < self.length:
            self.spaces()
            ch = self.ch()
            if ch == termination:
                closed = True
                self.index += 1
                if termination == ")" and separators and separators >= len(args):
                    raise self.fail(f"Unexpected token {termination}")
                break
            if ch == ",":
                self.index += 1
                separators += 1
                if separators != len(args):
                    if termination == ")":
                        raise self.fail("Unexpected token ,")
                    args.extend([None] * (separators - len(args)))
            else:
                node = self.expression()
                if node is None:
                    raise self.fail("Expected comma")
                args.append(node)
        if not closed:
            raise self.fail(f"Expected {termination}")
        return tuple(args)

    def variable(self) -> Node:
        self.enter()
        node: Node = self.group() if self.ch() == "(" else self.identifier()
        self.spaces()
        ch = self.ch()
        while ch in (".", "[", "(") and ch != "":
            self.index += 1
            if ch == ".":
                self.spaces()
                node = Member(node, self.identifier(), computed=False)
            elif ch == "[":
                node = Member(node, self.expression(), computed=True)
                self.spaces()
                if self.ch() != "]":
                    raise self.fail("Unclosed [")
                self.index += 1
            else:
                node = Call(node, self.arguments(")"))
            self.spaces()
            ch = self.ch()
        self.depth -= 1
        return node

    def group(self) -> Node:
        self.index += 1
        node = self.expression()
        self.spaces()
        if self.ch() == ")":
            self.index += 1
            return node
        raise self.fail("Unclosed (")

    def array(self) -> Array:
        self.index += 1
        self.enter()
        elements = self.arguments("]")
        self.depth -= 1
        return Array(elements)

    def parse(self) -> Tree:
        nodes: list[Node] = []
        while self.index < self.length:
            ch = self.ch()
            if ch in (";", ","):
                self.index += 1
                continue
            self.depth = 0
            node = self.expression()
            if node is not None:
                nodes.append(node)
            elif self.index < self.length:
                raise self.fail(f'Unexpected "{self.ch()}"')
        if len(nodes) == 1:
            return nodes[0]
        return Compound(tuple(nodes))


# jsep's stack alternates operands and (operator, precedence) entries.
def _prec(entry: Node | tuple[str, int]) -> int:
    return cast("tuple[str, int]", entry)[1]


def _opname(entry: Node | tuple[str, int]) -> str:
    return cast("tuple[str, int]", entry)[0]


def _node(entry: Node | tuple[str, int]) -> Node:
    return cast("Node", entry)


def parse(expression: str) -> Tree:
    """Parse as jsep 0.3.5 does; raise JsError with jsep's message and position."""
    return _Parser(expression).parse()
