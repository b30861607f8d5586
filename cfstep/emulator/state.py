"""The emulator's memory: pipelines, builds, reqId de-duplication, annotations.

Every method takes the one lock, so HTTP handler threads and test code can call it at
will. Statuses are never stored: each read computes them from the clock (timeline.py).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from cfstep.emulator.scenario import new_object_id
from cfstep.emulator.steplog import steps_at
from cfstep.emulator.timeline import Moment, status_at

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from cfstep.emulator.scenario import EarlierBuild, PipelineSpec
    from cfstep.emulator.steplog import StepState


class RunRejected(Exception):
    """A run request Codefresh would refuse; `status` and `message` go to the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Build:
    """A snapshot of one build; `status`, `started`, `finished` are as of the snapshot."""

    id: str
    pipeline: str  # the name or id as the run request gave it, decoded
    pipeline_name: str  # the scenario's name for it
    pipeline_id: str
    req_id: str | None
    body: Mapping[str, Any]
    created: float
    progress: str
    status: str
    started: float | None
    finished: float | None
    terminated_at: float | None

    @property
    def is_final(self) -> bool:
        return self.finished is not None


@dataclass
class _Record:
    id: str
    spec: PipelineSpec
    requested: str
    req_id: str | None
    body: dict[str, Any]
    created: float
    progress: str
    terminated_at: float | None = None
    outputs_annotated: bool = False
    ended_as: str | None = None  # a build that ended before the emulator started: its status


AnnotationKey = tuple[str, str]  # (entityType, entityId)


