"""Bad fan-out inputs (docs/fanout.md): exit 5 with a message naming the input, and not one
request sent."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import Result, base_env, run_step

Factory = Callable[..., Emulator]

CASES = [
    # (id, inputs, words the message must hold)
    ("not-a-list", {"PIPELINES": "{pipeline: fan/b}"}, ["PIPELINES", "not a non-empty list"]),
    ("empty-list", {"PIPELINES": "[]"}, ["PIPELINES", "not a non-empty list"]),
    ("plain-text", {"PIPELINES": "fan/b"}, ["PIPELINES", "not a non-empty list"]),
    ("invalid-yaml", {"PIPELINES": "[fan/b, {pipeline: ]"}, ["PIPELINES", "not valid YAML"]),
    ("number-item", {"PIPELINES": "[fan/b, 42]"}, ["PIPELINES item 2", "neither"]),
    ("list-item", {"PIPELINES": "[[fan/b]]"}, ["PIPELINES item 1", "neither"]),
    ("blank-item", {"PIPELINES": "[fan/b, '  ']"}, ["PIPELINES item 2", "neither"]),
    ("map-without-pipeline", {"PIPELINES": "[{branch: main}]"}, ["item 1", "no `pipeline`"]),
    ("blank-pipeline", {"PIPELINES": "[{pipeline: '  '}]"}, ["item 1", "no `pipeline`"]),
    (
        "unknown-key",
        {"PIPELINES": "[fan/b, {pipeline: fan/c, timeout_mins: 5}]"},
        ["PIPELINES item 2", "unknown key 'timeout_mins'", "variables"],
    ),
    (
        "key-twice",
        {"PIPELINES": "[{pipeline: fan/b, pipeline_id: fan/c}]"},
        ["item 1", "'pipeline' is given twice"],
    ),
    (
        "bad-bool",
        {"PIPELINES": "[{pipeline: fan/b, no_cache: ture}]"},
        ["PIPELINES item 1 no_cache", "'ture'", "not a boolean"],
    ),
    (
        "bad-pack",
        {"PIPELINES": "[{pipeline: fan/b, pack_name: huge}]"},
        ["PIPELINES item 1 pack_name", "'huge'"],
    ),
    (
        "bad-variable",
        {"PIPELINES": "[{pipeline: fan/b, variables: [NOEQUALS]}]"},
        ["PIPELINES item 1 variables", "not KEY=VALUE"],
    ),
    (
        "variable-map-of-maps",
        {"PIPELINES": "[{pipeline: fan/b, variables: {A: {B: 1}}}]"},
        ["PIPELINES item 1 variables", "not text"],
    ),
    (
        "text-that-is-a-map",
        {"PIPELINES": "[{pipeline: {name: fan/b}}]"},
        ["PIPELINES item 1 pipeline", "not text"],
    ),
    (
        "missing-yaml-file",
        {"PIPELINES": "[{pipeline: fan/b, yaml: /nonexistent/child.yml}]"},
        ["PIPELINES item 1 yaml", "/nonexistent/child.yml"],
    ),
    (
        "with-pipeline-id",
        {"PIPELINES": "[fan/b]", "PIPELINE_ID": "fan/c"},
        ["PIPELINES", "PIPELINE_ID"],
    ),
    ("with-build-id", {"PIPELINES": "[fan/b]", "BUILD_ID": "abc"}, ["BUILD_ID", "PIPELINES"]),
    ("max-parallel-0", {"PIPELINES": "[fan/b]", "MAX_PARALLEL": "0"}, ["MAX_PARALLEL", "'0'"]),
    ("max-parallel-text", {"PIPELINES": "[fan/b]", "MAX_PARALLEL": "two"}, ["MAX_PARALLEL"]),
    ("fail-fast-typo", {"PIPELINES": "[fan/b]", "FAIL_FAST": "ture"}, ["FAIL_FAST", "'ture'"]),
    (
        "variable-file-list-with-pipelines",
        {"PIPELINES": "[fan/b]", "VARIABLE_FILE": "LIST"},
        ["VARIABLE_FILE", "PIPELINES"],
    ),
    (
        "variable-file-list-of-non-maps",
        {"PIPELINE_ID": "fan/b", "VARIABLE_FILE": "NOT_MAPS"},
        ["VARIABLE_FILE item 2", "not a map"],
    ),
]


@pytest.mark.parametrize(("inputs", "words"), [pytest.param(i, w, id=n) for n, i, w in CASES])
def test_bad_fan_out_input_exits_5_and_sends_nothing(
    emu: Emulator,
    run: Callable[..., Result],
    tmp_path: Path,
    inputs: dict[str, str],
    words: list[str],
) -> None:
    files = {
        "LIST": "- {A: '1'}\n- {A: '2'}\n",
        "NOT_MAPS": "- {A: '1'}\n- just text\n",
    }
    for key, value in list(inputs.items()):
        if value in files:
            path = tmp_path / f"{value.lower()}.yaml"
            path.write_text(files[value])
            inputs = {**inputs, key: str(path)}
    result = run(**inputs)
    assert result.code == 5
    assert emu.requests == []
    assert result.export_lines == []
    message = result.stderr_lines[-1]
    assert message.startswith("cfstep: ")
    for word in words:
        assert word in message
    assert "Traceback" not in result.stderr


def test_a_bad_item_late_in_the_list_stops_the_whole_step_before_the_first_child(
    emu: Emulator, run: Callable[..., Result]
) -> None:
    """Every input is validated before the first request: child 1 is never started."""
    items = ", ".join(["fan/b"] * 9 + ["{pipeline: fan/c, only: [{a: 1}]}"])
    result = run(PIPELINES=f"[{items}]")
    assert result.code == 5
    assert "PIPELINES item 10 only" in result.stderr_lines[-1]
    assert emu.runs() == []
    assert emu.requests == []


def test_dry_run_prints_one_request_per_child_with_secrets_masked_and_sends_nothing(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    env = base_env(
        emu,
        DRY_RUN="true",
        SECRETS="STEP_TOKEN=step-secret-value",
        PIPELINES="[fan/b, {pipeline: fan/c, secrets: {CHILD_TOKEN: child-secret-value}}]",
    )
    result = run_step(emu, env, clock=fake_clock, secrets=["secret-value"])
    out, err, code = result.stdout, result.stderr, result.code
    assert code == 0
    assert emu.requests == []
    decoder = json.JSONDecoder()
    documents, rest = [], out.strip()
    while rest:
        document, end = decoder.raw_decode(rest)
        documents.append(document)
        rest = rest[end:].strip()
    assert [d["url"].rsplit("/", 1)[1] for d in documents] == [
        "fan%2Fb?reqId=<uuid4>",
        "fan%2Fc?reqId=<uuid4>",
    ]
    assert documents[1]["body"]["variables"] == [
        {"key": "STEP_TOKEN", "value": "***", "encrypted": True},
        {"key": "CHILD_TOKEN", "value": "***", "encrypted": True},
    ]
    assert "secret-value" not in out + err
