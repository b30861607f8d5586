"""Hostile and unlucky inputs through the real entrypoint and the emulator: ordinary regular
expressions run, a blow-up is stopped by time, every output key is a name, returned values
are filtered, and no secret reaches any output whatever the shape of the error."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from cfstep.emulator import Emulator
from cfstep.emulator.faults import Fault
from fakeclock import FakeClock
from harness import API_KEY, RUN_PREFIX, SECRET, base_env, run_step, start_cli

# -- regular expressions: bounded by time, not by shape -----------------------------------

COMMIT_325 = "feat(api): " + "add the thing that was asked for " * 9 + "[deploy] now"


def test_an_ordinary_match_on_a_long_commit_message_runs(emu: Emulator, clock: FakeClock) -> None:
    assert len(COMMIT_325) >= 300
    env = base_env(
        emu,
        PIPELINE_ID="proj/ok",
        CF_COMMIT_MESSAGE=COMMIT_325,
        CONDITION_ALL="deploy: 'match(CF_COMMIT_MESSAGE, \"^feat.*\\\\[deploy\\\\].*$\", false)'",
    )
    result = run_step(emu, env, clock=clock)
    assert result.code == 0, result.stderr
    assert result.exports["BUILD_STATUS"] == "success"
    assert len(result.run_requests) == 1


def test_a_prefix_match_on_a_4_kb_commit_message_runs(emu: Emulator, clock: FakeClock) -> None:
    message = "fix: " + "a long explanation of the fix. " * 150
    assert len(message) > 4500
    env = base_env(
        emu,
        PIPELINE_ID="proj/ok",
        CF_COMMIT_MESSAGE=message,
        CONDITION_ALL='match(CF_COMMIT_MESSAGE, "^fix.*", false)',
    )
    result = run_step(emu, env, clock=clock)
    assert result.code == 0, result.stderr
    assert result.exports["BUILD_STATUS"] == "success"


def test_a_branch_only_regex_with_a_repetition_inside_a_repetition_runs(
    emu: Emulator, clock: FakeClock
) -> None:
    branch = "feature/abc-123-login-page-v2"
    assert len(branch) >= 28
    env = base_env(
        emu,
        PIPELINE_ID="proj/ok",
        CF_BRANCH=branch,
        BRANCH_ONLY="/^(feature|bugfix)\\/([a-z0-9]+-?)+$/",
    )
    result = run_step(emu, env, clock=clock)
    assert result.code == 0, result.stderr
    assert result.exports["BUILD_STATUS"] == "success"
    # ... and it still refuses what it does not match, quickly: no backtracking blow-up
    env["CF_BRANCH"] = "feature/" + "abc-" * 20 + "X"
    result = run_step(emu, env, clock=clock)
    assert result.code == 0, result.stderr
    assert result.exports == {"BUILD_STATUS": "skipped"}


BLOW_UP = 'match(SUBJECT, "(a|aa)+$", false)'


def test_a_pattern_that_backtracks_for_ever_is_a_limit_error(
    emu: Emulator, clock: FakeClock
) -> None:
    env = base_env(emu, PIPELINE_ID="proj/ok", SUBJECT="a" * 80 + "b", CONDITION_ALL=BLOW_UP)
    result = run_step(emu, env, clock=clock)
    assert result.code == 5
    assert result.requests == []
    assert result.exports == {}
    (line,) = result.stderr_lines
    assert "regex limit" in line
    assert "1 s" in line


def _handles_sigterm(pid: int) -> bool:
    """Whether the process has installed its SIGTERM handler (SigCgt in /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGTERM - 1)))
    return False


def test_sigterm_while_a_pattern_backtracks_is_honoured(real_emu: Emulator, tmp_path: Path) -> None:
    env = base_env(real_emu, PIPELINE_ID="proj/ok", SUBJECT="a" * 80 + "b", CONDITION_ALL=BLOW_UP)
    running = start_cli(real_emu, env, volume=tmp_path)
    give_up = time.monotonic() + 15
    while not _handles_sigterm(running.process.pid) and time.monotonic() < give_up:
        time.sleep(0.01)
    running.process.send_signal(signal.SIGTERM)
    result = running.finish(timeout=15)
    assert result.code == 143, result.stderr
    assert not result.sent("POST", RUN_PREFIX)
    assert "SIGTERM" in result.stderr


# -- returned values: a documented rule, one warning per refusal --------------------------

