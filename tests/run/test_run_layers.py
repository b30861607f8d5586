"""Deciding apart from telling, read from the source: the policy imports nothing that
prints or sends, the report and the summary nothing that sends, and only the composition
root builds the parts (docs/architecture.md). Run-time imports only: those under
`TYPE_CHECKING` are annotations."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

RUN = Path(__file__).parents[2] / "cfstep" / "run"


def _runtime_imports(module: str) -> set[str]:
    tree = ast.parse((RUN / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and getattr(child.test, "id", None) == "TYPE_CHECKING":
                continue
            if isinstance(child, ast.ImportFrom) and child.module:
                found.update(f"{child.module}.{alias.name}" for alias in child.names)
            elif isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            visit(child)

    visit(tree)
    return found


SENDS = ("cfstep.codefresh", "cfstep.logs", "requests")


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("policy", (*SENDS, "cfstep.console", "cfstep.outputs", "cfstep.run.report")),
        ("report", SENDS),
        ("summary", SENDS),
        ("state", (*SENDS, "cfstep.console")),
        ("returned", (*SENDS, "cfstep.console")),
    ],
)
def test_what_decides_or_tells_imports_nothing_that_sends(
    module: str, forbidden: tuple[str, ...]
) -> None:
    imported = _runtime_imports(module)
    assert sorted(name for name in imported if name.startswith(forbidden)) == []


@pytest.mark.parametrize(
    "part", ["Policy(", "Report(", "Summary(", "Follower(", "Collector(", "Scheduler("]
)
def test_only_the_composition_root_builds_the_parts(part: str) -> None:
    builders = sorted(
        path.stem
        for path in RUN.glob("*.py")
        if part in path.read_text(encoding="utf-8").replace(f"class {part[:-1]}:", "")
    )
    assert builders == ["compose"]


def test_the_check_sees_an_import_that_sends() -> None:
    """The check itself can fail: the collector does import the log tail."""
    assert "cfstep.logs.tail" in _runtime_imports("collect")
