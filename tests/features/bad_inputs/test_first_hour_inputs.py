"""The first hour's input mistakes, through the entrypoint: each one line that names the
input and says what to do (README, "Inputs")."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest

from cfstep import cli
from cfstep.emulator import Emulator, Fault
from fakeclock import FakeClock
from harness import API_KEY, Result, base_env, run_step

SCENARIO = {
    "pipelines": {
        "demo/deploy": {"timeline": [{"status": "running", "seconds": 1}], "final": "success"},
    }
}


@pytest.fixture
def demo_emu(emulator: Callable[..., Emulator], fake_clock: FakeClock) -> Emulator:
    return emulator(SCENARIO, clock=fake_clock, api_key=API_KEY)


def _run_with_key(
    demo_emu: Emulator, key: str, env: Mapping[str, str], tmp_path: Path, argv: Sequence[str] = ()
) -> Result:
    """The real entrypoint, without the harness's leak scan: a key of a few letters is in
    ordinary words (`x` in `existing`), which is the point here."""
    out, err = io.StringIO(), io.StringIO()
    environ = {**base_env(demo_emu), "CF_VOLUME_PATH": str(tmp_path), **env, "CF_API_KEY": key}
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv), environ, meta_export=tmp_path / "no-meta" / "export")
    return Result(code, out.getvalue(), err.getvalue())


def test_a_short_key_garbles_no_message(demo_emu: Emulator, tmp_path: Path) -> None:
    """`CF_API_KEY=demo` once printed `…/run/***%2Fdeploy`."""
    result = _run_with_key(demo_emu, "demo", {"PIPELINE_ID": "demo/deploy"}, tmp_path)
    assert result.code == 4  # the emulator refuses the key
    warning, triggering, closing = result.stderr_lines
    assert warning.startswith("warning: CF_API_KEY looks too short to be a Codefresh key (4 ")
    assert triggering.startswith("Triggering demo/deploy ")
    assert "/api/pipelines/run/demo%2Fdeploy?reqId=" in closing
    assert "***" not in closing


def test_a_one_letter_key_leaves_words_whole(demo_emu: Emulator, tmp_path: Path) -> None:
    """`CF_API_KEY=x` once printed `e***isting build`."""
    result = _run_with_key(demo_emu, "x", {}, tmp_path)
    assert result.code == 5
    assert "or BUILD_ID to follow an existing build" in result.stderr_lines[-1]
    assert "***" not in result.stderr


def test_a_short_key_standing_alone_is_still_masked(demo_emu: Emulator, tmp_path: Path) -> None:
    body = json.dumps({"message": "the key demo is not valid"}).encode()
    demo_emu.add_fault(Fault("POST", "/api/pipelines/run/", "status", status=401, body=body))
    result = _run_with_key(demo_emu, "demo", {"PIPELINE_ID": "demo/deploy"}, tmp_path)
    assert result.code == 4
    assert "(the key *** is not valid)" in result.stderr_lines[-1]
    assert "run/demo%2Fdeploy" in result.stderr_lines[-1]


def test_a_url_ending_in_api_is_corrected(demo_emu: Emulator, fake_clock: FakeClock) -> None:
    """A CF_URL ending in `/api` once gave a 404 on `/api/api/…` and a message telling to
    check PIPELINE_ID."""
    env = base_env(
        demo_emu, PIPELINE_ID="demo/deploy", CF_URL=f"{demo_emu.url}/api/", DETACH="true"
    )
    result = run_step(demo_emu, env, clock=fake_clock)
    assert result.code == 0, result.stderr
    assert result.stderr_lines[0] == (
        f"CF_URL: '{demo_emu.url}/api/' ends in '/api', which cfstep adds itself: "
        f"using {demo_emu.url}"
    )
    assert [r.path for r in result.run_requests] == ["/api/pipelines/run/demo%2Fdeploy"]


def test_a_page_of_codefresh_as_url_is_refused(demo_emu: Emulator, fake_clock: FakeClock) -> None:
    env = base_env(
        demo_emu, PIPELINE_ID="demo/deploy", CF_URL="https://g.codefresh.io/pipelines/demo"
    )
    result = run_step(demo_emu, env, clock=fake_clock)
    assert result.code == 5
    assert result.stderr_lines == [
        "cfstep: CF_URL: 'https://g.codefresh.io/pipelines/demo' has a path (/pipelines/demo) "
        "— give the address alone: https://g.codefresh.io"
    ]
    assert result.requests == []


def test_a_list_missing_its_bracket_is_not_sent(demo_emu: Emulator, fake_clock: FakeClock) -> None:
    """`VARIABLE='[APP_VERSION=1.2.3, NOTE=a'` was once sent as the key `[APP_VERSION`."""
    env = base_env(demo_emu, PIPELINE_ID="demo/deploy", VARIABLE="[APP_VERSION=1.2.3, NOTE=a")
    result = run_step(demo_emu, env, clock=fake_clock)
    assert result.code == 5
    assert result.stderr_lines == [
        "cfstep: VARIABLE: the value is not valid YAML/JSON (expected ',' or ']', but got "
        "'<stream end>' at line 1, column 27) — close the list, quote an item that holds `: ` "
        "or `, `, or give one item per line without brackets or dashes"
    ]
    assert result.requests == []


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        (["-v", '"APP_VERSION"=1.2.3'], {}),
        ([], {"VARIABLE": "{APP_VERSION=1.2.3}"}),
        ([], {"VARIABLE_FILE": "{vars}"}),
        ([], {"PIPELINES": '[{pipeline: demo/deploy, variables: ["[A=1"]}]'}),
    ],
    ids=["quoted-key-flag", "braced-env", "variable-file", "pipelines-item"],
)
def test_a_key_that_is_not_a_variable_name_is_exit_5(
    demo_emu: Emulator, fake_clock: FakeClock, tmp_path: Path, argv: list[str], env: dict[str, str]
) -> None:
    (tmp_path / "vars.yml").write_text("'[APP_VERSION': 1.2.3\n")
    env = {k: v.replace("{vars}", str(tmp_path / "vars.yml")) for k, v in env.items()}
    pipeline = {} if "PIPELINES" in env else {"PIPELINE_ID": "demo/deploy"}
    result = run_step(demo_emu, base_env(demo_emu, **pipeline, **env), argv, clock=fake_clock)
    assert result.code == 5, result.stderr
    (line,) = result.stderr_lines
    assert "— " in line
    assert "is not a variable name" in line or "not valid YAML" in line or "a map" in line
    assert result.requests == []


def test_a_bad_condition_says_what_to_change(demo_emu: Emulator, fake_clock: FakeClock) -> None:
    """`"${{X}}" == 42` once got a reason that contradicted itself, and no fix."""
    env = base_env(demo_emu, PIPELINE_ID="demo/deploy", CONDITION_ALL='"${{X}}" == 42', X="1")
    result = run_step(demo_emu, env, clock=fake_clock)
    assert result.code == 5
    assert result.stderr_lines == [
        "cfstep: CONDITION_ALL condition 'condition' cannot be evaluated: The operator == "
        "cannot be used with string,number: both sides must be of one type: two numbers, two "
        'strings or two booleans (null and a string may be compared); text: "1" == 42 — '
        'quote the number to compare text ("42"), or make the text a number: '
        'Number("${{NAME}}")'
    ]
    assert result.requests == []
