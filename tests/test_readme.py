"""The README is part of the contract: its inputs table and exit codes match the program,
every shell command it shows runs (the container's in tests/container/), its YAML loads and
its cfstep steps validate, and its links and those of docs/ resolve."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from cfstep.emulator import Emulator
from cfstep.inputs import config
from cfstep.inputs.options import ENV_NAMES, OPTIONS
from cfstep.model import ExitCode, Outcome
from readmekit import README, ROOT, anchors, blocks, outside_code, run_block, sh_blocks

EmulatorFactory = Callable[..., Emulator]


def test_the_inputs_table_lists_every_input_with_its_flags_and_default() -> None:
    inputs = README[README.index("## Inputs") : README.index("## Outputs")]
    rows = {m[1]: m[0] for m in re.finditer(r"^\| `([A-Z_]+)` \|.*$", inputs, re.MULTILINE)}
    assert set(rows) >= set(ENV_NAMES)
    for option in OPTIONS:
        row = rows[option.env]
        for flag in option.flags:
            assert f"`{flag}`" in row, (option.env, flag)
        if option.default is not None:
            assert f"| {option.default} |" in row, option.env


def test_the_exit_code_table_has_every_code_the_program_uses() -> None:
    """Every ExitCode has a row (130 and 143 share one), and no row names another code."""
    table = README[README.index("## Exit codes") :]
    table = table[: table.index("\n## ")]
    rows = re.findall(r"^\| (\d+(?: / \d+)?) \|", table, re.MULTILINE)
    codes = {int(code) for row in rows for code in row.split(" / ")}
    assert codes == {int(code) for code in ExitCode}


def test_the_outputs_table_lists_every_build_status() -> None:
    row = re.search(r"^\| `BUILD_STATUS` \|(.*)$", README, re.MULTILINE)
    assert row is not None
    assert {str(outcome) for outcome in Outcome} <= set(re.findall(r"[a-z-]+", row[1]))


# -- every shell block is run by a test ---------------------------------------------------------

QUICK_START = "Quick start"
DEMO = (QUICK_START, "1. The demo: no account, no container")
CONTAINER = (QUICK_START, "2. The same run in a container")
LAPTOP = (QUICK_START, "3. From a laptop, against your account")
SPECS = ("Pipelines from a spec", "")
# Where each `sh` block of the README is run, by the headings it sits under, and how many
# blocks there are. A new block under another heading fails the accounting test below:
# run it in a test and name that test here.
RUN_BY = {
    ("", ""): (1, "the first lines: `make demo` as DEMO's; `make test` is this suite itself"),
    DEMO: (1, "test_the_demo_runs_and_prints_the_export_file"),
    CONTAINER: (2, "tests/container/test_readme_container.py (podman); the docker block: below"),
    LAPTOP: (1, "test_the_laptop_commands_install_cfstep_and_run_against_the_emulator"),
    SPECS: (1, "test_the_spec_commands_sync_a_folder_of_specs"),
}
BUILD_ID_LINE = re.compile(r"^BUILD_ID=[0-9a-f]{24}$", re.MULTILINE)


def test_every_sh_block_is_run_by_a_test() -> None:
    found: dict[tuple[str, str], int] = {}
    for block in blocks(README):
        assert block.lang in {"sh", "yaml", "text"}, f"a ```{block.lang} block: sh, yaml or text"
        if block.lang == "sh":
            key = (block.section, block.subsection)
            found[key] = found.get(key, 0) + 1
    assert found == {key: count for key, (count, _) in RUN_BY.items()}, (
        "an sh block the tests do not run: run it in a test and add it to RUN_BY"
    )


def test_the_first_lines_are_make_demo_and_make_test() -> None:
    first = blocks(README)[0]
    assert README.startswith("# cfstep")
    assert [line.split("#")[0].strip() for line in first.text.splitlines()] == [
        "make demo",
        "make test",
    ]
    assert sh_blocks(*DEMO) == ["make demo\n"]


def _stamp_is_fresh() -> bool:
    """`make demo` would not rebuild the venv this suite runs in."""
    done = subprocess.run(
        ["make", "-q", ".venv/.installed"], cwd=ROOT, capture_output=True, check=False
    )
    return done.returncode == 0


def test_the_demo_runs_and_prints_the_export_file() -> None:
    if not _stamp_is_fresh():
        message = (
            "the venv is older than pyproject.toml: make demo would rebuild it under the tests"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    (block,) = sh_blocks(*DEMO)
    env = {k: v for k, v in os.environ.items() if k not in {"CF_URL", "CF_API_KEY"}}
    ran = run_block(block, cwd=ROOT, env=env, given=set(), timeout=300)
    assert ran.code == 0, ran.stderr
    shown = ran.stdout + ran.stderr
    for line in (
        'condition all.validateTargetBranch: "production" == "production" → true',
        "condition all.validatePRAction: 'opened' == 'opened' → true",
        "Triggering demo/deploy (branch main)",
        "--- step: Deploy ---",
        "running → success",
        "returned IMAGE from",
        "exit code: 0",
        "BUILD_STATUS=success",
        "IMAGE=demo/app:1.2.3",
    ):
        assert line in shown, line
    assert BUILD_ID_LINE.search(shown), shown


def test_the_docker_block_is_the_podman_block_with_docker() -> None:
    """The podman block runs in tests/container/; Docker has no daemon on CI's machines, so
    its block is held to the podman one: the same lines, `docker` for `podman`, and
    `docker build` of this folder for podman's two lines that build offline."""
    podman, docker = sh_blocks(*CONTAINER)
    tag = re.search(r"^scripts/build-image (\S+)", podman, re.MULTILINE)
    assert tag is not None, "the podman block builds with scripts/build-image <tag>"
    expected = []
    for line in podman.splitlines():
        command = line.split("  #")[0].strip()
        if command.startswith('eval "$(scripts/podman-env)"'):
            continue
        if command.startswith("scripts/build-image"):
            command = f"docker build -t {tag[1]} ."
        expected.append(re.sub(r"^podman ", "docker ", command))
    assert [line.split("  #")[0].strip() for line in docker.splitlines()] == expected
    assert any(" --network host " in line for line in expected)


