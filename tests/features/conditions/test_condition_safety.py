"""Conditions on values a pull request controls, through the real entrypoint: ordinary
regular expressions on long text run, one that backtracks for ever is stopped by time, and
the README's advice (`Variable("CF_BRANCH")` rather than `"${{CF_BRANCH}}"`) holds against a
branch name that breaks out of its quotes."""

from __future__ import annotations

from pathlib import Path

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from harness import base_env, run_step

COMMIT_325 = "feat(api): " + "add the thing that was asked for " * 9 + "[deploy] now"


def test_an_ordinary_match_on_a_long_commit_message_runs(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    assert len(COMMIT_325) >= 300
    env = base_env(
        emu,
        PIPELINE_ID="proj/ok",
        CF_COMMIT_MESSAGE=COMMIT_325,
        CONDITION_ALL="deploy: 'match(CF_COMMIT_MESSAGE, \"^feat.*\\\\[deploy\\\\].*$\", false)'",
    )
    result = run_step(emu, env, clock=fake_clock)
    assert result.code == 0, result.stderr
    assert result.exports["BUILD_STATUS"] == "success"
    assert len(result.run_requests) == 1


def test_a_prefix_match_on_a_4_kb_commit_message_runs(emu: Emulator, fake_clock: FakeClock) -> None:
    message = "fix: " + "a long explanation of the fix. " * 150
    assert len(message) > 4500
    env = base_env(
        emu,
        PIPELINE_ID="proj/ok",
        CF_COMMIT_MESSAGE=message,
        CONDITION_ALL='match(CF_COMMIT_MESSAGE, "^fix.*", false)',
    )
    result = run_step(emu, env, clock=fake_clock)
    assert result.code == 0, result.stderr
    assert result.exports["BUILD_STATUS"] == "success"


def test_a_branch_only_regex_with_a_repetition_inside_a_repetition_runs(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    branch = "feature/abc-123-login-page-v2"
    assert len(branch) >= 28
    env = base_env(
        emu,
        PIPELINE_ID="proj/ok",
        CF_BRANCH=branch,
        BRANCH_ONLY="/^(feature|bugfix)\\/([a-z0-9]+-?)+$/",
    )
    result = run_step(emu, env, clock=fake_clock)
    assert result.code == 0, result.stderr
    assert result.exports["BUILD_STATUS"] == "success"
    # ... and it still refuses what it does not match, quickly: no backtracking blow-up
    env["CF_BRANCH"] = "feature/" + "abc-" * 20 + "X"
    result = run_step(emu, env, clock=fake_clock)
    assert result.code == 0, result.stderr
    assert result.exports == {"BUILD_STATUS": "skipped"}


BLOW_UP = 'match(SUBJECT, "(a|aa)+$", false)'


def test_a_pattern_that_backtracks_for_ever_is_a_limit_error(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    env = base_env(emu, PIPELINE_ID="proj/ok", SUBJECT="a" * 80 + "b", CONDITION_ALL=BLOW_UP)
    result = run_step(emu, env, clock=fake_clock)
    assert result.code == 5
    assert result.requests == []
    assert result.exports == {}
    (line,) = result.stderr_lines
    assert "regex limit" in line
    assert "1 s" in line


# The README's advice for values from untrusted branches, with its own example.
README_CONDITIONS = (
    'onMain: \'Variable("CF_BRANCH") == "main"\'\n'
    'deployRequested: \'match(Variable("CF_COMMIT_MESSAGE"), "\\\\[deploy\\\\]", false)\'\n'
)


BREAKOUT_BRANCH = 'x"=="x"||"a'  # a valid git branch name


def test_the_readme_condition_example_is_the_readme_text() -> None:
    readme = (Path(__file__).parents[3] / "README.md").read_text(encoding="utf-8")
    indented = "".join(f"        {line}\n" for line in README_CONDITIONS.splitlines())
    assert indented in readme


def test_a_branch_that_breaks_out_of_quotes_is_held_by_variable(
    emu: Emulator, fake_clock: FakeClock
) -> None:
    pasted = base_env(
        emu,
        PIPELINE_ID="proj/ok",
        CF_BRANCH=BREAKOUT_BRANCH,
        CONDITION_ALL='"${{CF_BRANCH}}" == "main"',
    )
    assert (
        run_step(emu, pasted, clock=fake_clock).exports["BUILD_STATUS"] == "success"
    )  # the hazard
    pasted["CF_BRANCH"] = "feature/x"
    assert run_step(emu, pasted, clock=fake_clock).exports == {"BUILD_STATUS": "skipped"}
    named = base_env(
        emu,
        PIPELINE_ID="proj/ok",
        CF_BRANCH=BREAKOUT_BRANCH,
        CF_COMMIT_MESSAGE="fix: [deploy]",
        CONDITION_ALL=README_CONDITIONS,
    )
    result = run_step(emu, named, clock=fake_clock)
    assert result.code == 0
    assert result.exports == {"BUILD_STATUS": "skipped"}
    assert "onMain" in result.stderr
    named["CF_BRANCH"] = "main"
    result = run_step(emu, named, clock=fake_clock)
    assert result.code == 0, result.stderr
    assert result.exports["BUILD_STATUS"] == "success"
