"""The package's shape (docs/architecture.md), read from the source with `ast`.

- **Layers**: `cli → {specs, run} → {inputs, logs, changes} → {conditions, codefresh} →` the
  shared modules. A run-time import goes down, never up nor sideways to another package of
  its layer; an import inside a function counts, one under `TYPE_CHECKING` does not (it is
  never run). The emulator stands outside the product: nothing of the product imports it.
- **No cycle**, between packages (run-time imports) or between modules (every import).
- **Imports**: one inside a function says which start-up path it spares; one used only in
  annotations sits under `TYPE_CHECKING`.
- **Names**: no two modules or classes one letter apart; no class of the product named
  after a class of `requests`; no issue number in any tracked file.
- **The doc**: docs/architecture.md names every module, and only modules that exist.

Every failure names the module and the rule.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import pkgutil
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "cfstep"

# Top to bottom: a module may import from the layers below its own. A unit is a package
# of cfstep (`run`) or a module at its top (`model`); `cfstep` is the package's own
# `__init__` (the version).
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"__main__"}),
    frozenset({"cli"}),
    frozenset({"specs", "run"}),
    frozenset({"inputs", "logs", "changes"}),
    frozenset({"conditions", "codefresh"}),
    frozenset(
        {
            "model",
            "errors",
            "console",
            "masking",
            "timing",
            "outputs",
            "documents",
            "cancel",
            "cfstep",
        }
    ),
)
SHARED = LAYERS[-1]  # modules, not packages: they may import one another (without a cycle)
OUTSIDE = frozenset({"emulator"})  # the fake Codefresh: it may use the product, never used by it


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
PRODUCT = sorted(m for m in MODULES if m.split(".")[1:2] != ["emulator"])


def unit(module: str) -> str:
    """`cfstep.run.policy` → `run`; `cfstep.model` → `model`; `cfstep` → `cfstep`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def layer(module: str) -> int | None:
    """The index of the module's layer in LAYERS (0 is the top); None outside them."""
    return next((i for i, units in enumerate(LAYERS) if unit(module) in units), None)


# -- reading the imports ---------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    importer: str
    target: str
    line: int
    runtime: bool  # False: under `if TYPE_CHECKING:`, never run


def _is_type_checking(test: ast.expr) -> bool:
    """`if TYPE_CHECKING:` or `if typing.TYPE_CHECKING:` (the name may be cfstep's own
    `TYPE_CHECKING = False`, which spares a run importing typing)."""
    name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
    return name == "TYPE_CHECKING"