HOSTILE_RETURNS = {
    "cfstep_out_PATH": "/tmp/evil:/usr/bin",
    "cfstep_out_LD_PRELOAD": "/tmp/evil.so",
    "cfstep_out_HOME": "/tmp/evil",
    "cfstep_out_CF_API_KEY": "stolen",
    "cfstep_out_CF_BRANCH": "main",
    "cfstep_out_PYTHONPATH": "/tmp/evil",
    "cfstep_out_BUILD_STATUS": "success",
    "cfstep_out_go_CF_OUTPUT_URL": "https://evil.example.com",
    "cfstep_out_https_proxy": "http://evil.example.com:3128",
    "cfstep_out_HUGE": "x" * 300_000,
    "cfstep_out_NUL": "a\x00b",
    "cfstep_out_ESC": "\x1b[31mred",
    "cfstep_out_VERSION": "1.2.3",
    "cfstep_out_NOTES": "line one\nline two",
}


def test_returned_values_are_filtered_by_the_documented_rule(
    emu: Emulator, clock: FakeClock
) -> None:
    emu.add_pipeline(
        "proj/hostile-returns",
        {
            "timeline": [{"status": "running", "seconds": 1}],
            "final": "success",
            "annotations": HOSTILE_RETURNS,
        },
    )
    env = base_env(emu, PIPELINE_ID="proj/hostile-returns", CF_STEP_NAME="go")
    result = run_step(emu, env, clock=clock)
    assert result.code == 0, result.stderr
    (build,) = emu.runs()
    assert result.exports == {
        "BUILD_ID": build.id,
        "BUILD_URL": f"{emu.url}/build/{build.id}",
        "go_CF_OUTPUT_URL": f"{emu.url}/build/{build.id}",
        "BUILD_STATUS": "success",
        "BUILD_DURATION_SECONDS": "1",
        "VERSION": "1.2.3",
        "NOTES": "line one line two",
    }
    refusals = [line for line in result.stderr_lines if "not returned" in line]
    assert len(refusals) == len(HOSTILE_RETURNS) - 2  # one line each
    assert all(len(line) < 400 for line in refusals)  # the 300 KB value is not shown
    assert "\x00" not in result.stderr
    assert "\x1b" not in result.stderr
    assert "\x00" not in result.export_text
    assert "\x1b" not in result.export_text


# -- output keys: one validator for every key written --------------------------------------


def test_a_step_name_with_a_line_break_writes_no_extra_line(
    emu: Emulator, clock: FakeClock
) -> None:
    env = base_env(emu, PIPELINE_ID="proj/fail", CF_STEP_NAME="go\nBUILD_STATUS=success\nx")
    result = run_step(emu, env, clock=clock)
    assert result.code == 1
    (build,) = emu.runs()
    assert result.exports == {
        "BUILD_ID": build.id,
        "BUILD_URL": f"{emu.url}/build/{build.id}",
        "BUILD_STATUS": "error",
        "BUILD_DURATION_SECONDS": "1",
    }
    assert all("=" in line for line in result.export_text.splitlines())
    warnings = [line for line in result.stderr_lines if "CF_STEP_NAME" in line]
    assert len(warnings) == 1
    assert "not exported" in warnings[0]


def test_a_step_name_with_a_hyphen_keeps_its_link(emu: Emulator, clock: FakeClock) -> None:
    """Codefresh step names are often `trigger-deploy`: `-` cannot break the export file,
    so the step keeps its link in the UI."""
    env = base_env(emu, PIPELINE_ID="proj/ok", CF_STEP_NAME="trigger-deploy.v2")
    result = run_step(emu, env, clock=clock)
    assert result.code == 0
    assert result.exports["trigger-deploy.v2_CF_OUTPUT_URL"] == result.exports["BUILD_URL"]
    assert [line for line in result.stderr_lines if "warning" in line] == []


# -- secrets in error paths: never echoed, masked in the final text of every output --------


def test_a_secrets_map_where_a_list_item_belongs_is_not_echoed(
    emu: Emulator, clock: FakeClock
) -> None:
    pipelines = f'[{{pipeline: proj/ok, secrets: [{{TOKEN: "{SECRET}"}}]}}]'
    result = run_step(emu, base_env(emu, PIPELINES=pipelines), clock=clock)
    assert result.code == 5
    assert result.requests == []
    assert result.exports == {}
    (line,) = result.stderr_lines
    assert "PIPELINES item 1 secrets" in line
    assert "TOKEN" not in line


