"""Emulator scenarios shared by the test suite (import: `from scenarios import ...`)."""

from __future__ import annotations

from typing import Any

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