def type_checking_nodes(tree: ast.Module) -> set[int]:
    """The ids of every node under an `if TYPE_CHECKING:` block."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for statement in node.body:
                found.update(id(inner) for inner in ast.walk(statement))
    return found


def _targets(node: ast.Import | ast.ImportFrom, importer: str) -> set[str]:
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


def imports_of(module: str, source: str | None = None) -> list[Import]:
    """Every import of cfstep's modules in `module`'s source (or in `source`, read as if
    it were that module's), wherever it stands."""
    tree = ast.parse(source if source is not None else MODULES[module].read_text("utf-8"))
    typing_only = type_checking_nodes(tree)
    return [
        Import(module, target, node.lineno, id(node) not in typing_only)
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for target in sorted(_targets(node, module))
        if target != module
    ]


ALL_IMPORTS = [found for module in MODULES for found in imports_of(module)]


# -- the checks (each returns one line per finding: the module, then the rule) ---------------


def layer_violations(imports: list[Import]) -> list[str]:
    found = []
    for edge in imports:
        mine, theirs = unit(edge.importer), unit(edge.target)
        if not edge.runtime or mine == theirs:
            continue
        where = f"{edge.importer} (line {edge.line}) imports {edge.target}"
        if theirs in OUTSIDE and mine not in OUTSIDE:
            found.append(f"{where}: the product never imports the emulator")
            continue
        high, low = layer(edge.importer), layer(edge.target)
        if mine in OUTSIDE or high is None or low is None:
            continue
        if low < high:
            found.append(f"{where}: an upward import ({theirs} is in a layer above {mine})")
        elif low == high and mine not in SHARED:
            found.append(f"{where}: a sideways import ({mine} and {theirs} share a layer)")
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph, as the list of nodes around it, or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        for target in sorted(graph.get(node, ())):
            cycle = visit(target, [*path, node])
            if cycle is not None:
                return cycle
        done.add(node)
        return None

    for node in sorted(graph):
        cycle = visit(node, [])
        if cycle is not None:
            return cycle
    return None


def package_graph(imports: list[Import]) -> dict[str, set[str]]:
    """Unit to units, from run-time imports only."""
    graph: dict[str, set[str]] = {}
    for edge in imports:
        if edge.runtime and unit(edge.importer) != unit(edge.target):
            graph.setdefault(unit(edge.importer), set()).add(unit(edge.target))
    return graph


def module_graph(imports: list[Import]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {module: set() for module in MODULES}
    for edge in imports:
        graph[edge.importer].add(edge.target)
    return graph


# -- layers and cycles -----------------------------------------------------------------------


def test_every_unit_is_in_a_layer() -> None:
    lost = sorted({unit(m) for m in MODULES} - set().union(*LAYERS) - OUTSIDE)
    assert lost == [], f"in no layer: {lost} — add each to LAYERS here and to docs/architecture.md"


def test_imports_go_down_the_layers() -> None:
    found = layer_violations(ALL_IMPORTS)
    assert found == [], "\n".join(["imports against the layers:", *found])


def test_a_planted_upward_import_is_reported() -> None:
    """The check can fail: `model` importing the composition root, inside a function."""
    planted = imports_of("cfstep.model", "def late():\n    from cfstep.run import compose\n")
    assert layer_violations(ALL_IMPORTS + planted) == [
        "cfstep.model (line 2) imports cfstep.run.compose: an upward import "
        "(run is in a layer above model)"
    ]


def test_a_planted_sideways_import_is_reported() -> None:
    planted = imports_of("cfstep.logs.tail", "from cfstep.inputs import values\n")
    assert layer_violations(planted) == [
        "cfstep.logs.tail (line 1) imports cfstep.inputs.values: a sideways import "
        "(logs and inputs share a layer)"
    ]


def test_an_upward_import_only_for_annotations_is_not_reported() -> None:
    source = "TYPE_CHECKING = False\nif TYPE_CHECKING:\n    from cfstep.run.compose import run\n"
    planted = imports_of("cfstep.model", source)
    assert [i.runtime for i in planted] == [False]
    assert layer_violations(planted) == []


def test_the_product_never_imports_the_emulator() -> None:
    planted = imports_of("cfstep.cli", "def demo():\n    from cfstep.emulator import Emulator\n")
    assert layer_violations(planted) == [
        "cfstep.cli (line 2) imports cfstep.emulator: the product never imports the emulator"
    ]


def test_no_import_cycle_between_packages() -> None:
    cycle = find_cycle(package_graph(ALL_IMPORTS))
    assert cycle is None, "an import cycle between packages: " + " → ".join(cycle or [])


def test_a_planted_package_cycle_is_found() -> None:
    planted = imports_of("cfstep.codefresh.client", "def late():\n    import cfstep.logs.tail\n")
    cycle = find_cycle(package_graph(ALL_IMPORTS + planted))
    assert cycle is not None
    assert {"codefresh", "logs"} <= set(cycle)


def test_no_import_cycle_between_modules() -> None:
    """Every import counted, those inside functions and under TYPE_CHECKING too."""
    cycle = find_cycle(module_graph(ALL_IMPORTS))
    assert cycle is None, "an import cycle between modules: " + " → ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle_hidden_in_a_function() -> None:
    planted = imports_of(
        "cfstep.inputs.values", "def late():\n    from cfstep.inputs import config\n"
    )
    assert find_cycle(module_graph(ALL_IMPORTS + planted)) is not None


def test_the_model_imports_nothing_of_cfstep() -> None:
    assert [i.target for i in imports_of("cfstep.model")] == []


# -- imports: inside functions, and for annotations only ---------------------------------------


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
    assert silent == [], "an import inside a function must say which start-up path it spares"


def _annotations(tree: ast.Module) -> list[ast.expr]:
    """Every annotation: of arguments, returns and annotated assignments (class fields)."""
    found: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
            found += [a.annotation for a in every if a is not None and a.annotation is not None]
            found += [node.returns] if node.returns is not None else []
        elif isinstance(node, ast.AnnAssign):
            found.append(node.annotation)
    return found


def _names_in(annotation: ast.expr) -> list[ast.Name]:
    """The names an annotation uses, those of a quoted annotation included."""
    names = [n for n in ast.walk(annotation) if isinstance(n, ast.Name)]
    for text in ast.walk(annotation):
        if isinstance(text, ast.Constant) and isinstance(text.value, str):
            try:
                quoted = ast.parse(text.value, mode="eval")
            except SyntaxError:
                continue
            names += [n for n in ast.walk(quoted) if isinstance(n, ast.Name)]
    return names


def annotation_only_imports(source: str) -> list[str]:
    """The names a module imports at run time (at its top) and uses only in annotations."""
    tree = ast.parse(source)
    typing_only = type_checking_nodes(tree)
    imported: dict[str, int] = {}
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in typing_only:
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                continue
            for alias in node.names:
                imported[(alias.asname or alias.name).split(".")[0]] = node.lineno
    in_annotations = {id(n) for a in _annotations(tree) for n in _names_in(a)}
    exported = {
        elt.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(getattr(t, "id", "") == "__all__" for t in node.targets)
        for elt in ast.walk(node.value)
        if isinstance(elt, ast.Constant)
    }
    used_at_run_time = exported | {
        n.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Name) and id(n) not in in_annotations and id(n) not in typing_only
    }
    annotated = {n.id for a in _annotations(tree) for n in _names_in(a)}
    return [
        f"line {line}: {name}"
        for name, line in sorted(imported.items(), key=lambda item: item[1])
        if name in annotated and name not in used_at_run_time
    ]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_used_only_in_annotations_sit_under_type_checking(module: str) -> None:
    source = MODULES[module].read_text(encoding="utf-8")
    found = annotation_only_imports(source)
    assert found == [], (
        f"{module}: imported at run time, used only in annotations — move under "
        f"`if TYPE_CHECKING:` {found}"
    )
    assert "from __future__ import annotations" in source or not _annotates_with_imports(source), (
        f"{module}: its annotations use imported names: add `from __future__ import "
        "annotations`, so that they are never evaluated"
    )


def _annotates_with_imports(source: str) -> bool:
    tree = ast.parse(source)
    imported = {
        (alias.asname or alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    return any(n.id in imported for a in _annotations(tree) for n in _names_in(a))


def test_the_annotation_check_tells_annotations_from_uses() -> None:
    source = (
        "from __future__ import annotations\n"
        "from collections.abc import Callable, Mapping, Sequence\n"
        "from cfstep import model\n"
        "from cfstep.console import Console\n"
        "TYPE_CHECKING = False\n"
        "if TYPE_CHECKING:\n"
        "    from cfstep.model import Config\n"
        "Clock = Callable[[], float]\n"
        "def f(a: Mapping[str, str], b: 'Sequence[int]', c: Config, d: model.Outcome) -> None:\n"
        "    isinstance(a, Console)\n"
    )
    assert annotation_only_imports(source) == [
        "line 2: Mapping",
        "line 2: Sequence",
        "line 3: model",
    ]


# -- names -----------------------------------------------------------------------------------


def one_letter_apart(a: str, b: str) -> bool:
    """One letter added, removed or changed (case and leading `_` aside). A scheme's S is
    no such letter: `_HTTPPool`/`_HTTPSPool` mirror urllib3's own pairs."""
    a, b = a.lstrip("_").lower(), b.lstrip("_").lower()
    if (
        a == b
        or abs(len(a) - len(b)) > 1
        or a.replace("https", "http") == b.replace("https", "http")
    ):
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _classes() -> dict[str, list[str]]:
    """Class name → the modules that define one of that name."""
    found: dict[str, list[str]] = {}
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                found.setdefault(node.name, []).append(module)
    return found


def _close_pairs(names: list[str]) -> list[tuple[str, str]]:
    return [
        (a, b) for a, b in itertools.combinations(sorted(set(names)), 2) if one_letter_apart(a, b)
    ]


def test_the_name_rule_itself() -> None:
    assert one_letter_apart("schedule", "scheduler")
    assert one_letter_apart("LiveLogs", "LiveLog")
    assert one_letter_apart("Applied", "Applier")
    assert not one_letter_apart("_Handler", "Handler")
    assert not one_letter_apart("_HTTPConnection", "_HTTPSConnection")
    assert not one_letter_apart("tail", "tree")


def test_no_two_modules_one_letter_apart() -> None:
    names = [path.stem for path in MODULES.values()] + [
        p.name for p in PACKAGE.iterdir() if p.is_dir()
    ]
    close = _close_pairs([n for n in names if n not in {"__init__", "__pycache__"}])
    assert close == [], (
        f"modules one letter apart (rename one, say why in docs/architecture.md): {close}"
    )


def test_no_two_classes_one_letter_apart() -> None:
    classes = _classes()
    close = _close_pairs(list(classes))
    assert close == [], "classes one letter apart (rename one): " + ", ".join(
        f"{a} ({', '.join(classes[a])}) and {b} ({', '.join(classes[b])})" for a, b in close
    )


def requests_classes() -> set[str]:
    import requests

    found = set()
    for info in pkgutil.iter_modules(requests.__path__):
        module = importlib.import_module(f"requests.{info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__.startswith("requests") and not name.startswith("_"):
                found.add(name)
    return found


def test_no_class_of_the_product_is_named_after_a_requests_class() -> None:
    """The emulator answers HTTP with the standard library and wraps nothing of requests:
    its own Request and Response stay."""
    taken = requests_classes()
    assert {"Session", "Response", "Request", "HTTPAdapter"} <= taken
    clashes = [
        f"{module}.{name}"
        for name, modules in _classes().items()
        for module in modules
        if name in taken and module in PRODUCT
    ]
    assert clashes == [], f"named after a requests class (name what it is instead): {clashes}"


# -- no issue numbers -------------------------------------------------------------------------

ISSUE_REFERENCE = re.compile(
    r"\bissues?\s*#?\d+|\b(?:PR|pull request)\s*#\d+|\u00a7\s*\d", re.IGNORECASE
)


def tracked_files() -> list[Path]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):  # not a clone: every file but dot-folders'
        return [
            p
            for p in ROOT.rglob("*")
            if p.is_file()
            and not any(part.startswith((".", "__pycache__")) for part in p.relative_to(ROOT).parts)
        ]
    return [ROOT / name for name in listed.decode().split("\0") if name]


def issue_references(text: str) -> list[str]:
    return [m.group(0) for m in ISSUE_REFERENCE.finditer(text)]


def test_the_issue_pattern() -> None:
    number = 18  # not written next to the word: this file is scanned too
    text = f"fixed as issue {number} asked; see SPEC \u00a75 and PR #{number}"
    assert issue_references(text) == [f"issue {number}", "\u00a75", f"PR #{number}"]
    assert issue_references("#5 [2/4] RUN npm ci; codefresh-io/cli/issues/512 is upstream's") == []


def test_no_issue_numbers_in_tracked_files() -> None:
    """Comments and docs cite the README or docs/, never an issue or a SPEC section."""
    found = []
    for path in tracked_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        found += [f"{path.relative_to(ROOT)}: {ref!r}" for ref in issue_references(text)]
    assert found == [], f"issue numbers (cite the README or docs/ instead): {found}"


# -- docs/architecture.md ----------------------------------------------------------------------

DOC = ROOT / "docs" / "architecture.md"
# A module is named by its path under cfstep/ in backticks (`run/compose.py`), a package
# by its folder (`logs/`); paths of the repository's other folders are not modules.
_NAMED = re.compile(r"`([A-Za-z_][\w/]*?(?:\.py|/))`")
_NOT_MODULES = ("tests/", "bench/", "scripts/", "docs/", "requirements/")


def named_in(text: str) -> set[str]:
    return {name for name in _NAMED.findall(text) if not name.startswith(_NOT_MODULES)}


def module_paths() -> set[str]:
    """Every module as the doc names it: its path under cfstep/, a package by its folder."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        found.add(f"{relative.parent}/" if path.name == "__init__.py" else str(relative))
    return (found - {"./"}) | {"cfstep/"}


def test_the_doc_names_only_modules_that_exist() -> None:
    gone = sorted(named_in(DOC.read_text(encoding="utf-8")) - module_paths())
    assert gone == [], f"docs/architecture.md names modules that do not exist: {gone}"


def test_the_doc_names_every_module() -> None:
    missing = sorted(module_paths() - named_in(DOC.read_text(encoding="utf-8")))
    assert missing == [], (
        f"docs/architecture.md does not name {missing}: add a line for each to its tree"
    )


def test_the_doc_check_reads_names_as_the_doc_writes_them() -> None:
    text = "`run/compose.py` builds; `logs/` reads; `tests/test_readme.py` checks; `x == 1`"
    assert named_in(text) == {"run/compose.py", "logs/"}
