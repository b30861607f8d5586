"""Differential test: cfstep's evaluator against npm tevale 0.9.2, Codefresh's own."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import cond_gen
import pytest

from cfstep.conditions import evaluate, substitute
from cfstep.errors import ConditionError

ROOT = Path(__file__).resolve().parents[2]
PREFIX = ROOT / ".cache" / "tevale"
ORACLE = Path(__file__).with_name("tevale_oracle.js")
COUNT = 2_500

# Deliberate: tevale's Member() is lodash `_.get`, which also finds inherited properties
# (`constructor`, `toString`, …) and returns functions; cfstep only reads own properties.
DELIBERATE = {'Member(obj, "constructor")'}


def _unavailable(reason: str) -> None:
    message = f"TEVALE DIFFERENTIAL TEST NOT RUN: {reason}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _tevale() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _unavailable("node and npm are needed (install Node.js 20)")
    if not (PREFIX / "node_modules" / "tevale" / "src" / "tevale.js").exists():
        PREFIX.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [
                str(npm),
                "install",
                "--prefix",
                str(PREFIX),
                "--no-audit",
                "--no-fund",
                "tevale@0.9.2",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            _unavailable(f"npm install tevale@0.9.2 failed: {done.stderr.strip()[-500:]}")
    return Path(str(node))


def _ours(expr: str, variables: dict[str, object]) -> dict[str, object]:
    try:
        return {"valid": True, "result": evaluate(expr, variables)}
    except ConditionError as exc:
        return {"valid": False, "error": exc.message}


@pytest.mark.node
def test_same_verdict_and_result_as_tevale() -> None:
    """Every generated expression: same valid/invalid verdict and same boolean as tevale."""
    node = _tevale()
    cases = cond_gen.build(COUNT)
    # the hand-written corpus too, so its expectations are tevale's and not only ours
    from test_conditions_corpus import CASES

    cases += [(substitute(expr, env), dict(env)) for _, expr, env, _ in CASES]
    lines = "".join(json.dumps({"expr": e, "vars": v}) + "\n" for e, v in cases)
    done = subprocess.run(
        [str(node), str(ORACLE), str(PREFIX)],
        input=lines,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    theirs = [json.loads(line) for line in done.stdout.splitlines() if line]
    assert len(theirs) == len(cases)
    mismatches = []
    valid = 0
    for (expr, variables), their in zip(cases, theirs, strict=True):
        ours = _ours(expr, variables)
        valid += bool(their["valid"])
        same = ours["valid"] == their["valid"] and ours.get("result") == their.get("result")
        if expr in DELIBERATE:
            assert not same, f"deliberate difference vanished: {expr!r}"
        elif not same:
            mismatches.append(f"{expr!r}: tevale {their} cfstep {ours}")
    print(f"compared {len(cases)} expressions with tevale 0.9.2 ({valid} valid)")
    assert not mismatches, "\n".join(mismatches[:40])
    assert len(cases) >= 2_000
