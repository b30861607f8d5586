"""What the step runs: the children from PIPELINE_ID, PIPELINES, VARIABLE_FILE, VARIABLE,
FORWARD and the rest of each child's inputs (none when BUILD_ID follows an existing build
or SPEC_ONLY triggers nothing), the PIPELINE_SPEC files applied before them, and whether
their logs are followed (FOLLOW_LOGS's default depends on how many there are).

Read before the first request, as every input is (`cfstep.inputs.config`). How PIPELINES items are
read: `cfstep.inputs.pipelines`; README, "Several children, and values back" and "Pipelines from a
spec".
"""

from __future__ import annotations

from cfstep import documents
from cfstep.errors import InputError
from cfstep.inputs import only_changed, pipelines, values
from cfstep.inputs.options import OPTIONS
from cfstep.model import ChildSpec

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Mapping

    from cfstep.inputs.given import Given
    from cfstep.model import PipelineSpec


def pipeline_specs(given: Given, build_id: str | None) -> tuple[tuple[PipelineSpec, ...], bool]:
    """Every spec read and checked now, before the first request; and SPEC_ONLY."""
    spec_only = given.boolean("SPEC_ONLY")
    flag = given.flags.get("PIPELINE_SPEC")
    text = given.environ.get("PIPELINE_SPEC", "")
    if flag is None and not text.strip():
        if spec_only:
            raise InputError(
                "SPEC_ONLY: true without PIPELINE_SPEC — give the spec files to apply "
                "(--pipeline-spec PATH), or drop SPEC_ONLY to trigger a pipeline"
            )
        return (), False
    from cfstep.inputs import spec_files  # only a step with specs pays for yaml and glob

    found = spec_files.read_specs(flag, text)
    if not found:
        raise InputError("PIPELINE_SPEC: names no file — give spec paths or globs")
    if spec_only and (build_id or given.text("PIPELINE_ID") or given.text("PIPELINES")):
        raise InputError(
            "SPEC_ONLY: true together with a pipeline or build to trigger or follow — "
            "drop SPEC_ONLY to trigger after applying, or drop PIPELINE_ID/PIPELINES/BUILD_ID"
        )
    return found, spec_only


def spec_pipeline(pipeline_specs: tuple[PipelineSpec, ...]) -> str | None:
    """What PIPELINE_ID defaults to: the pipeline of the one spec, if there is one."""
    return pipeline_specs[0].name if len(pipeline_specs) == 1 else None


def read(
    given: Given,
    environ: Mapping[str, str],
    *,
    following_existing: bool,
    default_pipeline: str | None = None,
) -> tuple[ChildSpec, ...]:
    pipeline = given.text("PIPELINE_ID")
    if pipeline:
        values.pipeline_name("PIPELINE_ID", pipeline)
    pipelines_text = given.text("PIPELINES")
    if not pipelines_text and not following_existing:
        pipeline = pipeline or default_pipeline
    if following_existing:
        if pipeline or pipelines_text:
            raise InputError(
                "BUILD_ID: given together with PIPELINE_ID or PIPELINES — "
                "give BUILD_ID to follow an existing build, or a pipeline to start one"
            )
        return ()
    defaults = _default_child(given, environ, pipeline or "")
    if pipelines_text:
        if pipeline:
            raise InputError(
                "PIPELINES: given together with PIPELINE_ID — list every child in PIPELINES, "
                "or give one PIPELINE_ID"
            )
        file_items = _variable_file(given.text("VARIABLE_FILE"))
        if file_items is not None and len(file_items) > 1:
            raise InputError(
                "VARIABLE_FILE: a list of maps starts one build of PIPELINE_ID per item, "
                "which PIPELINES cannot be combined with — give the variables in each "
                "PIPELINES item, or a VARIABLE_FILE that is one map"
            )
        if file_items:  # one map: every child's default variables, VARIABLE winning
            defaults = values.with_variables(defaults, tuple(file_items[0].items()), first=True)
        return pipelines.parse_pipelines(pipelines_text, defaults)
    if not pipeline:
        raise InputError(
            "PIPELINE_ID: not set — give the pipeline to run (project/pipeline or id) as "
            "PIPELINE_ID or `cfstep --pipeline NAME`, or BUILD_ID to follow an existing build"
            + (
                "; with several PIPELINE_SPEC files, or SPEC_ONLY=true"
                if given.flag_or_env_given("PIPELINE_SPEC")
                else ""
            )
        )
    file_items = _variable_file(given.text("VARIABLE_FILE"))
    if file_items is None:
        return (defaults,)
    return tuple(
        values.with_variables(defaults, tuple(item.items()), first=True) for item in file_items
    )


def _default_child(given: Given, environ: Mapping[str, str], pipeline: str) -> ChildSpec:
    variables = _forwarded(given, environ) + given.pairs("VARIABLE")
    yaml_path = given.text("YAML")
    straight = {o.child: given.value(o) for o in OPTIONS if o.child is not None}
    return ChildSpec(
        pipeline=pipeline,
        **straight,
        variables=values.last_wins(variables),
        secrets=values.last_wins(given.pairs("SECRETS")),
        annotations=values.last_wins(given.pairs("ANNOTATION")),
        yaml=documents.read_text_file("YAML", yaml_path) if yaml_path else None,
        modified_files_glob=only_changed.step_globs(given),
    )


def _forwarded(given: Given, environ: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    forwarded = []
    for name in given.items("FORWARD"):
        if name not in environ:
            given.warnings.append(
                f"warning: FORWARD: {name} is not set in this build; not forwarded"
            )
            continue
        forwarded.append((name, environ[name]))
    return tuple(forwarded)


def _variable_file(path_text: str | None) -> list[dict[str, str]] | None:
    """None when no file; a list of variable maps: one build per map."""
    if not path_text:
        return None
    data = documents.read_yaml_file("VARIABLE_FILE", path_text)
    if isinstance(data, dict):
        return [values.variable_map("VARIABLE_FILE", data)]
    if isinstance(data, list) and data:
        return [
            values.variable_map(f"VARIABLE_FILE item {i}", item)
            for i, item in enumerate(data, start=1)
        ]
    raise InputError(
        f"VARIABLE_FILE: {path_text} holds {type(data).__name__}, not a map of variables or "
        "a non-empty list of maps — write KEY: value lines, or a list of such maps"
    )


def follow_logs(given: Given, children: tuple[ChildSpec, ...], detach: bool) -> bool:
    """On by default for one child; with several, their logs together would be a lot of
    lines, so only when asked. DETACH waits for nothing, so it follows nothing."""
    wanted = given.boolean("FOLLOW_LOGS") if given.flag_or_env_given("FOLLOW_LOGS") else None
    if wanted is None:
        wanted = len(children) <= 1
    return wanted and not detach
