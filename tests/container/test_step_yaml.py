"""step.yaml, the typed step: its schema holds the program's inputs, and its stepsTemplate,
rendered by Go's real text/template as Codefresh renders it, hands every argument to the
container intact (spaces, quotes, colons, commas, `=`, `${{...}}`, newlines, lists, maps,
booleans, numbers). codefresh-run's published steps validate and run unchanged but for
their `type:`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from containerkit import ROOT, unavailable

from cfstep.emulator import Emulator
from cfstep.inputs import config as inputs
from cfstep.inputs import values
from cfstep.inputs.options import ENV_NAMES, OPTIONS
from fakeclock import FakeClock
from harness import API_KEY, base_env, run_step

STEP = yaml.safe_load((ROOT / "step.yaml").read_text())
ARGUMENTS = json.loads(STEP["spec"]["arguments"])
PROPERTIES: dict[str, dict[str, Any]] = ARGUMENTS["properties"]
RENDERER = Path(__file__).parent / "render" / "main.go"
README = (ROOT / "README.md").read_text(encoding="utf-8")
# The environment entry stepsTemplate adds to the arguments: cfstep runs as the typed step,
# under the key `main` (README, Outputs: main_CF_OUTPUT_URL).
MARKER = {"CFSTEP_TYPED_STEP": "main"}
# Where codefresh-io/steps keeps codefresh-run's icon today: graduated/codefresh-run/icon-1.svg
# at commit a7f0ad3eb8f01149ca12f0d80a7edeae61d9c3ae (icon.svg was removed in 2019).
ICON_URL = "https://cdn.jsdelivr.net/gh/codefresh-io/steps/graduated/codefresh-run/icon-1.svg"


# --- the document -------------------------------------------------------------------------


def test_step_type_document_is_complete() -> None:
    assert STEP["version"] == "1.0"
    assert STEP["kind"] == "step-type"
    metadata = STEP["metadata"]
    for key in (
        "name",
        "title",
        "version",
        "isPublic",
        "description",
        "sources",
        "stage",
        "maintainers",
        "categories",
        "official",
        "tags",
        "icon",
        "examples",
    ):
        assert key in metadata, key
    assert "/" in metadata["name"], "a step that is not official is <account>/<name>"
    assert STEP["spec"]["delimiters"] == {"left": "[[", "right": "]]"}


def test_arguments_schema_is_draft_07_and_closed() -> None:
    assert ARGUMENTS["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert ARGUMENTS["type"] == "object"
    assert ARGUMENTS["additionalProperties"] is False
    for name, schema in PROPERTIES.items():
        assert schema.get("type"), f"{name} has no type"
        assert schema.get("description"), f"{name} has no description"


def test_schema_defaults_are_the_programs_defaults() -> None:
    options = {option.env: option for option in OPTIONS}
    for name, schema in PROPERTIES.items():
        if name not in options:
            continue
        program_default = options[name].default
        if name == "CF_URL":
            # Left out on purpose: Codefresh injects CF_URL; a schema default filled in by
            # Codefresh would override it on on-premises installations.
            assert "default" not in schema
            continue
        if "default" not in schema:
            assert program_default is None, f"{name}: the program defaults to {program_default}"
            continue
        default = schema["default"]
        text = str(default).lower() if isinstance(default, bool) else str(default)
        assert text == program_default, name


def test_schema_argument_names_are_the_programs_inputs() -> None:
    assert set(PROPERTIES) == set(ENV_NAMES)


def test_no_returns_schema_so_every_output_reaches_the_pipeline() -> None:
    """With a `returns` schema Codefresh passes on only the names it lists: per-child
    outputs and returned values would vanish (README, Outputs)."""
    assert "returns" not in STEP["spec"]


def readme_outputs() -> list[str]:
    """The names in the first column of the README's outputs table, as written there."""
    section = README[README.index("## Outputs") : README.index("## Exit codes")]
    rows = re.findall(r"^\| (`.+?`(?:, `.+?`)*) \|", section, re.MULTILINE)
    return [name for row in rows for name in re.findall(r"`([^`]+)`", row)]


