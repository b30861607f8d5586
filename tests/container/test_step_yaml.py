"""step.yaml, the typed step: its schema holds the program's inputs, and its stepsTemplate,
rendered by Go's real text/template as Codefresh renders it, hands every argument to the
container intact (spaces, quotes, colons, commas, `=`, `${{...}}`, newlines, lists, maps,
booleans, numbers).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from containerkit import ROOT, unavailable

from cfstep import inputs, values

STEP = yaml.safe_load((ROOT / "step.yaml").read_text())
ARGUMENTS = json.loads(STEP["spec"]["arguments"])
RETURNS = json.loads(STEP["spec"]["returns"])
PROPERTIES: dict[str, dict[str, Any]] = ARGUMENTS["properties"]
RENDERER = Path(__file__).parent / "render" / "main.go"


# --- the document -------------------------------------------------------------------------


def test_step_type_document_is_complete() -> None:
    assert STEP["version"] == "1.0"
    assert STEP["kind"] == "step-type"
    metadata = STEP["metadata"]
    for key in (
        "name",
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
    options = {option.env: option for option in inputs.OPTIONS}
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
    assert set(PROPERTIES) == set(inputs.ENV_NAMES)


def test_returns_are_the_outputs() -> None:
    assert RETURNS["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert {"BUILD_ID", "BUILD_URL", "BUILD_STATUS", "BUILD_DURATION_SECONDS"} <= set(
        RETURNS["properties"]
    )


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
    assert set(rendered) == set(TRICKY)


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
    assert environment == {"PIPELINE_ID": "proj/ok"}


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
