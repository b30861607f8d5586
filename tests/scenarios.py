"""Emulator scenarios shared by the test suite (import: `from scenarios import ...`)."""

from __future__ import annotations

from typing import Any

from harness import SECRET

# Fixed pipeline ids, so tests can also run a pipeline by id.
OK_ID = "a0000000000000000000000a"
FAIL_ID = "a0000000000000000000000b"

FAIL_LOG_LINES = [f"line {n}" for n in range(1, 101)]

DEFAULT_SCENARIO: dict[str, Any] = {
    "pipelines": {
        # pending 1 s, running 2 s, then success at 3 s.
        "proj/ok": {
            "id": OK_ID,
            "timeline": [
                {"status": "pending", "seconds": 1},
                {"status": "running", "seconds": 2},
            ],
            "final": "success",
            "logs": ["Step build: ok", "Step push: ok"],
            "annotations": {"cfstep_out_VERSION": "1.2.3", "other_key": "not an output"},
        },
        # running 1 s, then error, with a 100-line log ("line 1" ... "line 100").
        "proj/fail": {
            "id": FAIL_ID,
            "timeline": [{"status": "running", "seconds": 1}],
            "final": "error",
            "logs": FAIL_LOG_LINES,
        },
        # pending 1 s, then paused at an approval for ever.
        "proj/approval": {
            "timeline": [{"status": "pending", "seconds": 1}, {"status": "pending-approval"}],
        },
        # running for ever (until terminated).
        "proj/slow": {"timeline": [{"status": "running"}]},
        # running 1 s, then terminated (by someone else).
        "proj/terminated": {
            "timeline": [{"status": "running", "seconds": 1}],
            "final": "terminated",
        },
        # running 1 s, then a final status nobody knows.
        "proj/unknown": {
            "timeline": [{"status": "running", "seconds": 1}],
            "final": "weird-status",
        },
        # like proj/ok, but only this trigger and branch are accepted (else 400).
        "proj/strict": {
            "timeline": [{"status": "running", "seconds": 1}],
            "final": "success",
            "triggers": ["deploy-trigger"],
            "branches": ["main"],
        },
    }
}

ODD_PIPELINE = "my project/deploy: prod"
ODD_PIPELINE_SEGMENT = "my%20project%2Fdeploy%3A%20prod"

# DEFAULT_SCENARIO plus the pipelines only end-to-end runs need.
CLI_SCENARIO: dict[str, Any] = {
    "pipelines": {
        **DEFAULT_SCENARIO["pipelines"],
        # A name with `/`, a space and `:`: must travel as ONE percent-encoded segment.
        ODD_PIPELINE: {"timeline": [{"status": "running", "seconds": 1}], "final": "success"},
        # running 2 s, then error, with a log that holds the secret value: masked when shown.
        "proj/leaky-fail": {
            "timeline": [{"status": "running", "seconds": 2}],
            "final": "error",
            "logs": ["connecting", f"token is {SECRET}", "boom"],
        },
        # running 2 s then success; returns a value that holds the secret (masked on export).
        "proj/leaky-ok": {
            "timeline": [{"status": "running", "seconds": 2}],
            "final": "success",
            "annotations": {"cfstep_out_TOKEN": SECRET, "cfstep_out_PLAIN": "visible"},
        },
    }
}


# Every child has its own timeline; `fan/digest` hands values back through annotations.
FANOUT_SCENARIO: dict[str, Any] = {
    "pipelines": {
        "fan/a": {
            "timeline": [{"status": "pending", "seconds": 1}, {"status": "running", "seconds": 4}],
            "final": "success",
            "annotations": {"cfstep_out_DIGEST": "sha256:aaa"},
        },
        "fan/b": {"timeline": [{"status": "running", "seconds": 2}], "final": "success"},
        "fan/c": {"timeline": [{"status": "running", "seconds": 3}], "final": "success"},
        "fan/fail": {
            "timeline": [{"status": "running", "seconds": 2}],
            "final": "error",
            "logs": ["compiling", "boom: the tests failed"],
        },
        "fan/late-fail": {"timeline": [{"status": "running", "seconds": 6}], "final": "error"},
        "fan/terminated": {
            "timeline": [{"status": "running", "seconds": 2}],
            "final": "terminated",
        },
        "fan/slow": {"timeline": [{"status": "running"}]},
        "fan/digest": {
            "timeline": [{"status": "running", "seconds": 2}],
            "final": "success",
            "annotations": {
                "cfstep_out_DIGEST": "sha256:0123abcd",
                "cfstep_out_URL": "https://app.example.com/r/42?a=1&b=2",
                "release_VERSION": "7.1.0",
                "unrelated": "not an output",
            },
        },
    }
}

# Every pipeline the end-to-end tests run: the `emu` and `real_emu` fixtures serve it.
SUITE_SCENARIO: dict[str, Any] = {
    "pipelines": {**CLI_SCENARIO["pipelines"], **FANOUT_SCENARIO["pipelines"]}
}
