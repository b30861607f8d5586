"""Every bad input: exit 5, ONE line on stderr that names the input, nothing sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import SECRET, base_env, run_cli, run_step

UNSET = "<unset>"


@dataclass(frozen=True)
class Bad:
    id: str
    env: dict[str, str]
    argv: tuple[str, ...] = ()
    says: tuple[str, ...] = ()  # all in the one line, besides cfstep:
    files: dict[str, bytes] = field(default_factory=dict)  # name -> content, in tmp_path


def bad(
    id: str, env: dict[str, str], *argv: str, says: tuple[str, ...] = (), **files: bytes
) -> Bad:
    return Bad(id, env, argv, says, files)


CASES = [
    # booleans
    bad("bool-typo", {"DETACH": "ture"}, says=("DETACH", "'ture'", "true or false")),
    bad("bool-word", {"NO_CACHE": "maybe"}, says=("NO_CACHE", "'maybe'")),
    bad("bool-number", {"TERMINATE_ON_CANCEL": "2"}, says=("TERMINATE_ON_CANCEL", "'2'")),
    bad("bool-insecure", {"INSECURE": "y"}, says=("INSECURE",)),
    bad("bool-dry-run", {"DRY_RUN": "nope"}, says=("DRY_RUN",)),
    bad("bool-propagate", {"PROPAGATE_FAILURE": "truee"}, says=("PROPAGATE_FAILURE",)),
    bad("bool-terminate-on-timeout", {"TERMINATE_ON_TIMEOUT": "x"}, says=("TERMINATE_ON_TIMEOUT",)),
    # numbers
    bad("timeout-zero", {"TIMEOUT_MINS": "0"}, says=("TIMEOUT_MINS", "'0'")),
    bad("timeout-word", {"TIMEOUT_MINS": "abc"}, says=("TIMEOUT_MINS", "'abc'")),
    bad("timeout-negative", {"TIMEOUT_MINS": "-5"}, says=("TIMEOUT_MINS",)),
    bad("timeout-nan", {"TIMEOUT_MINS": "nan"}, says=("TIMEOUT_MINS",)),
    bad("timeout-inf", {"TIMEOUT_MINS": "inf"}, says=("TIMEOUT_MINS",)),
    bad("timeout-unit", {"TIMEOUT_MINS": "10m"}, says=("TIMEOUT_MINS", "'10m'")),
    bad("timeout-flag", {}, "--timeout-mins", "0", says=("TIMEOUT_MINS",)),
    bad("poll-below-1", {"POLL_MAX_SECONDS": "0.5"}, says=("POLL_MAX_SECONDS",)),
    bad("log-tail-negative", {"LOG_TAIL": "-1"}, says=("LOG_TAIL", "'-1'")),
    bad("log-tail-decimal", {"LOG_TAIL": "1.5"}, says=("LOG_TAIL",)),
    bad("log-tail-word", {"LOG_TAIL": "ten"}, says=("LOG_TAIL",)),
    bad("max-parallel-zero", {"MAX_PARALLEL": "0"}, says=("MAX_PARALLEL",)),
    # choices
    bad("on-timeout", {"ON_TIMEOUT": "maybe"}, says=("ON_TIMEOUT", "'maybe'", "terminate")),
    bad("on-approval", {"ON_APPROVAL": "skip"}, says=("ON_APPROVAL", "'skip'")),
    bad("pack-name", {"PACK_NAME": "huge"}, says=("PACK_NAME", "'huge'", "small")),
    bad("pack-name-flag", {}, "--pack-name", "huge", says=("PACK_NAME", "'huge'")),
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
    bad("annotation-no-equals", {"ANNOTATION": "owner"}, says=("ANNOTATION",)),
    bad("secret-no-equals", {"SECRETS": SECRET}, says=("SECRETS", "hidden")),
    bad("secret-flag-no-equals", {}, "-S", SECRET, says=("SECRETS", "hidden")),
    bad("secret-map-item", {"SECRETS": f"- TOKEN: {SECRET}"}, says=("SECRETS", "hidden")),
    # what to run
    bad("no-pipeline", {"PIPELINE_ID": UNSET}, says=("PIPELINE_ID", "not set")),
    bad("blank-pipeline", {"PIPELINE_ID": "   "}, says=("PIPELINE_ID", "not set")),
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
    # the command line
    bad("unknown-flag", {}, "--detahc", says=("--detahc", "cfstep --help")),
    bad("abbreviated-flag", {}, "--pipe", "proj/ok", says=("--pipe",)),
    bad("flag-without-value", {}, "--timeout-mins", says=("--timeout-mins",)),
    bad("extra-positional", {"PIPELINE_ID": UNSET}, "proj/ok", "proj/fail", says=("proj/fail",)),
    # files
    bad("yaml-missing", {"YAML": "{tmp}/nope.yml"}, says=("YAML", "nope.yml", "cannot read")),
    bad("yaml-directory", {"YAML": "{tmp}"}, says=("YAML",)),
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
    # outputs
    bad("export-file-unwritable", {"EXPORT_FILE": "{tmp}/no/such/dir/out"}, says=("EXPORT_FILE",)),
    bad("output-json-unwritable", {"OUTPUT_JSON": "{tmp}/no/dir/o.json"}, says=("OUTPUT_JSON",)),
    bad("output-json-a-folder", {}, "--output-json", "{tmp}", says=("OUTPUT_JSON", "folder")),
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
    emu: Emulator, clock: FakeClock, tmp_path: Path, case: Bad
) -> None:
    for name, content in case.files.items():
        (tmp_path / name).write_bytes(content)
    env = base_env(emu, PIPELINE_ID="proj/ok")
    for key, value in case.env.items():
        if value == UNSET:
            env.pop(key, None)
        else:
            env[key] = _fill(value, tmp_path)
    argv = [_fill(arg, tmp_path) for arg in case.argv]

    result = run_step(emu, env, argv, clock=clock)

    assert result.code == 5, result.stderr
    assert emu.requests == []
    assert len(result.stderr_lines) == 1, result.stderr
    (line,) = result.stderr_lines
    assert line.startswith("cfstep: ")
    for words in case.says:
        assert _fill(words, tmp_path) in line
    assert " — " in line  # what happened — what to do
    assert result.stdout == ""
    assert "BUILD_ID" not in result.exports
    assert clock.sleeps == []


def test_a_bad_input_in_a_subprocess_exits_5(tmp_path: Path) -> None:
    result = run_cli(None, base_env(None, PIPELINE_ID="proj/ok", DETACH="ture"), volume=tmp_path)

    assert result.code == 5
    assert result.stderr_lines == ["cfstep: DETACH: 'ture' is not a boolean — use true or false"]
