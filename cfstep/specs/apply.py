"""Make each pipeline equal to its spec before the child is triggered (README, "Pipelines
from a spec").

Two phases, so that nothing is written when any spec is refused: first every spec is read
against Codefresh (the pipeline as it is; the YAML validator for a spec with steps that
would be written), then the writes. A write that fails without a clear answer is never
simply sent again: the pipeline is read again and the decision made anew, so a pipeline or
project is never created twice and a change made meanwhile is never overwritten blindly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cfstep.codefresh.client import Conflict
from cfstep.codefresh.ids import identifier
from cfstep.errors import ApiError, InputError, TransientApiError
from cfstep.inputs.spec_files import NAME, validator_yaml
from cfstep.specs import compare

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    from cfstep.codefresh.client import CodefreshClient
    from cfstep.console import Console
    from cfstep.model import Config, PipelineSpec
    from cfstep.outputs import Exporter

    T = TypeVar("T")

APPLY_GIVE_UP_SECONDS = 60.0
ENCRYPTED_REASON = (
    "it has encrypted variables, whose values Codefresh never reads back, so it cannot be compared"
)


@dataclass
class Plan:
    """What one spec needs, as read before any write."""

    spec: PipelineSpec
    current: dict[str, Any] | None
    changes: list[str] = field(default_factory=list)
    encrypted: bool = False

    @property
    def action(self) -> str:
        if self.current is None:
            return "create"
        return "update" if self.changes or self.encrypted else "unchanged"


@dataclass(frozen=True)
class AppliedSpec:
    result: str  # created | updated | unchanged
    pipeline_id: str


def apply_specs(
    config: Config,
    console: Console,
    exporter: Exporter,
    client: Callable[[], CodefreshClient],
) -> None:
    """Apply (or, with DRY_RUN, describe) every spec of PIPELINE_SPEC; export the results.
    `client()` gives the run's one API client (made only when the API is needed)."""
    if config.dry_run and not config.api_key:
        console.data(
            "\n".join(
                f"dry run: {spec.name} ({spec.source}) would be created or updated"
                for spec in config.pipeline_specs
            )
        )
        console.say("dry run: without CF_API_KEY the specs cannot be compared with Codefresh")
        return
    applier = Applier(client(), console)
    plans = [applier.plan(spec) for spec in config.pipeline_specs]
    if config.dry_run:
        for plan in plans:
            applier.describe(plan)
        return
    done = [applier.apply(plan) for plan in plans]
    exporter.export(
        {
            "PIPELINE_SPEC_RESULT": " ".join(a.result for a in done),
            "PIPELINE_SPEC_ID": " ".join(a.pipeline_id for a in done),
        },
        mask=False,
    )