@pytest.mark.parametrize(
    "pipelines",
    [
        f"{{pipeline: proj/ok, secrets: [TOKEN={SECRET}]}}",  # a map where the list belongs
        f"- [proj/ok, {{secrets: [TOKEN={SECRET}]}}]",  # an item that is a list
        f"- pipeline: proj/ok\n  secrets: {{TOKEN: [{SECRET}]}}",  # a value that is a list
        f"- pipeline: proj/ok\n  secrets: {SECRET}",  # not KEY=VALUE
    ],
    ids=["map-not-list", "item-is-a-list", "value-is-a-list", "no-equals"],
)
def test_no_malformed_secrets_form_is_echoed(
    emu: Emulator, clock: FakeClock, pipelines: str
) -> None:
    result = run_step(emu, base_env(emu, PIPELINES=pipelines), clock=clock)
    assert result.code == 5
    assert result.requests == []
    assert len(result.stderr_lines) == 1  # the leak check in run_step: SECRET absent


def test_a_misspelt_api_key_flag_does_not_print_its_value(emu: Emulator, clock: FakeClock) -> None:
    env = base_env(emu)
    del env["CF_API_KEY"]
    result = run_step(emu, env, ["proj/ok", "--apikey", API_KEY], clock=clock)
    assert result.code == 5
    assert result.requests == []
    (line,) = result.stderr_lines
    assert "--apikey" in line
    assert "hidden" in line


def _secret_env(emu: Emulator, secret: str, **extra: str) -> dict[str, str]:
    return base_env(emu, SECRETS=json.dumps([f"TOKEN={secret}"]), **extra)


def test_a_secret_cut_by_a_long_server_message_is_masked(emu: Emulator, clock: FakeClock) -> None:
    message = "invalid variable value " + "x" * (300 - 23 - 10) + " " + SECRET
    body = json.dumps({"message": message}).encode()
    emu.add_fault(Fault("POST", RUN_PREFIX, "status", status=400, body=body))
    result = run_step(emu, _secret_env(emu, SECRET, PIPELINE_ID="proj/ok"), clock=clock)
    assert result.code == 4
    assert result.exports == {}
    assert SECRET[:9] not in result.stderr  # not even the part before the cut
    assert "***…" in result.stderr


def test_a_secret_with_whitespace_collapsed_by_the_message_is_masked(
    emu: Emulator, clock: FakeClock
) -> None:
    secret = "multi  word\tSENSITIVE\nsecret"  # noqa: S105 - a test value
    body = json.dumps({"message": f"refused: {secret}"}).encode()
    emu.add_fault(Fault("POST", RUN_PREFIX, "status", status=400, body=body))
    result = run_step(
        emu, _secret_env(emu, secret, PIPELINE_ID="proj/ok"), clock=clock, secrets=[secret]
    )
    assert result.code == 4
    assert "refused: ***" in result.stderr
    assert "word SENSITIVE" not in result.stderr


def test_a_secret_escaped_in_a_condition_message_is_masked(emu: Emulator, clock: FakeClock) -> None:
    """The condition is shown with `\\` doubled; the secret's quote breaks the syntax."""
    secret = 'back\\slash"SENSITIVE'  # noqa: S105 - a test value
    env = _secret_env(emu, secret, PIPELINE_ID="proj/ok", CONDITION_ALL='"${{TOKEN}}" == "x"')
    env["TOKEN"] = secret
    result = run_step(emu, env, clock=clock, secrets=[secret, secret.replace("\\", "\\\\")])
    assert result.code == 5
    assert result.requests == []
    assert "***" in result.stderr


PEM = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7SENSITIVEaaaa\n"
    "bbbbSENSITIVEcccc1234567890abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL\n"
    "Zm9v\n"
    "-----END PRIVATE KEY-----"
)


def test_a_multi_line_secret_in_the_log_tail_is_masked(emu: Emulator, clock: FakeClock) -> None:
    emu.add_pipeline(
        "proj/pem-log",
        {
            "timeline": [{"status": "running", "seconds": 1}],
            "final": "error",
            "logs": ["loading the key:", *PEM.splitlines(), "boom"],
        },
    )
    result = run_step(
        emu, _secret_env(emu, PEM, PIPELINE_ID="proj/pem-log", FOLLOW_LOGS="false"), clock=clock
    )
    assert result.code == 1
    assert result.exports["BUILD_STATUS"] == "error"
    assert "  | boom" in result.stderr
    assert "  | ***" in result.stderr


def test_a_multi_line_secret_returned_is_masked_in_its_joined_form(
    emu: Emulator, clock: FakeClock
) -> None:
    emu.add_pipeline(
        "proj/pem-return",
        {
            "timeline": [{"status": "running", "seconds": 1}],
            "final": "success",
            "annotations": {"cfstep_out_KEY": PEM.replace("\n", "\r\n")},
        },
    )
    env = _secret_env(emu, PEM, PIPELINE_ID="proj/pem-return", OUTPUT_JSON="")
    result = run_step(emu, env, clock=clock)
    assert result.code == 0
    assert "SENSITIVE" not in result.exports["KEY"]


