"""Scenario loading and the pure timeline arithmetic."""

from __future__ import annotations

from pathlib import Path

import pytest

from cfstep.emulator import ScenarioError
from cfstep.emulator.__main__ import demo_scenario
from cfstep.emulator.scenario import Phase, load_scenario, parse_pipeline
from cfstep.emulator.timeline import status_at

YAML_TEXT = """
pipelines:
  p/one:
    id: 0123456789abcdef01234567
    timeline:
      - {status: pending, seconds: 1}
      - {status: running, seconds: 2.5}
    final: error
    logs: [a, b]
    annotations: {cfstep_out_X: "1"}
    triggers: [t1]
    branches: [main]
"""


def test_yaml_text_file_and_dict_give_the_same_pipeline(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(YAML_TEXT)
    from_text = load_scenario(YAML_TEXT)["p/one"]
    assert load_scenario(path)["p/one"] == from_text
    assert load_scenario(str(path))["p/one"] == from_text
    assert from_text.timeline == (Phase("pending", 1.0), Phase("running", 2.5))
    assert (from_text.final, from_text.logs, from_text.triggers) == ("error", ("a", "b"), ("t1",))
    assert dict(from_text.annotations) == {"cfstep_out_X": "1"}


def test_defaults_generate_an_id_and_succeed_at_once() -> None:
    spec = parse_pipeline("p", None)
    assert len(spec.id) == 24
    assert int(spec.id, 16) >= 0
    assert (spec.final, spec.timeline, spec.triggers, spec.branches) == ("success", (), None, None)
    assert parse_pipeline("q", {}).id != spec.id


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ({"timelnie": []}, "unknown keys"),
        ({"timeline": [{"seconds": 1}]}, "needs a status"),
        ({"timeline": [{"status": "running", "seconds": -1}]}, "seconds"),
        ({"timeline": "running"}, "timeline must be a list"),
        ({"logs": "one line"}, "logs must be a list"),
        ({"annotations": ["k"]}, "annotations must be a mapping"),
    ],
    ids=["typo", "no-status", "negative", "not-a-list", "logs-str", "annotations-list"],
)
def test_invalid_pipeline_is_refused_with_its_name(spec: object, fragment: str) -> None:
    with pytest.raises(ScenarioError, match=fragment) as info:
        parse_pipeline("proj/bad", spec)
    assert "proj/bad" in str(info.value)


def test_scenario_must_be_a_mapping_of_pipelines() -> None:
    with pytest.raises(ScenarioError):
        load_scenario({"pipelines": ["a"]})
    with pytest.raises(ScenarioError):
        load_scenario("- a\n- b\n")
    assert load_scenario(None) == {}


SPEC = parse_pipeline(
    "p",
    {
        "timeline": [{"status": "pending", "seconds": 1}, {"status": "running", "seconds": 2}],
        "final": "success",
    },
)


@pytest.mark.parametrize(
    ("elapsed", "status", "started", "finished"),
    [
        (0.0, "pending", None, None),
        (0.999, "pending", None, None),
        (1.0, "running", 101.0, None),
        (2.9, "running", 101.0, None),
        (3.0, "success", 101.0, 103.0),
        (1e6, "success", 101.0, 103.0),
    ],
)
def test_status_follows_the_timeline(
    elapsed: float, status: str, started: float | None, finished: float | None
) -> None:
    moment = status_at(SPEC, 100.0, 100.0 + elapsed)
    assert (moment.status, moment.started, moment.finished) == (status, started, finished)


def test_terminate_passes_through_terminating_for_half_a_second() -> None:
    assert status_at(SPEC, 100.0, 101.4, terminated_at=101.0).status == "terminating"
    moment = status_at(SPEC, 100.0, 101.5, terminated_at=101.0)
    assert (moment.status, moment.finished, moment.natural_end) == ("terminated", 101.5, False)


def test_a_final_that_is_a_running_state_never_finishes() -> None:
    spec = parse_pipeline("p", {"final": "delayed"})
    moment = status_at(spec, 0.0, 1e9)
    assert (moment.status, moment.finished) == ("delayed", None)


def test_demo_scenario_deploys_in_about_four_seconds_with_an_output() -> None:
    pipelines = load_scenario(demo_scenario())
    deploy = pipelines["demo/deploy"]
    assert [p.status for p in deploy.timeline] == ["pending", "running"]
    assert sum(p.seconds or 0 for p in deploy.timeline) == pytest.approx(4, abs=1)
    assert deploy.final == "success"
    assert deploy.logs
    assert "cfstep_out_IMAGE" in deploy.annotations
    assert pipelines["demo/fails"].final == "error"
    assert pipelines["demo/fails"].logs
