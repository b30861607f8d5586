"""What to change when a condition cannot be evaluated: each message of Codefresh's
evaluator (tevale's own words, which `evaluate` raises unchanged so that they can be
searched for) followed by the fix, for the closing line's "what happened — what to do"
(README, "Exit codes").

One message of tevale's contradicts itself ("cannot be used with string,number. It can
only be used with the types: number,string,…": both types are listed, but the two sides
must be *one* of them): its second sentence is replaced by what the rule is.
"""

from __future__ import annotations

import re

_TYPES = re.compile(
    r"The operator (?P<op>\S+) cannot be used with (?P<got>[a-zA-Z]+(?:,[a-zA-Z]+)?)\. "
    r"It can only be used with the types: .*"
)
_RULES = {
    "==": "both sides must be of one type: two numbers, two strings or two booleans (null "
    "and a string may be compared)",
    "!=": "both sides must be of one type: two numbers, two strings or two booleans (null "
    "and a string may be compared)",
    "<": "both sides must be two numbers or two strings",
    ">": "both sides must be two numbers or two strings",
    "<=": "both sides must be two numbers or two strings",
    ">=": "both sides must be two numbers or two strings",
    "+": "both sides must be two numbers (added) or two strings (joined)",
    "-": "both sides must be numbers",
    "*": "both sides must be numbers",
    "/": "both sides must be numbers",
    "%": "both sides must be numbers",
    "&&": "both sides must be booleans",
    "||": "both sides must be booleans",
}
_UNARY_RULES = {
    "+": "it takes a number",
    "-": "it takes a number",
    "!": "it takes a number or a boolean",
}
_SIGNATURES = {
    "String": "String(number or text)",
    "Number": "Number(number or text)",
    "Boolean": "Boolean(number or text)",
    "round": "round(number)",
    "floor": "floor(number)",
    "upper": "upper(text)",
    "lower": "lower(text)",
    "trim": "trim(text)",
    "trimLeft": "trimLeft(text)",
    "trimRight": "trimRight(text)",
    "replace": "replace(text, find, replacement)",
    "substring": "substring(text, start, end)",
    "length": "length(text)",
    "includes": "includes(text, part)",
    "indexOf": "indexOf(text, part)",
    "match": "match(text, regex, ignoreCase true or false)",
    "Variable": "Variable(name as text)",
    "Member": "Member(variable, key as text)",
}
_FUNCTION = re.compile(r"for function '(?P<name>\w+)'")
_UNSUPPORTED = (
    "Trinary operator",
    "Array literals",
    "keyword 'this'",
    "Cannot handle compound",
)
_LIMITS = ("expression limit:", "string limit:", "nesting limit:", "regex limit:")


def explained(message: str) -> str:
    """The evaluator's message, with tevale's self-contradicting type rule made plain."""
    found = _TYPES.fullmatch(message)
    if found is None:
        return message
    op, got = found["op"], found["got"]
    rule = _UNARY_RULES.get(op, "") if "," not in got else _RULES.get(op, "")
    head = message.partition(". It can only")[0]
    return f"{head}: {rule}" if rule else message


def what_to_do(message: str) -> str:
    """The fix for a condition the evaluator refused with `message`."""
    found = _TYPES.fullmatch(message)
    if found is not None:
        return _types_fix(found["op"], set(found["got"].split(",")))
    if message.startswith("Invalid identifier: "):
        word = message.partition(": ")[2]
        return (
            f"a bare word names a variable of the step's environment, and {word} is none: "
            f"quote text ('...'), or write \"${{{{NAME}}}}\" in quotes for a variable that may "
            "be unset"
        )
    if " at character " in message:
        return (
            "check the quotes, brackets and operators near that character (a ${{…}} value "
            "that holds a quote ends the string around it)"
        )
    function = _FUNCTION.search(message)
    if function is not None and function["name"] in _SIGNATURES:
        return f"call it as {_SIGNATURES[function['name']]}"
    for starts, fix in _FIXES:
        if message.startswith(starts):
            return fix
    return GENERIC_FIX


GENERIC_FIX = 'fix the expression (Codefresh\'s condition syntax: README, "Conditions")'
_FIXES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("Unknown function: ",), "use one of Codefresh's functions: " + ", ".join(_SIGNATURES)),
    (("Error converting value",), "Number() takes text that holds a number: check the value"),
    (("Division of", "Modulo of", "Numeric overflow"), "check the numbers it computes with"),
    (_LIMITS, "make the expression shorter or simpler"),
    (
        ("Invalid regular expression", "regex not supported"),
        "fix the regular expression (JavaScript's syntax)",
    ),
    (
        ("Cannot evaluate object variable",),
        "compare one of its members instead: Member(NAME, 'key')",
    ),
    (
        ("Invalid binary", "Invalid unary", "Invalid logical"),
        "use the operators Codefresh's conditions have: == != < <= > >= + - * / % && || ! "
        "(no === and no bitwise operators)",
    ),
    (
        ("Invalid function name type",),
        "call a function by its name: upper(text), match(text, regex, true)",
    ),
    (
        ("Undefined identifier member", "Invalid identifier member", "Cannot read properties"),
        "check the member's name and that the variable holds an object",
    ),
    (
        _UNSUPPORTED,
        "Codefresh's conditions do not support this: write one expression with && and ||",
    ),
)


def _types_fix(op: str, got: set[str]) -> str:
    if got == {"string", "number"}:
        return (
            'quote the number to compare text ("42"), or make the text a number: '
            'Number("${{NAME}}")'
        )
    if op in ("&&", "||"):
        return "make each side a comparison, e.g. a == 1 && b == 2"
    if "boolean" in got:
        return "compare booleans with true or false, and text with quoted text ('true')"
    if "null" in got or "object" in got:
        return "compare the variable's members or its text, not the variable itself"
    return "give both sides the same type; String(…) and Number(…) convert"