# -- the laptop and the specs, against the emulator --------------------------------------------

LAPTOP_SCENARIO = {
    "pipelines": {
        "my-project/deploy": {
            "timeline": [{"status": "running", "seconds": 1}],
            "final": "success",
            "logs": ["deploying 1.2.3"],
        }
    }
}


def _laptop_env(emu: Emulator, home: Path, path: str) -> dict[str, str]:
    """A shell on a laptop: CF_URL and CF_API_KEY point at the emulator; HOME is a fresh
    folder (pip's configuration and cache stay the user's)."""
    real_home = Path.home()
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env.update(
        HOME=str(home),
        PATH=path,
        CF_URL=emu.url,
        CF_API_KEY=emu.api_key,
        XDG_CONFIG_HOME=os.environ.get("XDG_CONFIG_HOME", str(real_home / ".config")),
        XDG_CACHE_HOME=os.environ.get("XDG_CACHE_HOME", str(real_home / ".cache")),
    )
    for name in ("CF_VOLUME_PATH", "EXPORT_FILE", "CF_BUILD_ID", "CF_BRANCH"):
        env.pop(name, None)
    return env


def _clone(to: Path) -> None:
    """What `pip install .` needs of this clone (what the Dockerfile copies)."""
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, to / name)
    shutil.copytree(ROOT / "cfstep", to / "cfstep", ignore=shutil.ignore_patterns("__pycache__"))


def test_the_laptop_commands_install_cfstep_and_run_against_the_emulator(
    emulator: EmulatorFactory, tmp_path: Path
) -> None:
    """The block as written, in a copy of the clone: a fresh venv, `pip install .`, the dry
    run, the run. The key line is the test's: CF_URL and CF_API_KEY name the emulator."""
    (block,) = sh_blocks(*LAPTOP)
    emu = emulator(LAPTOP_SCENARIO)
    clone = tmp_path / "clone"
    clone.mkdir()
    _clone(clone)
    python_bin = str(Path(sys.base_prefix, "bin"))
    env = _laptop_env(emu, tmp_path / "home", f"{python_bin}:{os.environ['PATH']}")
    (tmp_path / "home").mkdir()
    ran = run_block(block, cwd=clone, env=env, given={"CF_API_KEY"}, timeout=600)
    assert ran.code == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert (tmp_path / "home" / ".venvs" / "cfstep" / "bin" / "cfstep").exists()
    # The dry run: the exact request, nothing sent; the run: one build, followed to success.
    request = json.loads(ran.stdout[ran.stdout.index("{\n") : ran.stdout.index("\n}\n") + 2])
    assert request["url"] == f"{emu.url}/api/pipelines/run/my-project%2Fdeploy?reqId=<uuid4>"
    assert request["body"] == {
        "branch": "main",
        "variables": [{"key": "APP_VERSION", "value": "1.2.3"}],
    }
    assert "dry run: nothing was sent" in ran.stderr
    (build,) = emu.runs("my-project/deploy")
    assert f"Started build {build.id} of my-project/deploy" in ran.stderr
    assert f"my-project/deploy {build.id}: success after" in ran.stderr
    assert "deploying 1.2.3" in ran.stderr  # its log, live
    assert emu.api_key not in ran.stdout + ran.stderr


def test_the_spec_commands_sync_a_folder_of_specs(
    emulator: EmulatorFactory, tmp_path: Path
) -> None:
    """The README's spec, as pipelines/deploy.yml: the dry run says what would change and
    writes nothing; the second command creates the project and the pipeline."""
    (block,) = sh_blocks(*SPECS)
    spec = next(b.text for b in blocks(README) if b.text.startswith("# pipelines/deploy.yml"))
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "deploy.yml").write_text(spec, encoding="utf-8")
    emu = emulator({"pipelines": {}})
    venv_bin = str(Path(sys.executable).parent)
    env = _laptop_env(emu, tmp_path, f"{venv_bin}:{os.environ['PATH']}")
    ran = run_block(block, cwd=tmp_path, env=env, given={"CF_API_KEY"}, timeout=120)
    assert ran.code == 0, ran.stderr
    assert ran.stdout == (
        "dry run: my-project/deploy would be created (and project my-project) "
        "from pipelines/deploy.yml\n"
    )
    lines = ran.stderr.splitlines()
    assert lines[0] == "Created project my-project"
    assert lines[1].startswith("Pipeline my-project/deploy created (pipelines/deploy.yml) [id ")
    document = emu.pipelines.document("my-project/deploy")
    assert document is not None
    assert document["spec"]["steps"]["deploy"]["image"] == "alpine:3.19"
    assert emu.runs() == []  # SPEC_ONLY: nothing triggered


