"""The tests mirror the code (README, "For developers"):

- `tests/<package>/` holds the unit tests of `cfstep/<package>/`: each file imports the
  module it tests (and is named after it where it can be: `test_<module>[_<aspect>].py`);
  `tests/test_*.py` at the top: the top-level modules' unit tests and the project checks;
- `tests/features/<feature>/`: end-to-end tests through the entrypoint, by feature;
  `tests/container/`: the image;
- every module with logic has a unit test file named after it, or says in END_TO_END_ONLY
  why the end-to-end tests are its only ones;
- no test folder is a package, so every file name is unique across `tests/`;
- one family of fixtures, defined once in `tests/conftest.py`, one name for the fake clock;
- no test guesses a free port: a server binds port 0 and reports the port it got.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
PACKAGE = TESTS.parent / "cfstep"
PACKAGES = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
SHARED = sorted(p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("__"))
ROOMS = {*PACKAGES, "features", "container"}
PROJECT_CHECKS = {
    "test_architecture.py",
    "test_base_image_script.py",
    "test_import_cost.py",
    "test_layout.py",
    "test_messages_say_what_to_do.py",
    "test_readme.py",
    "test_transcript.py",
    "test_requirements.py",
    "test_version.py",
}
# Tested through their public surface as a whole, by aspect: the condition language (its
# private modules) and the emulator (over HTTP).
WHOLE = {"conditions", "emulator"}

# Modules whose only tests are end to end, and why. A module that gains a unit test file
# must leave the list (a test says which).
END_TO_END_ONLY = {
    "cfstep": "the version: tests/test_version.py",
    "cfstep.cli": "the entrypoint every test of tests/features/ runs",
    "cfstep.model": "shapes and tables; the exit codes and outcomes: tests/test_readme.py",
    "cfstep.errors": "the exception root; each exit code: tests/features/",
    "cfstep.outputs": "the export file and JSON: tests/features/outputs/",
    "cfstep.inputs.config": "every input: tests/features/bad_inputs/, tests/features/trigger/",
    "cfstep.inputs.flags": "the command line: tests/features/trigger/, bad_inputs/",
    "cfstep.inputs.given": "one input's value: tests/inputs/test_options.py, features/trigger/",
    "cfstep.changes.base": "tests/features/monorepo/ (every base, on real git repositories)",
    "cfstep.changes.decide": "tests/features/monorepo/ (each decision, its line and exports)",
    "cfstep.changes.history": "tests/codefresh/test_build_history_reads.py, features/monorepo/",
    "cfstep.codefresh.connections": "requests' plumbing: tests/codefresh/test_transport.py",
    "cfstep.logs.live": "tests/features/live_logs/",
    "cfstep.logs.location": "tests/features/live_logs/, follow/ (log tail)",
    "cfstep.logs.tail": "tests/features/follow/ (test_outcomes.py)",
    "cfstep.run.gate": "tests/features/conditions/",
}


def _python_files() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts)


def _test_files() -> list[Path]:
    return [p for p in _python_files() if p.name.startswith("test_")]


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _has_logic(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(isinstance(n, ast.FunctionDef | ast.ClassDef) for n in tree.body)


def _mirror(module: str) -> tuple[Path, str]:
    """Where a module's unit tests live, and the name their files start with."""
    parts = module.split(".")[1:]
    if not parts:
        return TESTS, "test_cfstep"
    if len(parts) == 1 and parts[0] in SHARED:
        return TESTS, f"test_{parts[0]}"
    return TESTS / parts[0], f"test_{parts[-1]}"


def _wanted() -> list[str]:
    """The modules that must have a unit test file (or a reason not to)."""
    return [
        module
        for module, path in _modules().items()
        if module.split(".")[1:2] == [] or module.split(".")[1] not in WHOLE
        if path.stem != "__main__" and _has_logic(path)
    ]