class Applier:
    def __init__(self, client: CodefreshClient, console: Console) -> None:
        self.client = client
        self.console = console
        self.known_projects: set[str] = set()

    # -- phase 1: read, compare, validate -------------------------------------------------

    def plan(self, spec: PipelineSpec) -> Plan:
        current = self._read(spec)
        plan = self._compare(spec, current)
        if plan.action != "unchanged":
            self._validate(spec)
        return plan

    def _compare(self, spec: PipelineSpec, current: dict[str, Any] | None) -> Plan:
        if current is None:
            return Plan(spec, None)
        return Plan(
            spec,
            current,
            changes=compare.changes(spec.document, current),
            encrypted=compare.has_encrypted(spec.document),
        )

    def _validate(self, spec: PipelineSpec) -> None:
        steps_yaml = validator_yaml(spec)
        if steps_yaml is None:
            return
        valid, message = self._retrying(
            spec, lambda timeout: self.client.validate(steps_yaml, timeout)
        )
        if not valid:
            raise InputError(
                f"{NAME}: {spec.source}: Codefresh's YAML validator refused the steps of "
                f"{spec.name} ({message}) — fix the steps; nothing was created or changed"
            )

    def describe(self, plan: Plan) -> None:
        """DRY_RUN's account of one spec, heading and diff together on stdout: the dry
        run's output, kept whole when it is redirected to a file."""
        spec = plan.spec
        if plan.action == "create":
            project = "" if self._project_exists(spec) else f" (and project {spec.project})"
            lines = [f"dry run: {spec.name} would be created{project} from {spec.source}"]
        elif plan.action == "unchanged":
            lines = [f"dry run: {spec.name} is unchanged: it already is {spec.source}"]
        else:
            why = f"; {ENCRYPTED_REASON}" if plan.encrypted else ""
            lines = [f"dry run: {spec.name} would be updated from {spec.source}{why}"]
            lines += [f"  {line}" for line in plan.changes]
        self.console.data("\n".join(lines))

    # -- phase 2: write -------------------------------------------------------------------

    def apply(self, plan: Plan) -> AppliedSpec:
        spec = plan.spec
        pending: list[Plan] = [plan]  # the first attempt uses the plan's read
        state = {"maybe_created": False, "stale_retries": 0}

        def attempt(timeout: float) -> AppliedSpec:
            for _ in range(4):  # a conflict is answered by reading again
                now = pending.pop() if pending else self._compare(spec, self._read(spec, timeout))
                done = self._write(now, state, timeout)
                if done is not None:
                    return done
            raise ApiError(
                f"{NAME}: {spec.name} kept changing while being applied — another build is "
                "changing it too; run the step again"
            )

        applied = self._retrying(spec, attempt)
        self._report(plan, applied)
        return applied

    def _write(self, plan: Plan, state: dict[str, Any], timeout: float) -> AppliedSpec | None:
        """AppliedSpec, or None when the pipeline changed meanwhile and must be read again."""
        spec = plan.spec
        if plan.current is None:
            self._ensure_project(spec, timeout)
            state["maybe_created"] = True  # from here an unclear answer may mean it was
            try:
                created = self.client.create_pipeline(spec.document, timeout)
            except Conflict:
                state["maybe_created"] = False  # another build created it first
                return None
            return AppliedSpec("created", _pipeline_id(created))
        if plan.action == "unchanged":
            result = "created" if state["maybe_created"] else "unchanged"
            return AppliedSpec(result, _pipeline_id(plan.current))
        document = compare.with_trigger_ids(spec.document, plan.current)
        try:
            replaced = self.client.replace_pipeline(spec.name, document, timeout)
        except Conflict:
            if state["stale_retries"] >= 1:
                raise ApiError(
                    f"{NAME}: {spec.name} was changed by someone else twice while being "
                    "updated — run the step again"
                ) from None
            state["stale_retries"] += 1
            return None
        return AppliedSpec("updated", _pipeline_id(replaced) or _pipeline_id(plan.current))

    def _ensure_project(self, spec: PipelineSpec, timeout: float) -> None:
        if spec.project in self.known_projects or self.client.project_exists(spec.project, timeout):
            self.known_projects.add(spec.project)
            return
        self.client.create_project(spec.project, timeout)  # an existing one counts as created
        self.known_projects.add(spec.project)
        self.console.say(f"Created project {spec.project}")

    def _project_exists(self, spec: PipelineSpec) -> bool:
        return self._retrying(spec, lambda t: self.client.project_exists(spec.project, t))

    def _read(self, spec: PipelineSpec, timeout: float | None = None) -> dict[str, Any] | None:
        if timeout is not None:
            return self.client.get_pipeline(spec.name, timeout)
        return self._retrying(spec, lambda t: self.client.get_pipeline(spec.name, t))

    def _retrying(self, spec: PipelineSpec, call: Callable[[float], T]) -> T:
        try:
            return self.client.retrying(call, APPLY_GIVE_UP_SECONDS)
        except TransientApiError as exc:
            raise ApiError(
                f"{NAME}: could not apply {spec.name}: {exc.message}, for "
                f"{APPLY_GIVE_UP_SECONDS:.0f} s — check CF_URL and Codefresh's status, then "
                "run the step again (it is safe: what was applied is found unchanged)"
            ) from exc

    def _report(self, plan: Plan, applied: AppliedSpec) -> None:
        spec = plan.spec
        line = f"Pipeline {spec.name} {applied.result} ({spec.source})"
        if applied.result == "updated":
            fields = sorted({c[2:].split(":", 1)[0].split("[")[0] for c in plan.changes})
            line += f" ({', '.join(fields)} changed)" if fields else ""
            if plan.encrypted:
                line += f"; always updated: {ENCRYPTED_REASON}"
        self.console.say(f"{line} [id {applied.pipeline_id}]")


def _pipeline_id(document: dict[str, Any] | None) -> str:
    metadata = (document or {}).get("metadata") or {}
    return identifier(metadata.get("id")) or ""