# -- the YAML blocks -----------------------------------------------------------------------------

STEP = yaml.safe_load((ROOT / "step.yaml").read_text(encoding="utf-8"))
ARGUMENTS_SCHEMA = json.loads(STEP["spec"]["arguments"])


def _steps(document: Any) -> list[dict[str, Any]]:
    """Every mapping in a codefresh.yml fragment that is a step using cfstep."""
    found = []
    if isinstance(document, dict):
        image = str(document.get("image", "")) + str(document.get("type", ""))
        if "cfstep" in image and ("arguments" in document or "environment" in document):
            found.append(document)
        for value in document.values():
            found += _steps(value)
    elif isinstance(document, list):
        for value in document:
            found += _steps(value)
    return found


def test_every_yaml_block_loads() -> None:
    for block in blocks(README):
        if block.lang == "yaml":
            assert yaml.safe_load(block.text) is not None, block.text


def test_every_cfstep_step_of_the_readme_is_valid() -> None:
    """A typed step's arguments validate against step.yaml's schema, as Codefresh checks
    them; every step's inputs, as the container receives them, read into a run (those
    naming a spec file aside: the file is the user's)."""
    steps = [
        step
        for block in blocks(README)
        if block.lang == "yaml"
        for step in _steps(yaml.safe_load(block.text))
    ]
    typed = [step for step in steps if "arguments" in step]
    assert len(typed) >= 4, "the typed step, several children, monorepos and a spec"
    for step in typed:
        jsonschema.validate(step["arguments"], ARGUMENTS_SCHEMA)
    freestyle = [step for step in steps if "environment" in step]
    assert freestyle
    for step in steps:
        env = _container_env(step)
        assert set(env) <= set(ENV_NAMES), set(env) - set(ENV_NAMES)
        if "PIPELINE_SPEC" not in env:
            config.parse([], {**env, "CF_API_KEY": "a-key-long-enough-to-be-one"})


def _container_env(step: dict[str, Any]) -> dict[str, str]:
    """The environment the step's container gets: a freestyle step's `KEY=VALUE` items, or
    a typed step's arguments as its template hands them over (lists and maps as JSON)."""
    if "environment" in step:
        return dict(str(item).split("=", 1) for item in step["environment"])
    return {
        key: json.dumps(value) if isinstance(value, list | dict) else str(value)
        for key, value in step["arguments"].items()
    }


# -- links ----------------------------------------------------------------------------------------

DOCS = sorted((ROOT / "docs").glob("*.md"))
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_CODE_SPAN = re.compile(r"`[^`\n]*`")


def _links(path: Path) -> list[str]:
    text = _CODE_SPAN.sub("", outside_code(path.read_text(encoding="utf-8")))
    return [m[1] for m in _LINK.finditer(text) if not re.match(r"[a-z]+:", m[1])]


@pytest.mark.parametrize("path", [ROOT / "README.md", *DOCS], ids=lambda p: p.name)
def test_every_relative_link_resolves(path: Path) -> None:
    broken = []
    for link in _links(path):
        target, _, fragment = link.partition("#")
        file = (path.parent / target).resolve() if target else path
        if not file.exists():
            broken.append(f"{link}: no file {file.relative_to(ROOT)}")
        elif fragment and fragment not in anchors(file.read_text(encoding="utf-8")):
            broken.append(f"{link}: no heading #{fragment} in {file.relative_to(ROOT)}")
    assert broken == []


def test_more_links_every_page_of_docs() -> None:
    table = README[README.index("## More\n") : README.index("## For developers")]
    linked = set(re.findall(r"\]\(docs/([^)#]+)\)", table))
    assert linked == {path.name for path in DOCS}


MADE_BY_RUNS = {"bench/.work/"}  # made by `make bench`, not committed
_REPO_PATH = re.compile(r"`((?:cfstep|tests|scripts|bench|docs|requirements)/[\w./-]*)`")


@pytest.mark.parametrize("path", [ROOT / "README.md", *DOCS], ids=lambda p: p.name)
def test_every_path_named_in_code_exists(path: Path) -> None:
    """`cfstep/run/returned.py`, `tests/features/` …: a file or folder of this repository
    (a pattern such as `tests/<package>/` is not a path)."""
    named = set(_REPO_PATH.findall(path.read_text(encoding="utf-8"))) - MADE_BY_RUNS
    missing = sorted(p for p in named if not (ROOT / p).exists())
    assert missing == []
