"""The bad-input corpus: every bad input exits 5 with ONE line on stderr that names the
input, says what to do, and sends nothing (every input is checked before the first
request). Each case runs the real entrypoint against the emulator, a secret in play."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import SECRET, Figures, base_env, run_cli, run_step

UNSET = "<unset>"


@dataclass(frozen=True)
class Bad:
    id: str
    env: dict[str, str]
    argv: tuple[str, ...] = ()
    says: tuple[str, ...] = ()  # all in the one line, besides cfstep:
    files: dict[str, bytes] = field(default_factory=dict)  # name -> content, in tmp_path


def bad(
    id: str,
    env: dict[str, str],
    *argv: str,
    says: tuple[str, ...] = (),
    **files: bytes,
) -> Bad:
    return Bad(id, env, argv, says, files)


BINARY = bytes(range(256)) * 4
HUGE = "x" * 1_000_000
# "Billion laughs": nine levels of nine aliases, a few hundred bytes that expand to 9**9.
YAML_BOMB = "kind: pipeline\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9)
)
NOT_UTF8 = os.fsdecode(b"\xff")  # what Python makes of an environment byte that is not UTF-8


def spec(id: str, content: bytes | str, *, says: str = "PIPELINE_SPEC") -> Bad:
    """A PIPELINE_SPEC file: each message names the file and the field."""
    data = content.encode() if isinstance(content, str) else content
    return bad(id, {"PIPELINE_SPEC": "{tmp}/spec.yml"}, says=(says,), **{"spec.yml": data})


def fan_out(id: str, pipelines: str, *says: str, **env: str) -> Bad:
    """PIPELINES (docs/fanout.md), without PIPELINE_ID unless given."""
    return bad(id, {"PIPELINE_ID": UNSET, "PIPELINES": pipelines, **env}, says=says)


CASES = [
    # booleans
    bad("bool-typo", {"DETACH": "ture"}, says=("DETACH", "'ture'", "true or false")),
    bad("bool-word", {"NO_CACHE": "maybe"}, says=("NO_CACHE", "'maybe'")),
    bad("bool-number", {"TERMINATE_ON_CANCEL": "2"}, says=("TERMINATE_ON_CANCEL", "'2'")),
    bad("bool-insecure", {"INSECURE": "y"}, says=("INSECURE",)),
    bad("bool-dry-run", {"DRY_RUN": "nope"}, says=("DRY_RUN",)),
    bad("bool-propagate", {"PROPAGATE_FAILURE": "truee"}, says=("PROPAGATE_FAILURE",)),
    bad("bool-terminate-on-timeout", {"TERMINATE_ON_TIMEOUT": "x"}, says=("TERMINATE_ON_TIMEOUT",)),
    bad("bool-no-cache-number", {"NO_CACHE": "2"}, says=("NO_CACHE",)),
    bad("bool-sentence", {"INSECURE": "yes please"}, says=("INSECURE",)),
    bad("bool-enabled", {"TERMINATE_ON_CANCEL": "enabled"}, says=("TERMINATE_ON_CANCEL",)),
    bad("bool-negative", {"PROPAGATE_FAILURE": "-1"}, says=("PROPAGATE_FAILURE",)),
    bad("bool-fail-fast", {"FAIL_FAST": "truee"}, says=("FAIL_FAST",)),
    bad("bool-not-utf8", {"DEBUG": NOT_UTF8 * 2}, says=("DEBUG",)),
    bad("bool-huge", {"RESET_VOLUME": HUGE}, says=("RESET_VOLUME",)),
    bad("bool-list", {"ENABLE_NOTIFICATIONS": "[true]"}, says=("ENABLE_NOTIFICATIONS",)),
    # numbers
    bad("timeout-zero", {"TIMEOUT_MINS": "0"}, says=("TIMEOUT_MINS", "'0'")),
    bad("timeout-word", {"TIMEOUT_MINS": "abc"}, says=("TIMEOUT_MINS", "'abc'")),
    bad("timeout-negative", {"TIMEOUT_MINS": "-5"}, says=("TIMEOUT_MINS",)),
    bad("timeout-nan", {"TIMEOUT_MINS": "nan"}, says=("TIMEOUT_MINS",)),
    bad("timeout-inf", {"TIMEOUT_MINS": "inf"}, says=("TIMEOUT_MINS",)),
    bad("timeout-unit", {"TIMEOUT_MINS": "10m"}, says=("TIMEOUT_MINS", "'10m'")),
    bad("timeout-unit-word", {"TIMEOUT_MINS": "45 minutes"}, says=("TIMEOUT_MINS",)),
    bad("timeout-overflow", {"TIMEOUT_MINS": "1e999"}, says=("TIMEOUT_MINS",)),
    bad("timeout-huge-digits", {"TIMEOUT_MINS": "9" * 100_000}, says=("TIMEOUT_MINS",)),
    bad("timeout-flag", {}, "--timeout-mins", "0", says=("TIMEOUT_MINS",)),
    bad("poll-below-1", {"POLL_MAX_SECONDS": "0.5"}, says=("POLL_MAX_SECONDS",)),
    bad("poll-word", {"POLL_MAX_SECONDS": "ten"}, says=("POLL_MAX_SECONDS",)),
    bad("log-tail-negative", {"LOG_TAIL": "-1"}, says=("LOG_TAIL", "'-1'")),
    bad("log-tail-decimal", {"LOG_TAIL": "1.5"}, says=("LOG_TAIL",)),
    bad("log-tail-word", {"LOG_TAIL": "ten"}, says=("LOG_TAIL",)),
    bad("log-tail-arabic-digit", {"LOG_TAIL": "\u0663"}, says=("LOG_TAIL",)),
    bad("max-parallel-zero", {"MAX_PARALLEL": "0"}, says=("MAX_PARALLEL",)),
    bad("max-parallel-exponent", {"MAX_PARALLEL": "1e3"}, says=("MAX_PARALLEL",)),
    # choices
    bad("on-timeout", {"ON_TIMEOUT": "maybe"}, says=("ON_TIMEOUT", "'maybe'", "terminate")),
    bad("on-timeout-two", {"ON_TIMEOUT": "terminate,fail"}, says=("ON_TIMEOUT",)),
    bad("on-timeout-flag", {}, "--on-timeout", "abort", says=("ON_TIMEOUT",)),
    bad("on-approval", {"ON_APPROVAL": "skip"}, says=("ON_APPROVAL", "'skip'")),
    bad("pack-name", {"PACK_NAME": "huge"}, says=("PACK_NAME", "'huge'", "small")),
    bad("pack-name-flag", {}, "--pack-name", "huge", says=("PACK_NAME", "'huge'")),
    bad("pack-name-near", {"PACK_NAME": "smalll"}, says=("PACK_NAME",)),
    bad("condition-error", {"CONDITION_ERROR": "ignore"}, says=("CONDITION_ERROR",)),
    bad(
        "timeout-contradiction",
        {"TERMINATE_ON_TIMEOUT": "true", "ON_TIMEOUT": "detach"},
        says=("TERMINATE_ON_TIMEOUT", "ON_TIMEOUT"),
    ),
    # KEY=VALUE lists
    bad("variable-no-equals", {"VARIABLE": "APP_VERSION"}, says=("VARIABLE", "'APP_VERSION'")),
    bad("variable-empty-key", {"VARIABLE": "=1"}, says=("VARIABLE",)),
    bad("variable-space-in-key", {"VARIABLE": "MY VAR=1"}, says=("VARIABLE",)),
    bad("variable-flag", {}, "-v", "NOPE", says=("VARIABLE", "'NOPE'")),
    bad("variable-map-item", {"VARIABLE": "- A: 1\n"}, says=("VARIABLE", "dict")),
    bad("variable-list-item", {"VARIABLE": "- [a, b]"}, says=("VARIABLE",)),
    bad("annotation-no-equals", {"ANNOTATION": "owner"}, says=("ANNOTATION",)),
    bad("secret-no-equals", {"SECRETS": SECRET}, says=("SECRETS", "hidden")),
    bad("secret-flag-no-equals", {}, "-S", SECRET, says=("SECRETS", "hidden")),
    bad("secret-map-item", {"SECRETS": f"- TOKEN: {SECRET}"}, says=("SECRETS", "hidden")),
    bad("context-map-item", {"CONTEXT": "- {name: ctx}"}, says=("CONTEXT",)),
    # what to run
    bad("no-pipeline", {"PIPELINE_ID": UNSET}, says=("PIPELINE_ID", "not set")),
    bad("blank-pipeline", {"PIPELINE_ID": "   "}, says=("PIPELINE_ID", "not set")),
    bad("empty-pipeline", {"PIPELINE_ID": ""}, says=("PIPELINE_ID",)),
    bad("build-id-and-pipeline", {"BUILD_ID": "abc"}, says=("BUILD_ID", "PIPELINE_ID")),
    bad(
        "pipeline-twice",
        {"PIPELINE_ID": UNSET},
        "proj/ok",
        "--pipeline",
        "proj/fail",
        says=("PIPELINE_ID", "given twice"),
    ),
    bad("pipelines-and-pipeline", {"PIPELINES": "- proj/fail"}, says=("PIPELINES", "PIPELINE_ID")),
    # several children: PIPELINES and what goes with it (docs/fanout.md)
    fan_out("pipelines-a-map", "{pipeline: fan/b}", "PIPELINES", "not a non-empty list"),
    fan_out("pipelines-empty", "[]", "PIPELINES", "not a non-empty list"),
    fan_out("pipelines-plain-text", "fan/b", "PIPELINES", "not a non-empty list"),
    fan_out("pipelines-invalid-yaml", "[fan/b, {pipeline: ]", "PIPELINES", "not valid YAML"),
    fan_out("pipelines-number-item", "[fan/b, 42]", "PIPELINES item 2", "neither"),
    fan_out("pipelines-list-item", "[[fan/b]]", "PIPELINES item 1", "neither"),
    fan_out("pipelines-blank-item", "[fan/b, '  ']", "PIPELINES item 2", "neither"),
    fan_out("pipelines-no-pipeline", "[{branch: main}]", "item 1", "no `pipeline`"),
    fan_out("pipelines-blank-pipeline", "[{pipeline: '  '}]", "item 1", "no `pipeline`"),
    fan_out(
        "pipelines-unknown-key",
        "[fan/b, {pipeline: fan/c, timeout_mins: 5}]",
        "PIPELINES item 2",
        "unknown key 'timeout_mins'",
        "variables",
    ),
    fan_out(
        "pipelines-key-twice",
        "[{pipeline: fan/b, pipeline_id: fan/c}]",
        "item 1",
        "'pipeline' is given twice",
    ),
    fan_out(
        "pipelines-bad-bool",
        "[{pipeline: fan/b, no_cache: ture}]",
        "PIPELINES item 1 no_cache",
        "'ture'",
        "not a boolean",
    ),
    bad(
        "pipelines-bad-pack",
        {"PIPELINE_ID": UNSET, "PIPELINES": "[{pipeline: fan/b, pack_name: huge}]"},
        says=("PIPELINES item 1 pack_name",),
    ),
    fan_out(
        "pipelines-bad-variable",
        "[{pipeline: fan/b, variables: [NOEQUALS]}]",
        "PIPELINES item 1 variables",
        "not KEY=VALUE",
    ),
    fan_out(
        "pipelines-variable-map-of-maps",
        "[{pipeline: fan/b, variables: {A: {B: 1}}}]",
        "PIPELINES item 1 variables",
        "not text",
    ),
    fan_out(
        "pipelines-text-that-is-a-map",
        "[{pipeline: {name: fan/b}}]",
        "PIPELINES item 1 pipeline",
        "not text",
    ),
    fan_out(
        "pipelines-missing-yaml-file",
        "[{pipeline: fan/b, yaml: /nonexistent/child.yml}]",
        "PIPELINES item 1 yaml",
        "/nonexistent/child.yml",
    ),
    fan_out(
        "pipelines-bad-item-late",  # child 1 is never started: all is checked first
        "[" + ", ".join(["fan/b"] * 9 + ["{pipeline: fan/c, only: [{a: 1}]}"]) + "]",
        "PIPELINES item 10 only",
    ),
    fan_out("pipelines-and-build-id", "[fan/b]", "BUILD_ID", "PIPELINES", BUILD_ID="abc"),
    fan_out("pipelines-max-parallel-0", "[fan/b]", "MAX_PARALLEL", "'0'", MAX_PARALLEL="0"),
    fan_out("pipelines-max-parallel-text", "[fan/b]", "MAX_PARALLEL", MAX_PARALLEL="two"),
    fan_out("pipelines-fail-fast-typo", "[fan/b]", "FAIL_FAST", "'ture'", FAIL_FAST="ture"),
    bad(
        "pipelines-and-a-variable-file-list",
        {"PIPELINE_ID": UNSET, "PIPELINES": "[fan/b]", "VARIABLE_FILE": "{tmp}/list.yaml"},
        says=("VARIABLE_FILE", "PIPELINES"),
        **{"list.yaml": b"- {A: '1'}\n- {A: '2'}\n"},
    ),
    bad(
        "variable-file-list-of-non-maps",
        {"PIPELINE_ID": "fan/b", "VARIABLE_FILE": "{tmp}/list.yaml"},
        says=("VARIABLE_FILE item 2", "not a map"),
        **{"list.yaml": b"- {A: '1'}\n- just text\n"},
    ),
    # credentials and URL
    bad("no-api-key", {"CF_API_KEY": UNSET}, says=("CF_API_KEY", "not set")),
    bad("blank-api-key", {"CF_API_KEY": ""}, says=("CF_API_KEY",)),
    bad("api-key-line-break", {"CF_API_KEY": "key-SENSITIVE\n-123"}, says=("CF_API_KEY", "hidden")),
    bad("api-key-non-ascii", {"CF_API_KEY": "ключ-SENSITIVE"}, says=("CF_API_KEY", "hidden")),
    bad("url-scheme", {"CF_URL": "ftp://g.codefresh.io"}, says=("CF_URL", "ftp://")),
    bad("url-no-scheme", {"CF_URL": "g.codefresh.io"}, says=("CF_URL",)),
    bad("url-no-host", {"CF_URL": "https://"}, says=("CF_URL",)),
    bad("url-flag", {}, "--url", "not a url", says=("CF_URL",)),
    bad("url-port-not-a-number", {"CF_URL": "http://127.0.0.1:abc"}, says=("CF_URL",)),
    bad("url-port-out-of-range", {"CF_URL": "http://127.0.0.1:70000"}, says=("CF_URL",)),
    bad("url-userinfo", {"CF_URL": "https://user:pw@g.codefresh.io"}, says=("CF_URL",)),
    bad("url-not-a-url", {"CF_URL": "not a url"}, says=("CF_URL",)),
    bad("url-non-ascii", {"CF_URL": "http://127.0.0.1:9/ä"}, says=("CF_URL", "non-ASCII")),
    bad(
        "url-long-label",
        {"CF_URL": "http://" + "a" * 64 + ".example.com"},
        says=("CF_URL", "1 to 63 characters"),
    ),
    # text that is not UTF-8 (an environment byte Python could not decode)
    bad("pipeline-not-utf8", {"PIPELINE_ID": f"proj/{NOT_UTF8}ok"}, says=("not UTF-8",)),
    bad("variable-not-utf8", {"VARIABLE": f"A={NOT_UTF8}"}, says=("not UTF-8",)),
    bad(
        "build-id-two-lines", {"BUILD_ID": "abc\ndef", "PIPELINE_ID": ""}, says=("not a build id",)
    ),
    # conditions and branch filters that cannot be evaluated (CONDITION_ERROR=fail)
    bad(
        "condition-syntax",
        {"CONDITION_ALL": "'${{CF_BRANCH}}' =="},
        says=("CONDITION_ALL",),
    ),
    bad(
        "condition-type",
        {"CONDITION_ALL": "upper(1) == 'A'"},
        says=("CONDITION_ALL",),
    ),
    bad(
        "condition-map-value",
        {"CONDITION_ANY": "check: 1"},
        says=("CONDITION_ANY",),
    ),
    bad(
        "branch-regex",
        {"BRANCH_ONLY": "/[/", "CF_BRANCH": "main"},
        says=("BRANCH_ONLY",),
    ),
    # the command line
    bad("unknown-flag", {}, "--detahc", says=("--detahc", "cfstep --help")),
    bad("abbreviated-flag", {}, "--pipe", "proj/ok", says=("--pipe",)),
    bad("flag-without-value", {}, "--timeout-mins", says=("--timeout-mins",)),
    bad("switch-with-value", {}, "--detach=maybe", says=("--detach",)),
    bad("extra-positional", {"PIPELINE_ID": UNSET}, "proj/ok", "proj/fail", says=("proj/fail",)),
    # files
    bad("yaml-missing", {"YAML": "{tmp}/nope.yml"}, says=("YAML", "nope.yml", "cannot read")),
    bad("yaml-directory", {"YAML": "{tmp}"}, says=("YAML",)),
    bad("variable-file-directory", {"VARIABLE_FILE": "{tmp}"}, says=("VARIABLE_FILE",)),
    bad("variable-file-device", {"VARIABLE_FILE": "/dev/urandom"}, says=("VARIABLE_FILE",)),
    bad(
        "yaml-binary",
        {"YAML": "{tmp}/bin.yml"},
        says=("YAML", "UTF-8"),
        **{"bin.yml": b"\xff\xfe\x00"},
    ),
    bad(
        "variable-file-missing",
        {"VARIABLE_FILE": "{tmp}/nope.yaml"},
        says=("VARIABLE_FILE", "nope.yaml"),
    ),
    bad(
        "variable-file-syntax",
        {"VARIABLE_FILE": "{tmp}/v.yaml"},
        says=("VARIABLE_FILE", "not valid YAML/JSON", "line"),
        **{"v.yaml": b"A: [1, 2\nB: 3\n"},
    ),
    bad(
        "variable-file-scalar",
        {"VARIABLE_FILE": "{tmp}/v.yaml"},
        says=("VARIABLE_FILE", "str"),
        **{"v.yaml": b"just text\n"},
    ),
    bad(
        "variable-file-nested",
        {"VARIABLE_FILE": "{tmp}/v.yaml"},
        says=("VARIABLE_FILE", "variable A"),
        **{"v.yaml": b"A: {b: 1}\n"},
    ),
    bad(
        "variable-file-list-of-text",
        {"VARIABLE_FILE": "{tmp}/v.yaml"},
        says=("VARIABLE_FILE",),
        **{"v.yaml": b"- A=1\n"},
    ),
    bad(
        "variable-file-empty-list",
        {"VARIABLE_FILE": "{tmp}/v.yaml"},
        says=("VARIABLE_FILE",),
        **{"v.yaml": b"[]\n"},
    ),
    bad(
        "variable-file-json-syntax",
        {"VARIABLE_FILE": "{tmp}/v.json"},
        says=("VARIABLE_FILE",),
        **{"v.json": b'{"A": "1" "B": "2"}'},
    ),
    bad(
        "variable-file-binary",
        {"VARIABLE_FILE": "{tmp}/v.bin"},
        says=("VARIABLE_FILE",),
        **{"v.bin": BINARY},
    ),
    bad(
        "variable-file-nul",
        {"VARIABLE_FILE": "{tmp}/v.yaml"},
        says=("VARIABLE_FILE",),
        **{"v.yaml": b"A: 1\n\x00\n"},
    ),
    bad(
        "variable-file-huge",
        {"VARIABLE_FILE": "{tmp}/v.yaml"},
        says=("VARIABLE_FILE",),
        **{"v.yaml": b"A: " + b"y" * 1_100_000},
    ),
    # pipeline specs (PIPELINE_SPEC)
    spec("spec-not-yaml", "kind: pipeline\nmetadata: {name: [\n"),
    spec("spec-a-list", "- kind: pipeline\n"),
    spec("spec-no-kind", "metadata: {name: p/a}\nspec: {}\n"),
    spec("spec-wrong-kind", "kind: project\nmetadata: {name: p/a}\n"),
    spec("spec-no-name", "kind: pipeline\nmetadata: {}\n"),
    spec("spec-name-without-project", "kind: pipeline\nmetadata: {name: deploy}\n"),
    spec("spec-binary", BINARY),
    spec("spec-10-mb", "kind: pipeline\n#" + "x" * 10_000_000),
    spec("spec-yaml-bomb", YAML_BOMB),
    spec("spec-self-referencing", "kind: pipeline\nspec: &s [*s]\n"),
    bad(
        "spec-glob-matching-nothing", {"PIPELINE_SPEC": "{tmp}/none-*.yml"}, says=("PIPELINE_SPEC",)
    ),
    bad("spec-missing", {"PIPELINE_SPEC": "{tmp}/no-such-file.yaml"}, says=("PIPELINE_SPEC",)),
    bad("spec-only-without-spec", {"SPEC_ONLY": "true"}, says=("SPEC_ONLY",)),
    # outputs
    bad("export-file-unwritable", {"EXPORT_FILE": "{tmp}/no/such/dir/out"}, says=("EXPORT_FILE",)),
    bad("output-json-unwritable", {"OUTPUT_JSON": "{tmp}/no/dir/o.json"}, says=("OUTPUT_JSON",)),
    bad("output-json-a-folder", {}, "--output-json", "{tmp}", says=("OUTPUT_JSON", "folder")),
    bad("output-json-a-folder-env", {"OUTPUT_JSON": "{tmp}"}, says=("OUTPUT_JSON",)),
    bad(
        "export-file-flag-unwritable",
        {},
        "--export-file",
        "{tmp}/no/such/dir/out",
        says=("EXPORT_FILE",),
    ),
]


def _fill(text: str, tmp: Path) -> str:
    return text.replace("{tmp}", str(tmp))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_bad_input_exits_5_with_one_line_and_sends_nothing(
    emu: Emulator, fake_clock: FakeClock, tmp_path: Path, case: Bad, figures: Figures
) -> None:
    for name, content in case.files.items():
        (tmp_path / name).write_bytes(content)
    env = base_env(emu, PIPELINE_ID="proj/ok", SECRETS=f"OTHER={SECRET}")
    for key, value in case.env.items():
        if value == UNSET:
            env.pop(key, None)
        else:
            env[key] = _fill(value, tmp_path)
    argv = [_fill(arg, tmp_path) for arg in case.argv]

    result = run_step(emu, env, argv, clock=fake_clock, figures=figures)
    figures.counts["bad_inputs"] += 1

    assert result.code == 5, result.stderr[:2000]
    assert emu.requests == []
    assert len(result.stderr_lines) == 1, result.stderr[:2000]
    (line,) = result.stderr_lines
    assert line.startswith("cfstep: ")
    assert len(line) < 1000  # a huge value is cut, not echoed whole
    for words in case.says:
        assert _fill(words, tmp_path) in line
    assert " — " in line  # what happened — what to do
    assert result.stdout == ""
    assert "BUILD_ID" not in result.exports
    assert fake_clock.sleeps == []


def test_a_bad_input_in_a_subprocess_exits_5(tmp_path: Path) -> None:
    result = run_cli(None, base_env(None, PIPELINE_ID="proj/ok", DETACH="ture"), volume=tmp_path)

    assert result.code == 5
    assert result.stderr_lines == ["cfstep: DETACH: 'ture' is not a boolean — use true or false"]
