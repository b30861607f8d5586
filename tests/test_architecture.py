"""The package's shape (docs/architecture.md): imports go one way, and an import inside a
function is there to keep a start-up path light and says so. Read from the source with
`ast`, every import counted, those inside functions and `TYPE_CHECKING` blocks included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "cfstep"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imported(node: ast.Import | ast.ImportFrom, importer: str) -> set[str]:
    """The cfstep modules an import statement loads (a package's own submodules by name)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in MODULES}
    base = node.module or ""
    if node.level:  # a relative import: resolve against the importer's package
        package = importer.split(".")
        if MODULES[importer].name != "__init__.py":
            package = package[:-1]
        base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
    found = {f"{base}.{alias.name}" for alias in node.names} & MODULES.keys()
    if len(found) < len(node.names) and base in MODULES:
        found.add(base)  # some names are attributes of `base` itself
    return found


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                edges |= _imported(node, name)
        graph[name] = edges - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the list of modules around it, or None."""
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        for target in sorted(graph[module]):
            cycle = visit(target, [*path, module])
            if cycle is not None:
                return cycle
        done.add(module)
        return None

    for module in sorted(graph):
        cycle = visit(module, [])
        if cycle is not None:
            return cycle
    return None


def test_cfstep_imports_have_no_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, " → ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle_hidden_in_a_function() -> None:
    """The check itself can fail: a function-level import back to an importer is a cycle."""
    source = "def late():\n    from cfstep.inputs import config\n"
    node = next(n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ImportFrom))
    graph = import_graph()
    graph["cfstep.inputs.values"] |= _imported(node, "cfstep.inputs.values")
    assert find_cycle(graph) is not None


def test_the_model_imports_nothing_of_cfstep() -> None:
    assert import_graph()["cfstep.model"] == set()


@pytest.mark.parametrize("module", sorted(MODULES))
def test_an_import_inside_a_function_says_why(module: str) -> None:
    """A comment on the import's line or the line above gives the start-up path it spares."""
    source = MODULES[module].read_text(encoding="utf-8")
    lines = source.splitlines()
    silent = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import | ast.ImportFrom):
                here, above = lines[node.lineno - 1], lines[node.lineno - 2]
                if "#" not in here and not above.strip().startswith("#"):
                    silent.append(f"{module}:{node.lineno}: {here.strip()}")
    assert silent == []
