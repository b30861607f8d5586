"""A property over the API boundary: whatever one endpoint answers — any JSON (lone
surrogates, wrong types, the fields the step reads holding anything), any bytes — the step
never ends in an internal error (exit 70) and never leaves a child it started unmanaged: the
child ended, was terminated, or is reported with its id (exported, and in the output JSON).

Each example runs the real entrypoint against a fresh emulator on a fake clock, so it
takes milliseconds whatever the waits; the examples are the same on every run.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_hostile_answers import ENDPOINTS, arm

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import API_KEY, SECRET, Figures, Result, base_env, run_step
from scenarios import DEFAULT_SCENARIO

PROPERTY = settings(
    max_examples=20,
    deadline=None,  # one example is a whole run; the fake clock keeps it short
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,
    database=None,
)

text = st.text(
    st.one_of(st.characters(), st.characters(categories=["Cs"]), st.sampled_from("\n\x1b\0")),
    max_size=12,
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text)
any_json = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
times = st.sampled_from(
    [
        "2026-01-01T00:00:00+02:00",
        "2026-01-01T00:00:05",
        "9999-12-31T23:59:59-23:59",
        "0001-01-01T00:00:00+01:00",
    ]
)
# The fields the endpoints read, each holding anything or something close to right.
shaped = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(any_json, st.just("a0000000000000000000000a")),
        "status": st.one_of(any_json, st.sampled_from(["success", "error", "running", "weird"])),
        "progress": st.one_of(any_json, st.just("p1")),
        "created": st.one_of(any_json, times),
        "finished": st.one_of(any_json, times),
        "location": st.one_of(
            any_json,
            st.fixed_dictionaries({"type": st.one_of(text, st.just("firebase")), "url": any_json}),
        ),
        "url": any_json,
        "accessToken": any_json,
        "newStructure": any_json,
        "docs": st.lists(st.fixed_dictionaries({"key": text, "value": any_json}), max_size=3),
        "message": any_json,
    },
)
bodies = st.one_of(
    st.one_of(any_json, shaped).map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=40),
    st.integers(1000, 5000).map(lambda depth: b"[" * depth + b"]" * depth),
)


def run_once(endpoint: str, body: bytes, repeat: int, figures: Figures) -> tuple[Emulator, Result]:
    clock = FakeClock()
    emu = Emulator(DEFAULT_SCENARIO, api_key=API_KEY, clock=clock).start()
    try:
        case = ENDPOINTS[endpoint]
        arm(emu, case, body, times=repeat)
        with tempfile.TemporaryDirectory() as folder:
            env = base_env(
                emu,
                PIPELINE_ID=case.pipeline,
                SECRETS=f"TOKEN={SECRET}",
                OUTPUT_JSON=str(Path(folder, "output.json")),
                **dict(case.env),
            )
            result = run_step(emu, env, (), clock, secrets=[SECRET], figures=figures)
    finally:
        emu.stop()
    return emu, result


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@PROPERTY
@given(body=bodies, repeat=st.sampled_from([1, 3, -1]))
def test_any_answer_is_survived_and_no_child_is_left_unmanaged(
    endpoint: str, body: bytes, repeat: int, figures: Figures
) -> None:
    emu, result = run_once(endpoint, body, repeat, figures)
    figures.counts["API boundary examples"] += 1
    assert result.code != 70, result.stderr
    assert "internal error" not in result.stderr, result.stderr
    for build in emu.runs():
        if build.is_final or build.terminated_at is not None:
            continue
        assert build.id in result.exports.get("BUILD_ID", "").split(), result.stderr
        assert build.id in (c["build_id"] for c in result.output_json["children"])
