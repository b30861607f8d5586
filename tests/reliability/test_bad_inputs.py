"""The bad input corpus: each malformed input exits 5 with one line on stderr that names
the input, and the emulator hears nothing (every input is validated before the first request)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cfstep.emulator import Emulator
from harness import SECRET, Figures, Result, base_env

Files = Callable[[Path], dict[str, str]]


@dataclass(frozen=True)
class Bad:
    names: str  # the input the message must name
    env: dict[str, str] = field(default_factory=dict)
    argv: tuple[str, ...] = ()
    files: Files | None = None  # writes files under tmp_path, returns more env


def _file(name: str, content: bytes | str, var: str = "VARIABLE_FILE") -> Files:
    def make(tmp: Path) -> dict[str, str]:
        path = tmp / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        return {var: str(path)}

    return make


def _spec(content: bytes | str) -> Files:
    return _file("spec.yml", content, "PIPELINE_SPEC")


def _folder(var: str) -> Files:
    return lambda tmp: {var: str(tmp)}


def _missing(var: str) -> Files:
    return lambda tmp: {var: str(tmp / "no-such-file.yaml")}


BINARY = bytes(range(256)) * 4
# "Billion laughs": nine levels of nine aliases, a few hundred bytes that expand to 9**9.
YAML_BOMB = "kind: pipeline\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9)
)
HUGE = "x" * 1_000_000

CORPUS: dict[str, Bad] = {
    # booleans: true/false/yes/no/1/0/on/off only
    "bool typo": Bad("DETACH", {"DETACH": "ture"}),
    "bool number": Bad("NO_CACHE", {"NO_CACHE": "2"}),
    "bool maybe": Bad("DRY_RUN", {"DRY_RUN": "maybe"}),
    "bool sentence": Bad("INSECURE", {"INSECURE": "yes please"}),
    "bool enabled": Bad("TERMINATE_ON_CANCEL", {"TERMINATE_ON_CANCEL": "enabled"}),
    "bool negative": Bad("PROPAGATE_FAILURE", {"PROPAGATE_FAILURE": "-1"}),
    "bool doubled": Bad("FAIL_FAST", {"FAIL_FAST": "truee"}),
    "bool undecodable bytes": Bad("DEBUG", {"DEBUG": "\udcff\udcfe"}),
    "bool huge": Bad("RESET_VOLUME", {"RESET_VOLUME": HUGE}),
    "bool list": Bad("ENABLE_NOTIFICATIONS", {"ENABLE_NOTIFICATIONS": "[true]"}),
    # numbers
    "timeout words": Bad("TIMEOUT_MINS", {"TIMEOUT_MINS": "abc"}),
    "timeout zero": Bad("TIMEOUT_MINS", {"TIMEOUT_MINS": "0"}),
    "timeout negative": Bad("TIMEOUT_MINS", {"TIMEOUT_MINS": "-5"}),
    "timeout nan": Bad("TIMEOUT_MINS", {"TIMEOUT_MINS": "nan"}),
    "timeout inf": Bad("TIMEOUT_MINS", {"TIMEOUT_MINS": "inf"}),
    "timeout overflow": Bad("TIMEOUT_MINS", {"TIMEOUT_MINS": "1e999"}),
    "timeout with unit": Bad("TIMEOUT_MINS", {"TIMEOUT_MINS": "45 minutes"}),
    "timeout huge digits": Bad("TIMEOUT_MINS", {"TIMEOUT_MINS": "9" * 100_000}),
    "poll below 1": Bad("POLL_MAX_SECONDS", {"POLL_MAX_SECONDS": "0.5"}),
    "poll words": Bad("POLL_MAX_SECONDS", {"POLL_MAX_SECONDS": "ten"}),
    "log tail negative": Bad("LOG_TAIL", {"LOG_TAIL": "-1"}),
    "log tail decimal": Bad("LOG_TAIL", {"LOG_TAIL": "2.5"}),
    "log tail arabic digit": Bad("LOG_TAIL", {"LOG_TAIL": "\u0663"}),
    "max parallel zero": Bad("MAX_PARALLEL", {"MAX_PARALLEL": "0"}),
    "max parallel exponent": Bad("MAX_PARALLEL", {"MAX_PARALLEL": "1e3"}),
    # choices
    "on timeout kill": Bad("ON_TIMEOUT", {"ON_TIMEOUT": "kill"}),
    "on timeout two": Bad("ON_TIMEOUT", {"ON_TIMEOUT": "terminate,fail"}),
    "on timeout flag": Bad("ON_TIMEOUT", argv=("--on-timeout", "abort")),
    "on timeout contradiction": Bad(
        "TERMINATE_ON_TIMEOUT", {"TERMINATE_ON_TIMEOUT": "true", "ON_TIMEOUT": "detach"}
    ),
    "on approval": Bad("ON_APPROVAL", {"ON_APPROVAL": "approve"}),
    "condition error": Bad("CONDITION_ERROR", {"CONDITION_ERROR": "ignore"}),
    "pack name": Bad("PACK_NAME", {"PACK_NAME": "huge"}),
    "pack name near": Bad("PACK_NAME", {"PACK_NAME": "smalll"}),
    # lists and KEY=VALUE pairs
    "variable without =": Bad("VARIABLE", {"VARIABLE": "NOEQUALS"}),
    "variable empty key": Bad("VARIABLE", {"VARIABLE": "=value"}),
    "variable key with space": Bad("VARIABLE", {"VARIABLE": "MY KEY=1"}),
    "variable list of lists": Bad("VARIABLE", {"VARIABLE": "- [a, b]"}),
    "variable list of maps": Bad("VARIABLE", {"VARIABLE": "- {A: 1}"}),
    "variable flag without =": Bad("VARIABLE", argv=("-v", "APP_VERSION")),
    "secret without =": Bad("SECRETS", {"SECRETS": "TOKEN"}),
    "annotation without =": Bad("ANNOTATION", {"ANNOTATION": "release"}),
    "context map item": Bad("CONTEXT", {"CONTEXT": "- {name: ctx}"}),
    # files: missing, folders, not YAML, wrong shape, binary, huge
    "variable file missing": Bad("VARIABLE_FILE", files=_missing("VARIABLE_FILE")),
    "variable file folder": Bad("VARIABLE_FILE", files=_folder("VARIABLE_FILE")),
    "variable file bad YAML": Bad("VARIABLE_FILE", files=_file("v.yaml", "a: [1\nb: 2\n")),
    "variable file bad JSON": Bad("VARIABLE_FILE", files=_file("v.json", '{"A": "1" "B": "2"}')),
    "variable file scalar": Bad("VARIABLE_FILE", files=_file("v.yaml", "just text\n")),
    "variable file empty list": Bad("VARIABLE_FILE", files=_file("v.yaml", "[]\n")),
    "variable file list of text": Bad("VARIABLE_FILE", files=_file("v.yaml", "- A=1\n")),
    "variable file nested value": Bad("VARIABLE_FILE", files=_file("v.yaml", "A: {b: 1}\n")),
    "variable file binary": Bad("VARIABLE_FILE", files=_file("v.bin", BINARY)),
    "variable file NUL": Bad("VARIABLE_FILE", files=_file("v.yaml", "A: 1\n\x00\n")),
    "variable file huge": Bad("VARIABLE_FILE", files=_file("v.yaml", "A: " + "y" * 1_100_000)),
    "variable file device": Bad("VARIABLE_FILE", {"VARIABLE_FILE": "/dev/urandom"}),
    "yaml missing": Bad("YAML", files=_missing("YAML")),
    "yaml binary": Bad("YAML", files=_file("c.yml", BINARY, "YAML")),
    # pipeline specs (PIPELINE_SPEC): each names the file and the field
    "spec not YAML": Bad("PIPELINE_SPEC", files=_spec("kind: pipeline\nmetadata: {name: [\n")),
    "spec a list": Bad("PIPELINE_SPEC", files=_spec("- kind: pipeline\n")),
    "spec no kind": Bad("PIPELINE_SPEC", files=_spec("metadata: {name: p/a}\nspec: {}\n")),
    "spec wrong kind": Bad("PIPELINE_SPEC", files=_spec("kind: project\nmetadata: {name: p/a}\n")),
    "spec no name": Bad("PIPELINE_SPEC", files=_spec("kind: pipeline\nmetadata: {}\n")),
    "spec name without project": Bad(
        "PIPELINE_SPEC", files=_spec("kind: pipeline\nmetadata: {name: deploy}\n")
    ),
    "spec binary": Bad("PIPELINE_SPEC", files=_spec(BINARY)),
    "spec 10 MB": Bad("PIPELINE_SPEC", files=_spec("kind: pipeline\n#" + "x" * 10_000_000)),
    "spec YAML bomb": Bad("PIPELINE_SPEC", files=_spec(YAML_BOMB)),
    "spec self-referencing": Bad("PIPELINE_SPEC", files=_spec("kind: pipeline\nspec: &s [*s]\n")),
    "spec glob matching nothing": Bad(
        "PIPELINE_SPEC", files=lambda tmp: {"PIPELINE_SPEC": str(tmp / "none-*.yml")}
    ),
    "spec missing": Bad("PIPELINE_SPEC", files=_missing("PIPELINE_SPEC")),
    "spec only without spec": Bad("SPEC_ONLY", {"SPEC_ONLY": "true"}),
    "pipelines not a list": Bad("PIPELINES", {"PIPELINES": "not: a list", "PIPELINE_ID": ""}),
    "pipelines bad YAML": Bad("PIPELINES", {"PIPELINES": "[a, b", "PIPELINE_ID": ""}),
    "pipelines unknown key": Bad(
        "PIPELINES", {"PIPELINES": "- {pipeline: a, colour: red}", "PIPELINE_ID": ""}
    ),
    "pipelines no pipeline": Bad("PIPELINES", {"PIPELINES": "- {branch: main}", "PIPELINE_ID": ""}),
    "pipelines number item": Bad("PIPELINES", {"PIPELINES": "- 42\n- [x]", "PIPELINE_ID": ""}),
    "pipelines bad pack": Bad(
        "PIPELINES", {"PIPELINES": "- {pipeline: a, pack_name: huge}", "PIPELINE_ID": ""}
    ),
    "pipelines with pipeline id": Bad("PIPELINES", {"PIPELINES": "- a\n- b"}),
    # required, empty, conflicting
    "pipeline empty": Bad("PIPELINE_ID", {"PIPELINE_ID": ""}),
    "pipeline blank": Bad("PIPELINE_ID", {"PIPELINE_ID": "   "}),
    "pipeline twice": Bad("PIPELINE_ID", {"PIPELINE_ID": ""}, ("a/b", "--pipeline", "c/d")),
    "api key empty": Bad("CF_API_KEY", {"CF_API_KEY": ""}),
    "url scheme": Bad("CF_URL", {"CF_URL": "ftp://g.codefresh.io"}),
    "url not a url": Bad("CF_URL", {"CF_URL": "not a url"}),
    "build id with pipeline": Bad("BUILD_ID", {"BUILD_ID": "65f0c0ffee0123456789abcd"}),
    # conditions and branch filters that cannot be evaluated (CONDITION_ERROR=fail)
    "condition syntax": Bad("CONDITION_ALL", {"CONDITION_ALL": "'${{CF_BRANCH}}' =="}),
    "condition type": Bad("CONDITION_ALL", {"CONDITION_ALL": "upper(1) == 'A'"}),
    "condition map value": Bad("CONDITION_ANY", {"CONDITION_ANY": "check: 1"}),
    "branch regex": Bad("BRANCH_ONLY", {"BRANCH_ONLY": "/[/", "CF_BRANCH": "main"}),
    # the command line: a misspelt flag, a missing value, a value for a switch
    "misspelt flag": Bad("--pipline", argv=("--pipline", "a/b")),
    "flag without value": Bad("--timeout-mins", argv=("--timeout-mins",)),
    "switch with value": Bad("--detach", argv=("--detach=maybe",)),
    "output json folder": Bad("OUTPUT_JSON", files=_folder("OUTPUT_JSON")),
    "export file folder missing": Bad(
        "EXPORT_FILE", files=lambda tmp: {"EXPORT_FILE": str(tmp / "missing" / "env")}
    ),
}


@pytest.mark.parametrize("case", list(CORPUS))
def test_bad_input(
    case: str, emu: Emulator, tmp_path: Path, run: Callable[..., Result], figures: Figures
) -> None:
    bad = CORPUS[case]
    work = tmp_path / "work"
    work.mkdir()
    env = base_env(emu, PIPELINE_ID="proj/ok", SECRETS=f"OTHER={SECRET}")
    env.update(bad.env)
    if bad.files is not None:
        env.update(bad.files(work))
    res = run(env, bad.argv, secrets=[SECRET])
    figures.counts["bad_inputs"] += 1
    lines = res.stderr.splitlines()
    assert res.code == 5, res.stderr[:2000]
    assert len(lines) == 1, res.stderr[:2000]
    assert lines[0].startswith("cfstep: ")
    assert bad.names in lines[0]
    assert len(lines[0]) < 1000  # a huge value is cut, not echoed whole
    assert emu.requests == []  # nothing was sent
    assert "BUILD_ID" not in res.exports
