"""Projects and pipeline documents: create, read, replace, and the YAML validator.

Shapes follow reference/codefresh.md ("Pipelines from a spec"): a stored pipeline is the
document it was created from plus what the server adds (metadata id, revision, accountId,
created_at/updated_at, originalYamlString, project and projectId, an id per trigger), and
encrypted variables read back as `*****`. A replace is refused when the revision it
carries is not the current one, unless `disableRevisionCheck=true`.

Tests steer it with `forbid` (operations answered 403), `race_create` / `race_replace`
(another build acts just before the next create / replace) and `writes()`.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from typing import Any
from urllib.parse import unquote

from cfstep.emulator.scenario import new_object_id, parse_pipeline

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from cfstep.emulator.state import State

ACCOUNT_ID = "1" * 24
MASKED = "*****"
Answer = tuple[int, Any]

_PIPELINE = re.compile(r"/api/pipelines/([^/]+)")
_PROJECT_BY_NAME = re.compile(r"/api/projects/name/([^/]+)")
_VALIDATOR = "/api/pipelines/yaml/validator"


def is_write(method: str, path: str) -> bool:
    """A request that creates or changes a project or pipeline (the validator and the run
    request are not writes of a pipeline)."""
    if method == "POST":
        return path in ("/api/pipelines", "/api/projects")
    return method in ("PUT", "PATCH", "DELETE") and path.startswith(
        ("/api/pipelines/", "/api/projects/")
    )


def _error(status: int, code: str, message: str) -> Answer:
    return status, {"status": status, "code": code, "name": code, "message": message, "context": {}}


class PipelineBook:
    def __init__(self, state: State, iso: Callable[[float], str]) -> None:
        self.state = state
        self.iso = iso
        self.forbid: set[str] = set()  # of "create", "replace", "project", "read"
        self.race_create = False  # next create: another build creates the same first
        self.race_replace = False  # next replace: another build replaces it first
        self._projects: dict[str, dict[str, Any]] = {}
        self._documents: dict[str, dict[str, Any]] = {}
        self._secrets: dict[str, dict[str, str]] = {}  # pipeline -> encrypted key -> value
        self._lock = threading.RLock()

    # --- what tests look at and change ------------------------------------------------

    def document(self, name: str) -> dict[str, Any] | None:
        """The pipeline as GET returns it."""
        with self._lock:
            stored = self._documents.get(name)
            return None if stored is None else self._shown(stored)

    def stored_secret(self, name: str, key: str) -> str | None:
        with self._lock:
            return self._secrets.get(name, {}).get(key)

    def add_project(self, name: str) -> None:
        with self._lock:
            self._projects.setdefault(name, {"id": new_object_id(), "projectName": name})

    def put(self, document: Mapping[str, Any]) -> dict[str, Any]:
        """Store a pipeline as if created from `document` (projects made as needed)."""
        with self._lock:
            name = str(document["metadata"]["name"])
            self.add_project(name.partition("/")[0])
            return self._store(name, copy.deepcopy(dict(document)), previous=None)

    # --- HTTP --------------------------------------------------------------------------

    def handle(  # noqa: PLR0911 - one return per route
        self, method: str, path: str, query: Mapping[str, list[str]], body: bytes
    ) -> Answer | None:
        """The answer to a request this book serves; None for any other request."""
        with self._lock:
            if method == "POST" and path == _VALIDATOR:
                return self._validate(body)
            if method == "POST" and path == "/api/pipelines":
                return self._create(body)
            if method == "POST" and path == "/api/projects":
                return self._create_project(body)
            match = _PROJECT_BY_NAME.fullmatch(path)
            if match and method == "GET":
                return self._project(unquote(match.group(1)))
            match = _PIPELINE.fullmatch(path)
            if match is None:
                return None
            name = unquote(match.group(1))
            if method == "GET" and name in self._documents:
                if "read" in self.forbid:
                    return _error(403, "FORBIDDEN", "You are not allowed to read this pipeline")
                return 200, self._shown(self._documents[name])
            if method == "PUT":
                disabled = query.get("disableRevisionCheck", [""])[0] == "true"
                return self._replace(name, body, check_revision=not disabled)
            return None

    def _project(self, name: str) -> Answer:
        if name not in self._projects:
            return _error(404, "PROJECT_NOT_FOUND_ERROR", f"Project {name} not found")
        return 200, dict(self._projects[name])

    def _create_project(self, body: bytes) -> Answer:
        if "project" in self.forbid:
            return _error(403, "FORBIDDEN", "You are not allowed to create projects")
        data = _json(body)
        name = data.get("projectName") if isinstance(data, dict) else None
        if not isinstance(name, str) or not name:
            return _error(400, "BAD_REQUEST", "projectName is required")
        if name in self._projects:
            return _error(409, "PROJECT_ALREADY_EXISTS", f"Project {name} already exists")
        self.add_project(name)
        return 201, dict(self._projects[name])

    def _create(self, body: bytes) -> Answer:
        if "create" in self.forbid:
            return _error(403, "FORBIDDEN", "You are not allowed to create pipelines")
        document, problem = _pipeline_document(body)
        if document is None:
            return _error(400, "BAD_REQUEST", problem)
        name = document["metadata"]["name"]
        if self.race_create:
            self.race_create = False
            self.add_project(name.partition("/")[0])
            self._store(name, copy.deepcopy(document), previous=None)
        if name in self._documents:
            return _error(409, "PIPELINE_ALREADY_EXIST", f"Pipeline {name} already exists")
        if name.partition("/")[0] not in self._projects:
            return _error(404, "PROJECT_NOT_FOUND_ERROR", f"Project of {name} not found")
        return 200, self._shown(self._store(name, document, previous=None))

    def _replace(self, name: str, body: bytes, *, check_revision: bool) -> Answer:
        if "replace" in self.forbid:
            return _error(403, "FORBIDDEN", "You are not allowed to update this pipeline")
        previous = self._documents.get(name) or self._adopted(name)
        if previous is None:
            return _error(404, "PIPELINE_NOT_FOUND_ERROR", f"Pipeline {name} not found")
        document, problem = _pipeline_document(body)
        if document is None:
            return _error(400, "BAD_REQUEST", problem)
        if self.race_replace:
            self.race_replace = False
            previous = self._store(name, copy.deepcopy(previous), previous=previous)
        current = previous["metadata"]["revision"]
        sent = document["metadata"].get("revision")
        if check_revision and sent != current:
            return _error(
                409,
                "REVISION_MISMATCH",
                f"Pipeline {name} was changed (revision {current}) since revision {sent}",
            )
        return 200, self._shown(self._store(name, document, previous=previous))

    def _adopted(self, name: str) -> dict[str, Any] | None:
        """A pipeline of the scenario, replaced for the first time."""
        spec = self.state.find_pipeline(name)
        if spec is None:
            return None
        return self.put({"version": "1.0", "kind": "pipeline", "metadata": {"name": spec.name}})

    def _validate(self, body: bytes) -> Answer:
        import yaml  # only for the validator endpoint

        data = _json(body)
        text = data.get("yaml") if isinstance(data, dict) else None
        if not isinstance(text, str):
            return _error(400, "BAD_REQUEST", "yaml is required")
        try:
            parsed = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            return 200, {
                "valid": False,
                "message": "yaml is invalid",
                "details": [{"message": str(exc)}],
            }
        steps = parsed.get("steps") if isinstance(parsed, dict) else None
        details = [
            {"message": f"step {step_name}: needs an image or a type"}
            for step_name, step in (steps.items() if isinstance(steps, dict) else ())
            if not isinstance(step, dict) or not (step.get("image") or step.get("type"))
        ]
        if not isinstance(steps, dict):
            details.append({"message": "steps must be a map of steps"})
        message = "Provided spec is not valid" if details else "Yaml is valid"
        return 200, {"valid": not details, "message": message, "details": details}

    # --- storage -----------------------------------------------------------------------

    def _store(
        self, name: str, document: dict[str, Any], *, previous: dict[str, Any] | None
    ) -> dict[str, Any]:
        """Keep `document` as the pipeline, with what the server adds; the stored form."""
        now = self.iso(self.state.clock())
        old_meta = previous["metadata"] if previous else {}
        project = self._projects[name.partition("/")[0]]
        sent = {k: v for k, v in document.items()}
        metadata = dict(document.get("metadata") or {})
        metadata.pop("revision", None)
        metadata.update(
            {
                "id": old_meta.get("id") or self._run_id(name),
                "name": name,
                "project": project["projectName"],
                "projectId": project["id"],
                "revision": (old_meta.get("revision") or 0) + 1,
                "accountId": ACCOUNT_ID,
                "created_at": old_meta.get("created_at") or now,
                "updated_at": now,
                "originalYamlString": json.dumps(sent),
            }
        )
        metadata.setdefault("labels", {"tags": []})
        spec = dict(document.get("spec") or {})
        spec.setdefault("contexts", [])
        triggers = spec.get("triggers")
        if isinstance(triggers, list):
            spec["triggers"] = [
                {**t, "id": t.get("id") or new_object_id()} if isinstance(t, dict) else t
                for t in triggers
            ]
        self._secrets[name] = {
            str(v.get("key")): str(v.get("value"))
            for v in spec.get("variables") or []
            if isinstance(v, dict) and v.get("encrypted") is True
        }
        stored = {**document, "metadata": metadata, "spec": spec}
        self._documents[name] = stored
        return stored

    def _run_id(self, name: str) -> str:
        """The id runs know the pipeline by: a scenario pipeline keeps its own."""
        spec = self.state.find_pipeline(name)
        if spec is None:
            spec = parse_pipeline(name, {})
            self.state.add_pipeline(spec)
        return spec.id

    def _shown(self, stored: dict[str, Any]) -> dict[str, Any]:
        """As GET shows it: encrypted values hidden."""
        shown = copy.deepcopy(stored)
        for item in shown.get("spec", {}).get("variables") or []:
            if isinstance(item, dict) and item.get("encrypted") is True:
                item["value"] = MASKED
        return shown


def _json(body: bytes) -> Any:
    try:
        return json.loads(body) if body.strip() else None
    except ValueError:
        return None


def _pipeline_document(body: bytes) -> tuple[dict[str, Any] | None, str]:
    data = _json(body)
    if not isinstance(data, dict):
        return None, "request body must be a JSON object"
    metadata = data.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if data.get("kind") != "pipeline" or not isinstance(name, str) or "/" not in name:
        return None, "a pipeline needs kind: pipeline and metadata.name project/pipeline"
    return data, ""