# -- smaller: bad text is exit 5 with one line, never 70; no "status None" -------------------


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ({"CF_URL": "http://127.0.0.1:9/ä"}, "non-ASCII"),
        ({"CF_URL": "http://" + "a" * 64 + ".example.com"}, "1 to 63 characters"),
        ({"PIPELINE_ID": os.fsdecode(b"proj/\xffok")}, "not UTF-8"),
        ({"VARIABLE": os.fsdecode(b"A=\xff")}, "not UTF-8"),
        ({"BUILD_ID": "abc\ndef", "PIPELINE_ID": ""}, "not a build id"),
    ],
    ids=["url-non-ascii", "url-long-label", "pipeline-not-utf8", "variable-not-utf8", "build-id"],
)
def test_unusable_text_is_exit_5_with_one_line(
    emu: Emulator, clock: FakeClock, extra: dict[str, str], says: str
) -> None:
    env = {**base_env(emu, PIPELINE_ID="proj/ok"), **extra}
    result = run_step(emu, env, clock=clock)
    assert result.code == 5, result.stderr
    assert result.requests == []
    assert result.exports == {}
    (line,) = result.stderr_lines
    assert says in line


def test_a_build_id_with_a_trailing_line_break_is_followed_without_it(
    emu: Emulator, clock: FakeClock
) -> None:
    started = run_step(emu, base_env(emu, PIPELINE_ID="proj/ok", DETACH="true"), clock=clock)
    build_id = started.exports["BUILD_ID"]
    result = run_step(emu, base_env(emu, BUILD_ID=build_id + "\n"), clock=clock)
    assert result.code == 0, result.stderr
    assert result.exports["BUILD_ID"] == build_id
    assert result.exports["BUILD_URL"] == f"{emu.url}/build/{build_id}"
    assert result.exports["BUILD_STATUS"] == "success"


def test_a_timeout_before_any_status_never_says_status_none(
    emu: Emulator, clock: FakeClock
) -> None:
    emu.add_fault(Fault("GET", "/api/builds/", "status", times=-1, status=503))
    env = base_env(emu, PIPELINE_ID="proj/ok", TIMEOUT_MINS="0.1")
    result = run_step(emu, env, clock=clock)
    assert result.code == 3, result.stderr
    assert result.exports["BUILD_STATUS"] == "timeout"
    assert "None" not in result.stderr
    assert "no status read: the last 3 status answers could not be read" in result.stderr_lines[-1]


# The README's advice for values from untrusted branches, with its own example.
README_CONDITIONS = (
    'onMain: \'Variable("CF_BRANCH") == "main"\'\n'
    'deployRequested: \'match(Variable("CF_COMMIT_MESSAGE"), "\\\\[deploy\\\\]", false)\'\n'
)
BREAKOUT_BRANCH = 'x"=="x"||"a'  # a valid git branch name


def test_the_readme_condition_example_is_the_readme_text() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    indented = "".join(f"        {line}\n" for line in README_CONDITIONS.splitlines())
    assert indented in readme


def test_a_branch_that_breaks_out_of_quotes_is_held_by_variable(
    emu: Emulator, clock: FakeClock
) -> None:
    pasted = base_env(
        emu,
        PIPELINE_ID="proj/ok",
        CF_BRANCH=BREAKOUT_BRANCH,
        CONDITION_ALL='"${{CF_BRANCH}}" == "main"',
    )
    assert run_step(emu, pasted, clock=clock).exports["BUILD_STATUS"] == "success"  # the hazard
    pasted["CF_BRANCH"] = "feature/x"
    assert run_step(emu, pasted, clock=clock).exports == {"BUILD_STATUS": "skipped"}
    named = base_env(
        emu,
        PIPELINE_ID="proj/ok",
        CF_BRANCH=BREAKOUT_BRANCH,
        CF_COMMIT_MESSAGE="fix: [deploy]",
        CONDITION_ALL=README_CONDITIONS,
    )
    result = run_step(emu, named, clock=clock)
    assert result.code == 0
    assert result.exports == {"BUILD_STATUS": "skipped"}
    assert "onMain" in result.stderr
    named["CF_BRANCH"] = "main"
    result = run_step(emu, named, clock=clock)
    assert result.code == 0, result.stderr
    assert result.exports["BUILD_STATUS"] == "success"
