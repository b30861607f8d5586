"""The Codefresh endpoints: a request in, a `Response` out; no sockets here.

Shapes follow reference/codefresh.md (observed traffic of the official CLI) and the
official CLI's openapi description where it has one (annotations).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from cfstep.emulator.pipelines import PipelineBook
from cfstep.emulator.state import RunRejected

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from cfstep.emulator.logstore import LogStore
    from cfstep.emulator.state import Build, State

JSON_TYPE = "application/json; charset=utf-8"
ACCOUNT = "emulator-account"


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = JSON_TYPE
    headers: tuple[tuple[str, str], ...] = ()


def json_response(status: int, value: Any, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    return Response(status, json.dumps(value).encode(), JSON_TYPE, headers)


def error(status: int, message: str) -> Response:
    return json_response(status, {"message": message, "status": status})


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # raw, percent-encoded
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]  # lower-case names
    body: bytes

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


Handler = Callable[["Api", Request, str], Response]


class Api:
    """Routes requests to the state. `base_url` and `iso` are late-bound by the emulator."""

    def __init__(
        self,
        state: State,
        api_key: str,
        base_url: Callable[[], str],
        iso: Callable[[float], str],
        *,
        logstore: LogStore,
        book: PipelineBook | None = None,
    ) -> None:
        self.book = book or PipelineBook(state, iso)
        self.state = state
        self.logstore = logstore
        self.api_key = api_key
        self.base_url = base_url
        self.iso = iso

    def handle(self, request: Request) -> Response:
        # Express (Codefresh's server) routes ignore one trailing slash.
        path = request.path[:-1] if request.path.endswith("/") else request.path
        if not path.startswith("/api/"):
            return error(404, f"Cannot {request.method} {request.path}")
        # As Codefresh: the key in Authorization, or a JWT in x-access-token.
        given = request.headers.get("authorization") or request.headers.get("x-access-token")
        if given != self.api_key:
            return error(401, "Unauthorized: missing or invalid API key")
        answer = self.book.handle(request.method, path, request.query, request.body)
        if answer is not None:  # projects and pipeline documents
            return json_response(*answer)
        for method, pattern, handler in ROUTES:
            match = pattern.fullmatch(path)
            if match and method == request.method:
                return handler(self, request, unquote(match.group(1)) if match.groups() else "")
        return error(404, f"Cannot {request.method} {request.path}")

    # --- builds -------------------------------------------------------------------

    def run(self, request: Request, pipeline: str) -> Response:
        try:
            body = json.loads(request.body) if request.body.strip() else {}
        except ValueError:
            return error(400, "request body is not valid JSON")
        if not isinstance(body, dict):
            return error(400, "request body must be a JSON object")
        try:
            build_id = self.state.run(pipeline, request.arg("reqId"), body)
        except RunRejected as exc:
            return error(exc.status, exc.message)
        location = f"{self.base_url()}/api/builds/{build_id}"
        return json_response(200, build_id, (("Location", location),))

    def get_build(self, request: Request, build_id: str) -> Response:
        build = self.state.build(build_id)
        if build is None:
            return error(404, f"Build {build_id} not found")
        return json_response(200, self.build_json(build))

    def list_workflows(self, request: Request, _: str) -> Response:
        """Newest first, filtered like the official CLI's `get builds` options; `pipeline`
        is a pipeline's id (its `metadata.id`), as Codefresh reads it: a name matches none."""
        builds = sorted(self.state.builds(), key=lambda b: b.created, reverse=True)
        docs = [self.build_json(b) for b in builds]
        for arg, field in (
            ("pipeline", "serviceId"),
            ("status", "status"),
            ("branchName", "branchName"),
            ("revision", "revision"),
        ):
            wanted = request.arg(arg)
            if wanted:
                docs = [d for d in docs if d[field] == wanted]
        limit = _int(request.arg("limit"), 10)
        page = max(_int(request.arg("page"), 1), 1)
        shown = docs[(page - 1) * limit : page * limit]
        return json_response(200, {"workflows": {"docs": shown, "total": len(docs)}})

    def build_json(self, build: Build) -> dict[str, Any]:
        body = build.body
        times = {"created": build.created, "started": build.started, "finished": build.finished}
        doc: dict[str, Any] = {
            "id": build.id,
            "status": build.status,
            "progress": build.progress,
            **{name: self.iso(t) for name, t in times.items() if t is not None},
            "updated": self.iso(_latest(build)),
            "pipelineName": build.pipeline_name,
            "serviceName": build.pipeline_name,
            "serviceId": build.pipeline_id,
            "branchName": body.get("branch") or "main",
            "revision": body.get("sha") or (build.id * 2)[:40],
            "repoOwner": build.pipeline_name.partition("/")[0],
            "repoName": build.pipeline_name.rpartition("/")[2],
            "webhookTriggered": False,
            "trigger": "build",
            "account": ACCOUNT,
        }
        if body.get("trigger"):
            doc["pipelineTriggerName"] = doc["pipelineTriggerId"] = body["trigger"]
        return doc

    # --- progress: terminate and logs ---------------------------------------------

    def terminate(self, request: Request, progress: str) -> Response:
        build = self.state.terminate(progress)
        if build is None:
            return error(404, f"Progress {progress} not found")
        return json_response(200, {"id": progress, "status": build.status})

    def progress(self, request: Request, progress: str) -> Response:
        build = self.state.build_by_progress(progress)
        if build is None:
            return error(404, f"Progress {progress} not found")
        # As Codefresh: the live database while the build runs and a while after; once
        # archived, the storage link, fetched without the key (another host).
        archived = self.logstore.archive_seconds
        ended_long_ago = (
            build.finished is not None and self.state.clock() >= build.finished + archived
        )
        if ended_long_ago or not self.logstore.live:
            location = {"type": "storage", "url": self.logstore.storage_url(progress)}
        else:
            location = {"type": "firebase"}
        return json_response(200, {"_id": progress, "location": location, "status": build.status})

    def firebase_auth(self, request: Request, _: str) -> Response:
        progress = request.arg("progressId") or ""
        if self.state.build_by_progress(progress) is None:
            return error(404, f"Progress {progress} not found")
        return json_response(200, self.logstore.firebase_auth())

    def download(self, request: Request, progress: str) -> Response:
        lines = self.state.logs(progress)
        if lines is None:
            return error(404, f"Progress {progress} not found")
        text = "".join(line + "\n" for line in lines)
        return Response(200, text.encode(), "text/plain; charset=utf-8")

    # --- annotations ----------------------------------------------------------------

    def list_annotations(self, request: Request, _: str) -> Response:
        entity_id = request.arg("entityId")
        if not entity_id:
            return error(400, "entityId is required")
        entity_type = request.arg("entityType") or "workflow"
        return json_response(
            200, self.state.annotations(entity_type, entity_id, request.arg("key"))
        )

    def add_annotation(self, request: Request, _: str) -> Response:
        try:
            body = json.loads(request.body)
        except ValueError:
            return error(400, "request body is not valid JSON")
        if not isinstance(body, dict) or not body.get("entityId") or not body.get("key"):
            return error(400, "entityId and key are required")
        annotation = self.state.annotate(
            str(body.get("entityType") or "workflow"),
            str(body["entityId"]),
            str(body["key"]),
            body.get("value"),
        )
        return json_response(200, annotation)

    # --- account and pipelines ------------------------------------------------------

    def user(self, request: Request, _: str) -> Response:
        return json_response(
            200,
            {
                "_id": "0" * 24,
                "userName": "emulator-user",
                "name": "emulator-user",
                "email": "emulator@example.invalid",
                "activeAccountName": ACCOUNT,
                "account": [{"name": ACCOUNT, "_id": "1" * 24}],
            },
        )

    def pipeline(self, request: Request, name: str) -> Response:
        spec = self.state.find_pipeline(name)
        if spec is None:
            return error(404, f"Pipeline {name} not found")
        project = spec.name.partition("/")[0] if "/" in spec.name else ""
        triggers = [
            {"name": t, "id": t, "type": "git", **spec.trigger_fields.get(t, {})}
            for t in spec.triggers or ()
        ]
        return json_response(
            200,
            {
                "metadata": {"name": spec.name, "id": spec.id, "project": project},
                "spec": {"triggers": triggers, "variables": [], "contexts": []},
            },
        )


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text else default
    except ValueError:
        return default


def _latest(build: Build) -> float:
    known = (build.created, build.started, build.terminated_at, build.finished)
    return max(t for t in known if t is not None)


SEGMENT = "([^/]+)"
ROUTES: tuple[tuple[str, re.Pattern[str], Handler], ...] = tuple(
    (method, re.compile(pattern), handler)
    for method, pattern, handler in (
        ("POST", f"/api/pipelines/run/{SEGMENT}", Api.run),
        ("GET", f"/api/pipelines/{SEGMENT}", Api.pipeline),
        ("GET", f"/api/builds/{SEGMENT}", Api.get_build),
        ("GET", "/api/workflow", Api.list_workflows),
        ("GET", f"/api/progress/download/{SEGMENT}", Api.download),
        ("GET", f"/api/progress/{SEGMENT}", Api.progress),
        ("DELETE", f"/api/progress/{SEGMENT}", Api.terminate),
        ("GET", "/api/annotations", Api.list_annotations),
        ("POST", "/api/annotations", Api.add_annotation),
        ("GET", "/api/user", Api.user),
        ("GET", "/api/user/firebaseAuth", Api.firebase_auth),
    )
)