@dataclass
class State:
    """All mutable state of one emulator."""

    clock: Callable[[], float]
    pipelines: dict[str, PipelineSpec] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _builds: dict[str, _Record] = field(default_factory=dict)
    _by_progress: dict[str, str] = field(default_factory=dict)
    _by_req_id: dict[tuple[str, str], str] = field(default_factory=dict)
    _annotations: dict[AnnotationKey, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for spec in self.pipelines.values():
            self._add_past_builds(spec)

    def add_pipeline(self, spec: PipelineSpec) -> None:
        with self._lock:
            self.pipelines[spec.name] = spec
            self._add_past_builds(spec)

    def add_past_build(self, name_or_id: str, past: EarlierBuild) -> str:
        """A build of the pipeline that ended `past.seconds_ago` ago; its id."""
        with self._lock:
            spec = self.find_pipeline(name_or_id)
            if spec is None:
                raise KeyError(name_or_id)
            record = _Record(
                id=new_object_id(),
                spec=spec,
                requested=spec.name,
                req_id=None,
                body={"branch": past.branch, "sha": past.revision},
                created=self.clock() - past.seconds_ago,
                progress=new_object_id(),
                outputs_annotated=True,
                ended_as=past.status,
            )
            self._builds[record.id] = record
            self._by_progress[record.progress] = record.id
            return record.id

    def _add_past_builds(self, spec: PipelineSpec) -> None:
        for past in spec.past_builds:
            self.add_past_build(spec.name, past)

    def find_pipeline(self, name_or_id: str) -> PipelineSpec | None:
        with self._lock:
            if name_or_id in self.pipelines:
                return self.pipelines[name_or_id]
            return next((p for p in self.pipelines.values() if p.id == name_or_id), None)

    def run(self, requested: str, req_id: str | None, body: dict[str, Any]) -> str:
        """Start a build (or return the one already started with this reqId); its id."""
        with self._lock:
            spec = self.find_pipeline(requested)
            if spec is None:
                raise RunRejected(404, f"Pipeline {requested} not found")
            if req_id and (spec.name, req_id) in self._by_req_id:
                return self._by_req_id[(spec.name, req_id)]
            _check_run_body(spec, body)
            record = _Record(
                id=new_object_id(),
                spec=spec,
                requested=requested,
                req_id=req_id,
                body=body,
                created=self.clock(),
                progress=new_object_id(),
            )
            self._builds[record.id] = record
            self._by_progress[record.progress] = record.id
            if req_id:
                self._by_req_id[(spec.name, req_id)] = record.id
            self._store_run_annotations(record)
            return record.id

    def build(self, build_id: str) -> Build | None:
        with self._lock:
            record = self._builds.get(build_id)
            return None if record is None else self._snapshot(record)

    def build_by_progress(self, progress: str) -> Build | None:
        with self._lock:
            build_id = self._by_progress.get(progress)
            return None if build_id is None else self.build(build_id)

    def builds(self) -> list[Build]:
        """Every build, in the order they were created."""
        with self._lock:
            return [self._snapshot(record) for record in self._builds.values()]

    def terminate(self, progress: str) -> Build | None:
        """Start terminating the build of `progress`; a final build is left alone."""
        with self._lock:
            build_id = self._by_progress.get(progress)
            if build_id is None:
                return None
            record = self._builds[build_id]
            if record.terminated_at is None and not self._moment(record).finished:
                record.terminated_at = self.clock()
            return self._snapshot(record)

    def logs(self, progress: str) -> tuple[str, ...] | None:
        with self._lock:
            build_id = self._by_progress.get(progress)
            return None if build_id is None else self._builds[build_id].spec.logs

    def steps(self, progress: str) -> list[StepState] | None:
        """The build's step logs as written by now (None: no such progress)."""
        with self._lock:
            build_id = self._by_progress.get(progress)
            if build_id is None:
                return None
            record = self._builds[build_id]
            return steps_at(record.spec, record.created, self.clock(), record.terminated_at)

    def annotations(
        self, entity_type: str, entity_id: str, key: str | None = None
    ) -> list[dict[str, Any]]:
        with self._lock:
            if entity_id in self._builds:
                self._snapshot(self._builds[entity_id])  # settles end-of-build annotations
            stored = self._annotations.get((entity_type, entity_id), {})
            return [dict(a) for a in stored.values() if key is None or a["key"] == key]

    def annotate(self, entity_type: str, entity_id: str, key: str, value: Any) -> dict[str, Any]:
        """Add or replace (same key) an annotation; Codefresh keeps one value per key."""
        with self._lock:
            stored = self._annotations.setdefault((entity_type, entity_id), {})
            previous = stored.get(key)
            annotation = {
                "_id": previous["_id"] if previous else new_object_id(),
                "accountId": "emulator-account",
                "entityType": entity_type,
                "entityId": entity_id,
                "key": key,
                "value": value,
                "__v": 0,
            }
            stored[key] = annotation
            return dict(annotation)

    def _moment(self, record: _Record) -> Moment:
        if record.ended_as is not None:
            ended = min(record.created + 1, self.clock())
            return Moment(record.ended_as, record.created, ended, natural_end=True)
        return status_at(record.spec, record.created, self.clock(), record.terminated_at)

    def _snapshot(self, record: _Record) -> Build:
        moment = self._moment(record)
        if moment.natural_end and not record.outputs_annotated:
            # The pipeline's steps "annotate their own build" as they finish.
            record.outputs_annotated = True
            for key, value in record.spec.annotations.items():
                self.annotate("workflow", record.id, key, value)
        return Build(
            id=record.id,
            pipeline=record.requested,
            pipeline_name=record.spec.name,
            pipeline_id=record.spec.id,
            req_id=record.req_id,
            body=record.body,
            created=record.created,
            progress=record.progress,
            status=moment.status,
            started=moment.started,
            finished=moment.finished,
            terminated_at=record.terminated_at,
        )

    def _store_run_annotations(self, record: _Record) -> None:
        """Annotations of the run request (e.g. cf_predecessor) become the build's."""
        raw = record.body.get("annotations")
        if isinstance(raw, Mapping):
            pairs = list(raw.items())
        elif isinstance(raw, list):
            pairs = [(a.get("key"), a.get("value")) for a in raw if isinstance(a, Mapping)]
        else:
            pairs = []
        for key, value in pairs:
            self.annotate("workflow", record.id, str(key), value)


def _check_run_body(spec: PipelineSpec, body: Mapping[str, Any]) -> None:
    """Refuse what Codefresh refuses: unknown trigger or branch, malformed variables."""
    trigger = body.get("trigger")
    if trigger and spec.triggers is not None:
        ids = {str(spec.trigger_fields.get(t, {}).get("id", t)) for t in spec.triggers}
        if trigger not in spec.triggers and trigger not in ids:
            raise RunRejected(400, f"Trigger {trigger} not found for pipeline {spec.name}")
    branch = body.get("branch")
    if branch and spec.branches is not None and branch not in spec.branches:
        raise RunRejected(400, "Error while trying to fetch commits, incorrect branch / revision")
    variables = body.get("variables")
    if isinstance(variables, list):
        for item in variables:
            if not isinstance(item, Mapping) or "key" not in item or "value" not in item:
                raise RunRejected(400, f"Invalid variable {item!r}: needs key and value")
    elif variables is not None and not isinstance(variables, Mapping):
        raise RunRejected(400, "variables must be a list of {key, value} or a map")
