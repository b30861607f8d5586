"""Scenario model: which pipelines the emulator knows and how their builds unfold.

A scenario is YAML (a file, or YAML text) or the same structure as a dict:

    pipelines:
      my-project/deploy:
        id: 64b0c0ffee0123456789abcd        # optional, generated if absent
        timeline: [{status: pending, seconds: 1}, {status: running, seconds: 3}]
        final: success
        logs: ["Step 1 ...", "Step 2 ..."]      # or, step by step:
        steps:                                  # one after the other from the start;
          - {name: Clone, seconds: 1, lines: ["Cloning", "done"]}  # lines spread evenly
          - {name: Build, lines: ["Building"]}  # the last step lasts until the build ends
        annotations: {cfstep_out_DIGEST: "sha256:abc"}
        triggers: [deploy-trigger]            # optional: unknown trigger -> 400; an item
                                              # may be a map: {name, type, modifiedFilesGlob}
        branches: [main]                      # optional: unknown branch -> 400
        builds:                               # optional: builds that ended before the run,
          - {status: success, branch: main, revision: 1a2b…, seconds_ago: 3600}  # listed
                                              # by GET /api/workflow, newest first

A build has a `finished` time once it reaches `final`, unless `final` is itself a running
state; a timeline phase never has one. So a status Codefresh might add is played either
way: as a phase (`{status: warming-up, seconds: 20}`: no `finished`, the step keeps
waiting) or as `final: weird-status` (with `finished`: an end the step does not know).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from typing import Any

PIPELINE_KEYS = frozenset(
    {"id", "timeline", "final", "logs", "steps", "annotations", "triggers", "branches", "builds"}
)
PAST_BUILD_KEYS = frozenset({"status", "branch", "revision", "seconds_ago"})


class ScenarioError(ValueError):
    """A scenario that cannot be loaded; the message names the pipeline and the field."""


@dataclass(frozen=True)
class Phase:
    """One step of a build's life: `status` for `seconds` (None: for ever)."""

    status: str
    seconds: float | None


@dataclass(frozen=True)
class StepSpec:
    """One step of the child's log: its name, how long it runs, the lines it writes."""

    name: str
    seconds: float | None
    lines: tuple[str, ...]


@dataclass(frozen=True)
class EarlierBuild:
    """A build that ended before the emulator started, as GET /api/workflow lists it."""

    status: str
    branch: str
    revision: str
    seconds_ago: float


@dataclass(frozen=True)
class PipelineSpec:
    """One pipeline of the scenario, validated."""

    name: str
    id: str
    timeline: tuple[Phase, ...]
    final: str
    logs: tuple[str, ...]
    annotations: Mapping[str, Any]
    triggers: tuple[str, ...] | None
    branches: tuple[str, ...] | None
    steps: tuple[StepSpec, ...] = ()
    # A trigger's other fields, by its name, as GET /api/pipelines/<name> shows them:
    # `type` (default git), `modifiedFilesGlob`, `id` (default: its name).
    trigger_fields: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    past_builds: tuple[EarlierBuild, ...] = ()


def new_object_id() -> str:
    """A fresh 24-hex id, the shape of Codefresh's (MongoDB) object ids."""
    return secrets.token_hex(12)


def load_scenario(source: Mapping[str, Any] | str | Path | None) -> dict[str, PipelineSpec]:
    """Pipelines by name from a dict, a YAML file path, or YAML text (a str with a newline)."""
    if source is None:
        return {}
    if isinstance(source, Mapping):
        data: object = source
    elif isinstance(source, str) and "\n" in source:
        data = yaml.safe_load(source)
    else:
        data = yaml.safe_load(Path(source).read_text(encoding="utf-8"))
    return parse_scenario(data)