def test_the_description_names_every_output() -> None:
    names = readme_outputs()
    assert {"BUILD_ID", "BUILD_STATUS", "main_CF_OUTPUT_URL", "BUILD_STATUS_<n>"} <= set(names)
    description = " ".join(STEP["metadata"]["description"].split())
    missing = [name for name in names if name not in description]
    assert missing == [], f"metadata.description does not name {missing}"


def test_the_icon_is_one_codefresh_io_steps_still_has() -> None:
    assert STEP["metadata"]["icon"]["url"] == ICON_URL
    assert STEP["metadata"]["icon"]["type"] == "svg"


@pytest.mark.parametrize("name", [n for n, p in PROPERTIES.items() if isinstance(p["type"], list)])
def test_a_union_type_shows_its_real_type_first_and_in_words(name: str) -> None:
    """A form or page that shows one type shows the real one; the description says it."""
    kinds = PROPERTIES[name]["type"]
    assert kinds[0] != "string", kinds
    assert kinds[-1] == "string", kinds
    description = PROPERTIES[name]["description"]
    if kinds[0] != "object":  # CONDITION_ALL/ANY explain their three forms already
        assert "Type: " + {"array": "list"}.get(kinds[0], kinds[0]) in description


def test_no_argument_is_declared_twice() -> None:
    """JSON keeps the last of two equal keys silently: a second, stale declaration of an
    argument would hide the real one from every other check here."""

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in pairs]
        assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
        return dict(pairs)

    json.loads(STEP["spec"]["arguments"], object_pairs_hook=unique)


def test_codefresh_run_drop_in_arguments_are_accepted() -> None:
    assert {"IMAGE_TAG", "FOLLOW_LOGS"} <= set(PROPERTIES)
    assert "boolean" in PROPERTIES["FOLLOW_LOGS"]["type"]
    assert PROPERTIES["IMAGE_TAG"]["type"] == "string"


def test_examples_use_known_arguments_and_include_pr_to_production() -> None:
    steps = [
        step
        for example in STEP["metadata"]["examples"]
        for step in example["workflow"].values()
        if "arguments" in step
    ]
    for step in steps:
        assert step["type"].startswith(STEP["metadata"]["name"] + ":")
        assert set(step["arguments"]) <= set(PROPERTIES)
    pr = [
        s["arguments"]
        for s in steps
        if "validateTargetBranch" in s["arguments"].get("CONDITION_ALL", {})
    ]
    assert pr, "step.yaml has no PR-to-production example"
    assert pr[0]["CONDITION_ALL"] == {
        "validateTargetBranch": '"${{CF_PULL_REQUEST_TARGET}}" == "production"',
        "validatePRAction": "'${{CF_PULL_REQUEST_ACTION}}' == 'opened'",
    }


# --- the template, rendered by Go's text/template -----------------------------------------