def imported_modules(source: str) -> set[str]:
    """The cfstep modules a test file imports itself (`from cfstep.inputs import values`
    is `cfstep.inputs.values`; `from cfstep.inputs.values import X` too)."""
    modules = _modules()
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.module in modules and not node.level:
            inside = {f"{node.module}.{alias.name}" for alias in node.names} & modules.keys()
            found |= inside or {node.module}
    return found


def _named_after(path: Path, names: set[str]) -> bool:
    stem = path.stem.removeprefix("test_")
    return any(stem == n or stem.startswith(f"{n}_") for n in names)


def _unit_tested(module: str) -> bool:
    """Its folder of tests has a file named after it: `test_<module>[_<aspect>].py`."""
    folder, prefix = _mirror(module)
    return any(
        _named_after(path, {prefix.removeprefix("test_")}) for path in folder.glob("test_*.py")
    )


def test_every_folder_is_a_package_a_feature_or_the_container() -> None:
    strays = [
        p.name
        for p in TESTS.iterdir()
        if p.is_dir() and p.name != "__pycache__" and p.name not in ROOMS
    ]
    assert strays == [], (
        f"tests/{strays}: name a folder after the cfstep package it tests, or put end-to-end "
        "tests in tests/features/<feature>/"
    )


def test_features_hold_only_end_to_end_tests() -> None:
    loose = [p.name for p in (TESTS / "features").glob("*.py") if p.name != "conftest.py"]
    assert loose == [], f"tests/features/{loose}: put them in a feature's folder"


def test_no_test_folder_is_a_package() -> None:
    packages = [str(p.relative_to(TESTS)) for p in TESTS.rglob("__init__.py")]
    assert packages == [], f"{packages}: no __init__.py in tests/; file names are unique instead"


def test_every_file_name_is_unique() -> None:
    """pytest imports each test folder's files by their name alone."""
    seen: dict[str, list[str]] = {}
    for path in _python_files():
        if path.name != "conftest.py":
            seen.setdefault(path.name, []).append(str(path.relative_to(TESTS)))
    twice = {name: paths for name, paths in seen.items() if len(paths) > 1}
    assert twice == {}, f"the same file name twice: {twice}"


@pytest.mark.parametrize(
    "path",
    [p for p in _test_files() if p.parent.parent == TESTS and p.parent.name in PACKAGES],
    ids=lambda p: p.name,
)
def test_a_unit_test_file_tests_a_module_of_its_package(path: Path) -> None:
    """It imports the package or one of its modules, or is named after one
    (`test_<module>[_<aspect>].py`, as `tests/emulator/test_emulator_cli.py` runs the command)."""
    package = path.parent.name
    names = {package} | {p.stem.lstrip("_") for p in (PACKAGE / package).glob("*.py")}
    imported = imported_modules(path.read_text(encoding="utf-8"))
    mine = {m for m in imported if m == f"cfstep.{package}" or m.startswith(f"cfstep.{package}.")}
    assert mine or _named_after(path, names), (
        f"tests/{package}/{path.name} tests nothing of cfstep/{package}/ (it imports "
        f"{sorted(imported)}): a unit test file imports the module it tests; an end-to-end "
        "test goes to tests/features/<feature>/"
    )


@pytest.mark.parametrize("path", sorted(TESTS.glob("test_*.py")), ids=lambda p: p.name)
def test_a_top_level_test_file_is_a_top_level_modules_or_a_project_check(path: Path) -> None:
    imported = imported_modules(path.read_text(encoding="utf-8"))
    top = {m for m in imported if m.count(".") == 1 and m.split(".")[1] in SHARED}
    assert top or _named_after(path, set(SHARED)) or path.name in PROJECT_CHECKS, (
        f"tests/{path.name}: at the top only the tests of cfstep's top-level modules "
        f"({SHARED}) and the project-level checks (PROJECT_CHECKS); it imports "
        f"{sorted(imported)}: move it to tests/<package>/ or tests/features/<feature>/"
    )


