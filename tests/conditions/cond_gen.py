"""A seeded generator of condition expressions over tevale's whole grammar.

Expressions are built by target type (string, number, boolean) so that most are valid and
exercise semantics, then a share is deliberately broken (wrong types and argument counts,
unknown names, mutated syntax). `pinned(...)` turns a value our evaluator computed into an
equality with a literal, so tevale checks the value itself and not only its truthiness.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable

from cfstep.conditions import _evaluate, _js

ENV_VARS: dict[str, object] = {
    "CF_BRANCH": "release-1.2",
    "CF_PULL_REQUEST_TARGET": "production",
    "CF_PULL_REQUEST_ACTION": "opened",
    "EMPTY": "",
    "NUM": "42",
    "HEX": "0x1F",
    "PAD": "  padded\t ",
    "UNI": "héllo wörld 😀 Straße",
    "QUOTE": 'it\'s "q"',
    "DOLLAR": "$& and $$",
    "MSG": "Fix: bug #12\nsecond line",
}
JSON_VARS: dict[str, object] = {
    **ENV_VARS,
    "n": 3,
    "f": 2.5,
    "neg": -7,
    "big": 1e308,
    "t": True,
    "nul": None,
    "obj": {"a": "x", "b": {"c": 1, "d": None}, "arr": [1, "two"], "a.b": "dotted"},
    "arr": [1, 2, 3],
}
STRING_VARS = [k for k, v in JSON_VARS.items() if isinstance(v, str)]

STRING_LITERALS = [
    '"abc"',
    "'abc'",
    '""',
    "''",
    '"Release-1"',
    '"release-1.2"',
    '"production"',
    '"opened"',
    '"a\\"b"',
    "'it\\'s'",
    '"tab\\there\\nline"',
    '"\\v\\f\\b\\r"',
    '"\\x41\\u0041\\q"',
    '"héllo"',
    '"😀"',
    '"  x  "',
    '"1e3"',
    '"0x1F"',
    '" 12 "',
    '"-0"',
    '"12px"',
    '"Infinity"',
    '".5"',
    '"5."',
    '"0b101"',
    '"1_000"',
    '"$&"',
    '"$\'"',
    '"$`"',
    '"$$"',
    '"$1"',
    '"\\u00a0 x \\ufeff"',
]
NUMBER_LITERALS = [
    "0",
    "1",
    "2",
    "3",
    "7",
    "10",
    "2.5",
    "0.1",
    "0.2",
    ".5",
    "1.",
    "1e3",
    "1E3",
    "1e+2",
    "2e-3",
    "1e21",
    "1e-7",
    "123456789012345680000",
    "1e308",
    "0.000001",
    "4.35",
    "99.99",
]
REGEXES = [
    '"^release-"',
    '"\\\\d+"',
    '"^[a-z]+-\\\\d"',
    '"[A-Z]"',
    '"(?<v>\\\\d)\\\\.\\\\k<v>"',
    '"a|b"',
    '"^$"',
    '"\\\\bwörld\\\\b"',
    '"\\\\bfoo"',
    '"[^]"',
    '"[]"',
    '"l{2,}"',
    '"{,2}"',
    '"x{"',
    '"\\\\u0041"',
    '"\\\\x41"',
    '"\\\\cA"',
    '"\\\\c1"',
    '"(l)\\\\1"',
    '"\\\\1(a)"',
    '"\\\\2"',
    '"\\\\8"',
    '"(?i)a"',
    '"a**"',
    '"a*+"',
    '"[z-a]"',
    '"(?=o)o"',
    '"(?<=e)l"',
    '"(?<!x)l"',
    '"."',
    '"^.*$"',
    '"\\\\s"',
    '"\\\\S+$"',
    '"\\\\w+"',
    '"\\\\W"',
    '"é"',
    '"\\\\/"',
    '"\\\\a"',
    '"["',
    '"("',
    '")"',
    '"*"',
    '"\\\\"',
    '"[\\\\d-z]"',
    '"[\\\\w-]+"',
    '"line$"',
    '"bug$"',
    '"\\\\n"',
    '"[\\\\b]"',
    '"😀"',
    '"^.{3}$"',
    '"straße"',
    '"STRASSE"',
    '"\\\\p{L}"',
    '"(?:ab)+"',
    '"\\\\0"',
    '"\\\\101"',
    '"$^"',
]


VAR_NAMES = ['"CF_BRANCH"', '"UNI"', '"EMPTY"']
MEMBER_PATHS = ['"a"', '"a.b"', '"arr[1]"', '"arr.1"']
OBJECTS = ["null", "nul", "obj", "arr"]


class Gen:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)  # noqa: S311 - a reproducible test generator

    def pick(self, items: list[str]) -> str:
        return self.r.choice(items)

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def string(self, d: int) -> str:
        r = self.r.random()
        if d <= 0 or r < 0.3:
            return self.pick(STRING_LITERALS)
        if r < 0.5:
            return self.pick(STRING_VARS)
        options: list[Callable[[], str]] = [
            lambda: f"String({self.number(d - 1)})",
            lambda: f"String({self.string(d - 1)})",
            lambda: f"upper({self.string(d - 1)})",
            lambda: f"lower({self.string(d - 1)})",
            lambda: f"trim({self.string(d - 1)})",
            lambda: f"trimLeft({self.string(d - 1)})",
            lambda: f"trimRight({self.string(d - 1)})",
            lambda: f"replace({self.string(d - 1)}, {self.string(d - 1)}, {self.string(d - 1)})",
            lambda: f"substring({self.string(d - 1)}, {self.number(d - 1)}, {self.number(d - 1)})",
            lambda: f"{self.string(d - 1)} + {self.string(d - 1)}",
            lambda: f"({self.string(d - 1)})",
            lambda: "Variable(" + self.pick(VAR_NAMES) + ")",
            lambda: "Member(obj, " + self.pick(MEMBER_PATHS) + ")",
            lambda: "obj.a",
        ]
        return self.r.choice(options)()

    def number(self, d: int) -> str:
        r = self.r.random()
        if d <= 0 or r < 0.3:
            return self.pick(NUMBER_LITERALS)
        if r < 0.38:
            return self.pick(["n", "f", "neg", "big"])
        op = self.pick(["+", "-", "*", "/", "%"])
        options: list[Callable[[], str]] = [
            lambda: f"{self.number(d - 1)} {op} {self.number(d - 1)}",
            lambda: f"-{self.number(d - 1)}",
            lambda: f"+{self.number(d - 1)}",
            lambda: f"({self.number(d - 1)})",
            lambda: f"Number({self.string(d - 1)})",
            lambda: f"Number({self.number(d - 1)})",
            lambda: f"round({self.number(d - 1)})",
            lambda: f"floor({self.number(d - 1)})",
            lambda: f"length({self.string(d - 1)})",
            lambda: f"indexOf({self.string(d - 1)}, {self.string(d - 1)})",
            lambda: "CF_BRANCH.length",
            lambda: 'Member(obj, "b.c")',
            lambda: "arr.length",
        ]
        return self.r.choice(options)()

    def boolean(self, d: int) -> str:
        r = self.r.random()
        if d <= 0 or r < 0.1:
            return self.pick(["true", "false", "t"])
        cmp = self.pick(["==", "!=", "<", ">", "<=", ">="])
        options: list[Callable[[], str]] = [
            lambda: f"{self.string(d - 1)} {cmp} {self.string(d - 1)}",
            lambda: f"{self.number(d - 1)} {cmp} {self.number(d - 1)}",
            lambda: f"{self.boolean(d - 1)} && {self.boolean(d - 1)}",
            lambda: f"{self.boolean(d - 1)} || {self.boolean(d - 1)}",
            lambda: f"!{self.boolean(d - 1)}",
            lambda: f"!{self.number(d - 1)}",
            lambda: f"({self.boolean(d - 1)})",
            lambda: f"includes({self.string(d - 1)}, {self.string(d - 1)})",
            lambda: (
                f"match({self.string(d - 1)}, {self.pick(REGEXES)}, {self.pick(['true', 'false'])})"
            ),
            lambda: f"Boolean({self.string(d - 1)})",
            lambda: f"Boolean({self.number(d - 1)})",
            lambda: f"{self.boolean(d - 1)} == {self.boolean(d - 1)}",
            lambda: f"nul == {self.string(d - 1)}",
            lambda: self.pick(OBJECTS) + f" {cmp} " + self.pick([*OBJECTS, "1", '"x"']),
        ]
        return self.r.choice(options)()

    def any_expr(self) -> str:
        d = self.r.randint(1, 4)
        kind = self.r.random()
        if kind < 0.6:
            return self.boolean(d)
        if kind < 0.8:
            return self.string(d)
        return self.number(d)

    def wrong(self) -> str:
        """A type, arity or name error somewhere in an otherwise well-formed expression."""
        d = self.r.randint(0, 2)
        options: list[Callable[[], str]] = [
            lambda: f"{self.string(d)} == {self.number(d)}",
            lambda: f"{self.number(d)} + {self.string(d)}",
            lambda: f"{self.boolean(d)} + {self.boolean(d)}",
            lambda: f"{self.string(d)} && {self.boolean(d)}",
            lambda: f"{self.number(d)} || {self.boolean(d)}",
            lambda: f"!{self.string(d)}",
            lambda: f"-{self.string(d)}",
            lambda: f"{self.string(d)} - {self.string(d)}",
            lambda: f"{self.string(d)} * {self.number(d)}",
            lambda: f"upper({self.number(d)})",
            lambda: f"upper({self.string(d)}, {self.string(d)})",
            lambda: f"substring({self.string(d)}, {self.number(d)})",
            lambda: f"match({self.string(d)}, {self.pick(REGEXES)})",
            lambda: f"match({self.string(d)}, {self.pick(REGEXES)}, 1)",
            lambda: f"includes({self.number(d)}, {self.string(d)})",
            lambda: f"String({self.boolean(d)})",
            lambda: "String(null)",
            lambda: "Number(null)",
            lambda: f'Member({self.string(d)}, "a")',
            lambda: 'Member(nul, "a")',
            lambda: 'Member(obj, "zz")',
            lambda: 'UNKNOWN_VAR == "x"',
            lambda: 'Variable("NOPE")',
            lambda: f"nope({self.string(d)})",
            lambda: "obj",
            lambda: "arr",
            lambda: "obj.zz",
            lambda: "obj[a]",
            lambda: 'obj["a"]',
            lambda: "arr[0]",
            lambda: "obj.b.c.d",
            lambda: "CF_BRANCH.x",
            lambda: "nul.x",
            lambda: f"{self.number(d)} === {self.number(d)}",
            lambda: f"{self.number(d)} !== {self.number(d)}",
            lambda: f"{self.number(d)} & {self.number(d)}",
            lambda: f"{self.number(d)} << {self.number(d)}",
            lambda: f"~{self.number(d)}",
            lambda: f"{self.boolean(d)} ? 1 : 2",
            lambda: "[1, 2]",
            lambda: "this",
            lambda: f"{self.number(d)} {self.number(d)}",
            lambda: f"{self.boolean(d)}; {self.boolean(d)}",
            lambda: "1 / 0",
            lambda: "-1 / 0",
            lambda: "0 / 0",
            lambda: "5 % 0",
            lambda: "1e308 * 10",
            lambda: "-1e308 * 10",
            lambda: "1e308 + 1e308",
            lambda: "big * big",
            lambda: 'Number("1e400")',
        ]
        return self.r.choice(options)()

    def mutate(self, text: str) -> str:
        chars = list(text)
        for _ in range(self.r.randint(1, 2)):
            action = self.r.random()
            pos = self.r.randint(0, len(chars))
            if action < 0.4 and chars:
                del chars[min(pos, len(chars) - 1)]
            elif action < 0.8:
                chars.insert(pos, self.pick(list("()[]{}'\".,;:?!=<>+-*/%&|^~\\ 0a$_é\t\n")))
            else:
                chars = chars[:pos]
        return "".join(chars)

    def pinned(self, expr: str, variables: dict[str, object]) -> str | None:
        """`expr == <its value as computed here>`, or None when not a number/string."""
        try:
            value = _evaluate.evaluate_value(expr, variables)
        except _js.JsError:
            return None
        if isinstance(value, bool) or value is None:
            return None
        if isinstance(value, float):
            text = _js.number_to_string(value)
            if text in ("NaN", "Infinity", "-Infinity"):
                return None
            return f"({expr}) == {text}"
        if isinstance(value, str):
            return f"({expr}) == {json.dumps(value)}"
        return None


SPECIALS = [
    "",
    "   ",
    ";",
    ";;",
    "; ;",
    ",",
    "()",
    "(())",
    "() == 1",
    "!()",
    "()()",
    "f(())",
    ".",
    ". == .",
    ".e5",
    "1.e1 == 10",
    "1..5",
    "1.2.3",
    "1e",
    "1e+",
    "1a",
    "0x10",
    "1 2",
    "a;",
    "true;",
    "true,",
    "true;false",
    "String(1 2)",
    'replace("a" "b" "c") == "c"',
    "upper(,)",
    'upper("a",)',
    'upper("a"',
    "upper(;)",
    '("abc").length == 3',
    '"abc".length',
    '(String)(1) == "1"',
    "String(1)(2)",
    'obj.upper("a")',
    'obj . a == "x"',
    'obj[(a)] == "x"',
    "obj[]",
    "obj[a",
    "true.x",
    "(1).x",
    '"a" == "a" == true',
    "1 < 2 == true",
    "1 == 1 == 1",
    "2 - 1 - 1 == 0",
    "2 * 3 % 4 == 2",
    "-2 * -2 == 4",
    "- - 1 == 1",
    "!!true",
    "!0",
    "!1",
    '!!"a"',
    "-7 % 3 == -1",
    "7 % -3 == 1",
    "-0 == 0",
    "1 / -0 < 0",
    "1 / round(-0.4)",
    "1 / floor(-0)",
    "round(2.5) == 3 && round(-2.5) == -2 && round(0.49999999999999994) == 0",
    "floor(-0.5) == -1",
    'String(0.1 + 0.2) == "0.30000000000000004"',
    'String(1e21) == "1e+21"',
    'String(123e-20) == "1.23e-18"',
    'String(0.000001) == "0.000001"',
    'String(0.0000001) == "1e-7"',
    'String(-1e-7) == "-1e-7"',
    'String(2.0) == "2"',
    'String(-0) == "0"',
    'String(0 / 0) == "NaN"',
    'String(-1 / 0) == "-Infinity"',
    'String(1e308 + 1e308) == "Infinity"',
    'Number("0x1F") == 31',
    'Number("  12\\n") == 12',
    'Number("") == 0',
    'Number("1_0")',
    'Number("-0x1")',
    'Number("Infinity")',
    'Number("0b11") == 3',
    'Number("0o17") == 15',
    'Number(".5e1") == 5',
    "Boolean(0 / 0)",
    'substring("hello", 1, 3) == "el"',
    'substring("hello", 3, 1) == "lo"',
    'substring("hello", -2, 2) == "he"',
    'substring("hello", 1.7, 3.9) == "el"',
    'substring("hello", 0 / 0, 2) == "he"',
    'substring("hello", 1, 0 / 0) == "h"',
    'substring("😀x", 1, 3)',
    'length("😀") == 2',
    'indexOf("😀x", "x") == 2',
    '"😀" < "\uffff"',
    '"\uffff" < "😀"',
    'replace("aaa", "a", "b") == "baa"',
    'replace("abc", "", "-") == "-abc"',
    'replace("abc", "b", "[$`|$\'|$&|$$|$1]") == "a[a|c|b|$|$1]c"',
    'includes("abc", "")',
    'indexOf("abc", "") == 0',
    'trim("\\u00a0\\ufeff x \\u2028") == "x"',
    'trim("\\u001c x") == "\\u001c x"',
    'upper("straße") == "STRASSE"',
    'lower("ΣΑΣ") == "σας"',
    "nul == null",
    "null == null",
    'null == "x"',
    'null != ""',
    "null == 1",
    "null == obj",
    "obj == obj",
    'obj == Variable("obj")',
    "arr == arr",
    'Member(obj, "b") == Member(obj, "b")',
    "obj.b == obj.b",
    'Member(obj, "b") == obj',
    "null",
    "nul",
    'Member(obj, "b.d")',
    'Member(obj, "b.d") == null',
    'Member(obj, "b.d.e")',
    'Member(obj, "a.b") == "dotted"',
    'Member(obj, "arr[0]") == 1',
    'Member(obj, "arr.length") == 2',
    'Member(obj, "a.length") == 1',
    'Member(obj, "[\'a\']") == "x"',
    'Member(obj, "")',
    'Member(arr, "0") == 1',
    'Member(arr, "3")',
    "obj.arr.length == 2",
    'Variable("CF_BRANCH") == CF_BRANCH',
    'Variable("a.b")',
    'CF_BRANCH == "release-1.2" && CF_PULL_REQUEST_ACTION == "opened"',
    'match("release-1", "^RELEASE-", true)',
    'match("release-1", "^RELEASE-", false)',
    'match("a\\nb", "a$", false)',
    'match("ab\\n", "b$", false)',
    'match("a\\nb", "a.b", false)',
    'match("a\\u2028b", "a.b", false)',
    'match("٣", "\\\\d", false)',
    'match("é", "\\\\w", false)',
    'match("é", "É", true)',
    'match("x", "[]", false)',
    'match("x", "[^]", false)',
    'match("b", "(a)|\\\\1b", false)',
    'match("aa", "(a)\\\\1", false)',
    'match("a{,2}", "a{,2}", false)',
    'match("\\u0007", "\\\\a", false)',
    'match("\\\\c", "\\\\c", false)',
    'match("x", "(?i)x", false)',
    'match("aaa", "a*+", false)',
    'match("ab", "(?<n>a)\\\\k<n>", false)',
    'match("k", "\\\\k", false)',
    'match("aa", "(?<n>a)\\\\k<n>", false)',
    'match("😀", "^.$", false)',
    'match("😀", "^..$", false)',
    'match("foo bar", "\\\\bbar", false)',
    "1 + 1 == 2 ; ",
    "'a' == \"a\"",
    "'\\'' == \"'\"",
    '"a\\',
    '"abc',
    "'''x'' == ''x'''",
    '"x" == "x"\u0000',
    "\u0000",
    "\u0001 == 1",
    "1 \u000b== 1",
    "\u000b1 == 1\u000b",
    "\u00a01 == 1",
    "1 ==\u00a01",
    "é == 1",
    "\u00a0",
    "$ == 1",
    "_ == 1",
    "a-b",
    "1 =",
    "1 = 1",
    "a ?",
    "a ? b",
    "[1,",
    "[,1]",
    "f(1)(2)",
    "constructor(1)",
    "toString(1)",
    'hasOwnProperty("a")',
    "__proto__",
    "constructor",
    'Variable("constructor")',
    'Variable("toString")',
    'Member(obj, "constructor")',
    "obj.constructor",
    "obj.hasOwnProperty",
    "CF_BRANCH.length == 11",
]


def build(count: int, seed: int = 20240607) -> list[tuple[str, dict[str, object]]]:
    """`count` expressions (plus the fixed specials), each with its variables."""
    g = Gen(seed)
    out: list[tuple[str, dict[str, object]]] = [(s, JSON_VARS) for s in SPECIALS]
    while len(out) < count + len(SPECIALS):
        variables = JSON_VARS if g.chance(0.7) else ENV_VARS
        r = g.r.random()
        if r < 0.5:
            expr = g.any_expr()
        elif r < 0.65:
            expr = g.wrong()
        elif r < 0.85:
            base = g.string(3) if g.chance(0.5) else g.number(3)
            expr = g.pinned(base, variables) or base
        else:
            expr = g.mutate(g.any_expr())
        out.append((expr, variables))
    return out