TRICKY: dict[str, Any] = {
    "PIPELINE_ID": "my project/deploy: prod",  # space, colon-space
    "TRIGGER_ID": 'it\'s a "quoted" trigger',  # both quotes
    "BRANCH": "${{CF_BRANCH}}",  # a Codefresh variable left unresolved
    "SHA": "  padded \t tab  ",  # leading/trailing spaces, tab
    "VARIABLE_FILE": "C:\\path\\new\\table.yaml",  # backslashes that look like escapes
    "RUNTIME_NAME": "a,b, c # not a comment",  # commas, a hash
    "PACK_NAME": "A=B=C",  # equals signs
    "YAML": "line one\nline: two\n\n  indented three\n",  # newlines, blank line
    "BUILD_ID": "[[ .Arguments.X ]] {{ y }} *alias &anchor !tag %dir @ `tick` |pipe >fold",
    "RETURN_PREFIX": "yes",  # YAML 1.1 would read a bare yes as a boolean
    "EXPORT_FILE": "null",  # ... and a bare null as nothing
    "OUTPUT_JSON": "0123",  # ... and this as a number
    "CF_URL": "ünïcødé 🚀 \u00a0nbsp \x07bell \x1b[0m \r\n crlf",  # unicode, control chars
    "CF_API_KEY": "",  # an empty value
    "CONDITION_ANY": "'${{CF_PULL_REQUEST_ACTION}}' == 'opened' && \"x\" != 'y'",
    "DETACH": True,  # booleans arrive as true / false
    "DRY_RUN": False,
    "TIMEOUT_MINS": 60,  # numbers arrive as written
    "POLL_MAX_SECONDS": 2.5,
    "VARIABLE": [
        "APP_VERSION=1.2.3",
        "URL=https://x.example/a?b=1&c=2,3",
        'QUOTED=it\'s "fine"',
        "COLON=key: value",
        "MULTI=line1\nline2",
        "SPACES=  both ends  ",
        "REF=${{APP_VERSION}}",
        "BACKSLASH=a\\nb",
    ],
    "SECRETS": ["TOKEN=s3cr3t,with=equals"],
    "CONTEXT": ["one"],
    "ONLY": [],
    "CONDITION_ALL": {
        "validateTargetBranch": '"${{CF_PULL_REQUEST_TARGET}}" == "production"',
        "validatePRAction": "'${{CF_PULL_REQUEST_ACTION}}' == 'opened'",
        "with: colon": 'match("${{CF_BRANCH}}", "^release-\\\\d+$", true)',
    },
    "PIPELINES": [
        "proj/a",
        {"pipeline": "proj/b", "variables": ["A=1", "B=x, y"], "no_cache": True},
    ],
}


def go_env(tmp: Path) -> dict[str, str]:
    cache = ROOT / ".cache" / "go-build"
    return {
        **os.environ,
        "GOPATH": str(tmp / "gopath"),
        "GOCACHE": str(cache),
        "GOFLAGS": "-mod=mod",
        "GOPROXY": "off",  # the renderer uses the standard library only: never download
        "GO111MODULE": "auto",
    }