@pytest.mark.parametrize("module", sorted(set(_wanted()) - set(END_TO_END_ONLY)))
def test_a_module_with_logic_has_a_unit_test_file(module: str) -> None:
    folder, prefix = _mirror(module)
    assert _unit_tested(module), (
        f"{module}: no unit test file {folder.relative_to(TESTS.parent)}/{prefix}[_<aspect>].py"
        " — write one, or say in END_TO_END_ONLY (tests/test_layout.py) why it has none"
    )


def test_end_to_end_only_names_only_modules_without_unit_tests() -> None:
    wanted = set(_wanted())
    stale = [m for m in END_TO_END_ONLY if m not in wanted or _unit_tested(m)]
    assert stale == [], f"{stale}: unit tested now (or gone): drop them from END_TO_END_ONLY"


# -- one family of fixtures -------------------------------------------------------------------

SUITE_FIXTURES = {"fake_clock", "emulator", "emu", "real_emu", "foreign", "run", "figures"}
NOT_FIXTURE_NAMES = {"clock": "fake_clock"}  # the one name of the fake clock
# Files with a fixture of their own under a suite fixture's name, and why.
OWN_FIXTURES = {
    "container/test_image.py": "`emulator`: one emulator on real time for the module's podman runs",
    "container/test_image_monorepo.py": "`emulator`: the same, for the monorepo's podman runs",
}


def fixtures_defined(source: str) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if ast.unparse(target) in {"pytest.fixture", "fixture"}:
                    names.append(node.name)
    return names


@pytest.mark.parametrize(
    "path",
    [
        p
        for p in _python_files()
        if p != TESTS / "conftest.py" and str(p.relative_to(TESTS)) not in OWN_FIXTURES
    ],
    ids=lambda p: str(p.relative_to(TESTS)),
)
def test_the_suites_fixtures_are_defined_once(path: Path) -> None:
    defined = fixtures_defined(path.read_text(encoding="utf-8"))
    again = sorted(SUITE_FIXTURES.intersection(defined))
    assert again == [], (
        f"tests/{path.relative_to(TESTS)} defines {again} again: use tests/conftest.py's"
    )
    renamed = {name: NOT_FIXTURE_NAMES[name] for name in defined if name in NOT_FIXTURE_NAMES}
    assert renamed == {}, f"tests/{path.relative_to(TESTS)}: name the fixture {renamed}"


def test_the_suites_fixtures_are_in_the_root_conftest() -> None:
    assert set(fixtures_defined((TESTS / "conftest.py").read_text("utf-8"))) >= SUITE_FIXTURES


# -- no free-port guessing ---------------------------------------------------------------------


def port_guesses(source: str) -> list[int]:
    """Lines where a port is guessed: a socket bound to port 0 only to read the number it
    got and let it go (in a `with` block that closes it), or a `free_port` helper."""
    found = []
    for node in ast.walk(ast.parse(source)):
        name = getattr(node, "id", None) or getattr(node, "name", None)
        if isinstance(node, ast.Name | ast.FunctionDef) and name == "free_port":
            found.append(node.lineno)
        if isinstance(node, ast.With):
            text = ast.unparse(node)
            if ".bind(" in text and "getsockname()" in text and "socket.socket(" in text:
                found.append(node.lineno)
    return sorted(set(found))


def test_the_port_check_finds_a_guess() -> None:
    guess = (
        "def port():\n"
        "    with socket.socket() as sock:\n"
        "        sock.bind(('127.0.0.1', 0))\n"
        "        return sock.getsockname()[1]\n"
    )
    assert port_guesses(guess) == [2]
    assert port_guesses("emu = Emulator(port=free_port())\n") == [1]


@pytest.mark.parametrize("path", _python_files(), ids=lambda p: str(p.relative_to(TESTS)))
def test_no_test_guesses_a_free_port(path: Path) -> None:
    lines = port_guesses(path.read_text(encoding="utf-8"))
    assert lines == [], (
        f"tests/{path.relative_to(TESTS)} lines {lines}: a port chosen and let go can be "
        "taken before it is bound (Address already in use) — bind port 0 and read the port "
        "the server got; for 'connection refused' use harness.closed_url() or "
        "Emulator.stop(keep_address=True)"
    )
