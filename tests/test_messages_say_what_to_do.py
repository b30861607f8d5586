"""Every input error says what happened and what to do, in that order, on one line: each
message cfstep raises for a bad input holds ` — ` with the fix after it (README, "Exit
codes"). Checked on the source, so that a new message cannot forget its fix."""

from __future__ import annotations

import ast
from pathlib import Path

import cfstep

ERRORS = {"InputError", "ConditionError", "TooComplex"}
# Messages that are parts of another (the caller wraps them with the fix), or another's
# message with a hint added.
INNER = {
    ("inputs/config.py", "parse"),  # a near-miss hint after a message that has its fix
    ("conditions/__init__.py", "_check_length"),  # wrapped by decide's message
    ("conditions/__init__.py", "evaluate"),  # tevale's words, wrapped by decide's message
    ("documents.py", "_refuse"),  # its `problem` argument carries the fix
}


def _messages() -> list[tuple[str, str, int, ast.expr]]:
    """Each raise site's (file, innermost function, line, message expression)."""
    root = Path(cfstep.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        if "emulator" not in path.parts:
            where = path.relative_to(root).as_posix()
            found += _calls(where, ast.parse(path.read_text()), "")
    return found


def _calls(where: str, node: ast.AST, function: str) -> list[tuple[str, str, int, ast.expr]]:
    if isinstance(node, ast.FunctionDef):
        function = node.name
    found = []
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ERRORS
        and node.args
    ):
        found.append((where, function, node.lineno, node.args[0]))
    for child in ast.iter_child_nodes(node):
        found += _calls(where, child, function)
    return found


def _literal_text(message: ast.expr) -> str:
    return "".join(
        n.value
        for n in ast.walk(message)
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
    )


def test_every_input_error_says_what_to_do() -> None:
    messages = _messages()
    assert len(messages) > 60  # the check sees the raise sites
    missing = [
        f"{where}:{line} in {function}()"
        for where, function, line, message in messages
        if (where, function) not in INNER
        and _literal_text(message)
        and " — " not in _literal_text(message)
    ]
    assert missing == []