def parse_scenario(data: object) -> dict[str, PipelineSpec]:
    """Validate the top level (`pipelines:` map) and each pipeline in it."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ScenarioError("a scenario must be a mapping with a 'pipelines' key")
    pipelines = data.get("pipelines") or {}
    if not isinstance(pipelines, Mapping):
        raise ScenarioError("'pipelines' must be a mapping of pipeline name to spec")
    return {str(name): parse_pipeline(str(name), spec) for name, spec in pipelines.items()}


def parse_pipeline(name: str, spec: object) -> PipelineSpec:
    """One pipeline entry; unknown keys are errors so a typo does not pass silently."""
    if spec is None:
        spec = {}
    if not isinstance(spec, Mapping):
        raise ScenarioError(f"pipeline {name!r}: spec must be a mapping")
    unknown = set(spec) - PIPELINE_KEYS
    if unknown:
        raise ScenarioError(f"pipeline {name!r}: unknown keys {sorted(unknown)}")
    annotations = spec.get("annotations") or {}
    if not isinstance(annotations, Mapping):
        raise ScenarioError(f"pipeline {name!r}: annotations must be a mapping")
    triggers, trigger_fields = _parse_triggers(name, spec.get("triggers"))
    return PipelineSpec(
        name=name,
        id=str(spec.get("id") or new_object_id()),
        timeline=_parse_timeline(name, spec.get("timeline") or []),
        final=str(spec.get("final", "success")),
        logs=_str_list(name, "logs", spec.get("logs")) or (),
        annotations={str(k): v for k, v in annotations.items()},
        triggers=triggers,
        branches=_str_list(name, "branches", spec.get("branches")),
        steps=_parse_steps(name, spec.get("steps") or []),
        trigger_fields=trigger_fields,
        past_builds=_parse_past_builds(name, spec.get("builds") or []),
    )


def _parse_triggers(
    name: str, raw: object
) -> tuple[tuple[str, ...] | None, dict[str, Mapping[str, Any]]]:
    """Trigger names, and each map item's other fields by its name."""
    if raw is None:
        return None, {}
    if not isinstance(raw, list):
        raise ScenarioError(f"pipeline {name!r}: triggers must be a list")
    names: list[str] = []
    fields: dict[str, Mapping[str, Any]] = {}
    for item in raw:
        if isinstance(item, Mapping):
            if "name" not in item:
                raise ScenarioError(f"pipeline {name!r}: trigger {item!r} needs a name")
            names.append(str(item["name"]))
            fields[str(item["name"])] = {str(k): v for k, v in item.items() if k != "name"}
        else:
            names.append(str(item))
    return tuple(names), fields


def _parse_past_builds(name: str, raw: object) -> tuple[EarlierBuild, ...]:
    if not isinstance(raw, list):
        raise ScenarioError(f"pipeline {name!r}: builds must be a list")
    found = []
    for item in raw:
        if not isinstance(item, Mapping) or set(item) - PAST_BUILD_KEYS:
            raise ScenarioError(
                f"pipeline {name!r}: build {item!r} may only have {sorted(PAST_BUILD_KEYS)}"
            )
        found.append(
            EarlierBuild(
                status=str(item.get("status", "success")),
                branch=str(item.get("branch", "main")),
                revision=str(item.get("revision") or secrets.token_hex(20)),
                seconds_ago=float(item.get("seconds_ago", 3600)),
            )
        )
    return tuple(found)


def _parse_steps(name: str, raw: object) -> tuple[StepSpec, ...]:
    if not isinstance(raw, list):
        raise ScenarioError(f"pipeline {name!r}: steps must be a list")
    steps = []
    for item in raw:
        if not isinstance(item, Mapping) or "name" not in item:
            raise ScenarioError(f"pipeline {name!r}: step {item!r} needs a name")
        seconds = item.get("seconds")
        if seconds is not None and (not isinstance(seconds, int | float) or seconds < 0):
            raise ScenarioError(f"pipeline {name!r}: step seconds must be a number >= 0")
        lines = _str_list(name, "lines", item.get("lines")) or ()
        steps.append(StepSpec(str(item["name"]), None if seconds is None else seconds, lines))
    return tuple(steps)


def _parse_timeline(name: str, raw: object) -> tuple[Phase, ...]:
    if not isinstance(raw, list):
        raise ScenarioError(f"pipeline {name!r}: timeline must be a list")
    phases = []
    for item in raw:
        if not isinstance(item, Mapping) or "status" not in item:
            raise ScenarioError(f"pipeline {name!r}: timeline entry {item!r} needs a status")
        seconds = item.get("seconds")
        if seconds is not None and (not isinstance(seconds, int | float) or seconds < 0):
            raise ScenarioError(f"pipeline {name!r}: seconds must be a number >= 0")
        phases.append(Phase(str(item["status"]), None if seconds is None else float(seconds)))
    return tuple(phases)


def _str_list(name: str, key: str, raw: object) -> tuple[str, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise ScenarioError(f"pipeline {name!r}: {key} must be a list")
    return tuple(str(item) for item in raw)