def render(cases: list[Mapping[str, Any]], tmp: Path) -> list[str]:
    """Execute spec.stepsTemplate for each argument map with Go's text/template."""
    if shutil.which("go") is None:
        unavailable("`go` is not installed (Debian package golang-go)")
    template = tmp / "steps.tmpl"
    template.write_text(STEP["spec"]["stepsTemplate"])
    cases_file = tmp / "cases.json"
    cases_file.write_text(json.dumps(cases))
    delimiters = STEP["spec"]["delimiters"]
    done = subprocess.run(
        [
            "go",
            "run",
            str(RENDERER),
            str(template),
            delimiters["left"],
            delimiters["right"],
            str(cases_file),
        ],
        capture_output=True,
        text=True,
        env=go_env(tmp),
        cwd=tmp,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    for result in results:
        assert isinstance(result, str), result
    return list(results)


def container_environment(rendered: str) -> dict[str, str]:
    """What the container gets: the rendered YAML's main.environment, KEY=VALUE entries."""
    steps = yaml.safe_load(rendered)
    main = steps["main"]
    assert main["image"]
    environment: dict[str, str] = {}
    for entry in main["environment"] or []:
        assert isinstance(entry, str), entry
        key, sep, value = entry.partition("=")
        assert sep, entry
        environment[key] = value
    return environment


def expected_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return container_environment(render([TRICKY], tmp_path_factory.mktemp("render"))[0])


def test_template_passes_every_argument_and_only_those(rendered: dict[str, str]) -> None:
    assert set(rendered) == set(TRICKY) | set(MARKER)


def test_template_says_cfstep_runs_as_the_typed_step(rendered: dict[str, str]) -> None:
    """The marker names the key of cfstep's step in the template (container_environment
    reads the rendered `main:`), so main_CF_OUTPUT_URL is the link of that step."""
    assert {k: rendered[k] for k in MARKER} == MARKER


@pytest.mark.parametrize("name", [n for n, v in TRICKY.items() if not isinstance(v, list | dict)])
def test_scalar_arrives_exactly(rendered: dict[str, str], name: str) -> None:
    assert rendered[name] == expected_text(TRICKY[name])


@pytest.mark.parametrize("name", [n for n, v in TRICKY.items() if isinstance(v, list | dict)])
def test_list_or_map_arrives_as_yaml_of_the_same_value(rendered: dict[str, str], name: str) -> None:
    assert "\n" not in rendered[name], "one line, so Codefresh cannot fold or cut it"
    assert yaml.safe_load(rendered[name]) == TRICKY[name]


@pytest.mark.parametrize("name", ["VARIABLE", "SECRETS", "CONTEXT", "ONLY"])
def test_string_list_is_read_back_by_cfsteps_list_parsing(
    rendered: dict[str, str], name: str
) -> None:
    assert values.parse_list(name, rendered[name]) == tuple(TRICKY[name])


def test_null_argument_is_left_out(tmp_path: Path) -> None:
    environment = container_environment(
        render([{"PIPELINE_ID": "proj/ok", "BRANCH": None}], tmp_path)[0]
    )
    assert environment == {"PIPELINE_ID": "proj/ok", **MARKER}


def test_pr_to_production_example_reaches_the_program(tmp_path: Path) -> None:
    """step.yaml's PR-to-production example, rendered, then parsed by cfstep's input reader."""
    example = next(
        step["arguments"]
        for ex in STEP["metadata"]["examples"]
        for step in ex["workflow"].values()
        if "validateTargetBranch" in step.get("arguments", {}).get("CONDITION_ALL", {})
    )
    # Codefresh substitutes ${{...}} in arguments before it renders the template.
    substituted = json.loads(
        json.dumps(example)
        .replace("${{CF_BRANCH}}", "feature/x")
        .replace("${{APP_VERSION}}", '1.2.3, \\"rc\\"')
        .replace("${{CF_PULL_REQUEST_TARGET}}", "production")
        .replace("${{CF_PULL_REQUEST_ACTION}}", "opened")
    )
    environment = container_environment(render([substituted], tmp_path)[0])
    config = inputs.parse([], {**environment, "CF_API_KEY": "injected-by-codefresh"})
    child = config.children[0]
    assert child.pipeline == "my-project/deploy"
    assert child.trigger == "deploy-trigger"
    assert child.branch == "feature/x"
    assert ("APP_VERSION", '1.2.3, "rc"') in child.variables
    assert dict(config.conditions_all) == {
        "validateTargetBranch": '"production" == "production"',
        "validatePRAction": "'opened' == 'opened'",
    }
    assert config.timeout_seconds == 3600


# --- codefresh-run's own published steps, only `type:` changed -----------------------------

CODEFRESH_RUN = yaml.safe_load((Path(__file__).parent / "codefresh_run_examples.yaml").read_text())
# Every argument of codefresh-run's schema (reference: codefresh-io/steps step.yaml).
CODEFRESH_RUN_ARGUMENTS = {
    "PIPELINE_ID", "TRIGGER_ID", "BRANCH", "SHA", "VARIABLE", "SECRETS", "VARIABLE_FILE",
    "CONTEXT", "NO_CACHE", "NO_CF_CACHE", "RESET_VOLUME", "ENABLE_NOTIFICATIONS",
    "RUNTIME_NAME", "PACK_NAME", "ONLY", "SKIP", "YAML", "DETACH", "FOLLOW_LOGS",
    "TIMEOUT_MINS", "TERMINATE_ON_TIMEOUT", "IMAGE_TAG",
}  # fmt: skip
# What a codefresh-run user adds or keeps beside the published arguments.
DROP_IN = {"IMAGE_TAG": "0.89.1", "FOLLOW_LOGS": True}
# Codefresh substitutes ${{...}} in arguments before it renders the template.
SUBSTITUTIONS = {
    "${{CF_BRANCH}}": "main",
    "${{CF_REVISION}}": "0123456789abcdef0123456789abcdef01234567",
    "${{PACKAGE_VERSION}}": "1.4.2",
}
CHILD = {"timeline": [{"status": "running", "seconds": 2}], "final": "success"}
PUBLISHED_PIPELINES: dict[str, Any] = {
    "pipelines": {
        "project-name/pip_name": {**CHILD, "triggers": ["trigger_id"]},
        "child-pipelines/qa-pipeline": CHILD,
        "child-pipelines/prod-pipeline": CHILD,
        "<project-name/pip_name>": {
            **CHILD,
            "triggers": ["<trigger-name>"],
            "branches": ["<branch-name>"],
        },
    }
}


def substituted(arguments: Mapping[str, Any]) -> dict[str, Any]:
    text = json.dumps(arguments)
    for variable, value in SUBSTITUTIONS.items():
        text = text.replace(variable, value)
    result: dict[str, Any] = json.loads(text)
    return result


def codefresh_run_cases(tmp: Path) -> dict[str, dict[str, Any]]:
    """Each published argument set plus IMAGE_TAG and FOLLOW_LOGS, and codefresh-run's every
    argument at once (its VARIABLE_FILE example written where this machine can read it)."""
    cases = {
        f"published {i}": substituted({**case["arguments"], **DROP_IN})
        for i, case in enumerate(CODEFRESH_RUN["published"], start=1)
    }
    variable_file = tmp / "var_file_example.yml"
    variable_file.write_text(CODEFRESH_RUN["variable_file"], encoding="utf-8")
    cases["every argument"] = {
        **CODEFRESH_RUN["every_argument"],
        "VARIABLE_FILE": str(variable_file),
    }
    return cases


def test_the_fixture_holds_every_codefresh_run_argument_and_names_its_sources() -> None:
    assert set(CODEFRESH_RUN["every_argument"]) == CODEFRESH_RUN_ARGUMENTS
    assert len(CODEFRESH_RUN["published"]) >= 4
    for case in CODEFRESH_RUN["published"]:
        assert "codefresh-io/" in case["source"]
        assert case["arguments"]["PIPELINE_ID"]


def test_every_codefresh_run_argument_is_one_of_ours() -> None:
    assert set(PROPERTIES) >= CODEFRESH_RUN_ARGUMENTS


def test_codefresh_run_steps_validate_against_our_schema(tmp_path: Path) -> None:
    validator = jsonschema.Draft7Validator(ARGUMENTS)
    for name, arguments in codefresh_run_cases(tmp_path).items():
        problems = [error.message for error in validator.iter_errors(arguments)]
        assert problems == [], name
    bad = {**DROP_IN, "PIPELINE_ID": "p", "FOLLOW_LOG": True}  # a misspelt one is refused
    assert not validator.is_valid(bad)


def test_codefresh_run_steps_render_and_run(fake_clock: FakeClock, tmp_path: Path) -> None:
    """Rendered by Go's text/template, handed to the real entrypoint against the emulator:
    each starts its child once, with its branch and trigger, and exits 0."""
    cases = codefresh_run_cases(tmp_path)
    rendered = render(list(cases.values()), tmp_path)
    emu = Emulator(PUBLISHED_PIPELINES, clock=fake_clock, api_key=API_KEY).start()
    try:
        for (name, arguments), text in zip(cases.items(), rendered, strict=True):
            environment = container_environment(text)
            result = run_step(emu, {**environment, **base_env(emu)}, clock=fake_clock)
            assert result.code == 0, (name, result.stderr)
            (run_request,) = result.run_requests
            assert run_request.json.get("branch") == arguments.get("BRANCH"), name
            assert run_request.json.get("trigger") == arguments.get("TRIGGER_ID"), name
            assert result.exports["BUILD_STATUS"] == "success", name
            assert result.exports["main_CF_OUTPUT_URL"] == result.exports["BUILD_URL"], name
            assert result.stderr.count("IMAGE_TAG is ignored") == 1, name
    finally:
        emu.stop()


def test_the_migration_guide_covers_every_codefresh_run_argument() -> None:
    guide = (ROOT / "docs" / "migrating.md").read_text(encoding="utf-8")
    table = guide[guide.index("### Every argument") : guide.index("### Behaviours")]
    rows = re.findall(r"^\| (`[A-Z_]+`(?:, `[A-Z_]+`)*) \|", table, re.MULTILINE)
    named = {name for row in rows for name in re.findall(r"`([A-Z_]+)`", row)}
    assert named == CODEFRESH_RUN_ARGUMENTS
    assert "docs/migrating.md" in README
