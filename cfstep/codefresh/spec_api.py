"""The projects and pipelines endpoints that applying a spec needs, on the one session.

Reads and the validator may be retried freely; a write raises TransientApiError on an
unclear failure and the caller reads the pipeline again before deciding anything (see
`cfstep.specs.apply`). A refusal names what the key may not do.
"""

from __future__ import annotations

from cfstep.codefresh.answers import clean_json
from cfstep.codefresh.client import CodefreshClient, refused
from cfstep.codefresh.failures import TransportError
from cfstep.codefresh.run_request import quote_segment
from cfstep.codefresh.transport import ApiAnswer
from cfstep.errors import ApiError, TransientApiError

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from typing import Any

# What each call needs, in the words of Codefresh's permission settings.
_PERMISSIONS = {
    ("GET", "pipelines"): "read pipelines",
    ("POST", "pipelines"): "create pipelines",
    ("PUT", "pipelines"): "update pipelines",
    ("GET", "projects"): "read projects",
    ("POST", "projects"): "create projects",
    ("POST", "validator"): "validate pipeline YAML",
}
_CONFLICT_WORDS = ("already exist", "revision", "conflict", "duplicate")


class Conflict(Exception):
    """The write was refused because the pipeline is not as it was read: it exists now
    (create), or its revision moved on (replace)."""


class PipelinesApi:
    def __init__(self, client: CodefreshClient) -> None:
        self.session = client.session

    def get_pipeline(self, name: str, timeout: float) -> dict[str, Any] | None:
        response = self._send("GET", f"/api/pipelines/{quote_segment(name)}", timeout)
        if response.status == 404:
            return None
        return self._document(self._ok(response, "GET", "pipelines"))

    def project_exists(self, project: str, timeout: float) -> bool:
        response = self._send("GET", f"/api/projects/name/{quote_segment(project)}", timeout)
        if response.status == 404:
            return False
        self._ok(response, "GET", "projects")
        return True

    def create_project(self, project: str, timeout: float) -> None:
        response = self._send("POST", "/api/projects", timeout, body={"projectName": project})
        if not _is_conflict(response):
            self._ok(response, "POST", "projects")

    def validate(self, steps_yaml: str, timeout: float) -> tuple[bool, str]:
        body = {"yaml": steps_yaml, "outputFormat": "lint"}
        response = self._send("POST", "/api/pipelines/yaml/validator", timeout, body=body)
        data = self._document(self._ok(response, "POST", "validator"))
        if data.get("valid") is True:
            return True, ""
        details = data.get("details")
        found = (
            [d.get("message") for d in details if isinstance(d, dict)]
            if isinstance(details, list)
            else []
        )
        message = "; ".join(str(m) for m in found if m) or str(data.get("message") or "invalid")
        return False, " ".join(message.split())[:500]

    def create_pipeline(self, document: dict[str, Any], timeout: float) -> dict[str, Any]:
        response = self._send("POST", "/api/pipelines", timeout, body=document)
        if _is_conflict(response):
            raise Conflict()
        return self._document(self._ok(response, "POST", "pipelines"))

    def replace_pipeline(
        self, name: str, document: dict[str, Any], timeout: float
    ) -> dict[str, Any]:
        path = f"/api/pipelines/{quote_segment(name)}"
        response = self._send("PUT", path, timeout, body=document)
        if _is_conflict(response):
            raise Conflict()
        return self._document(self._ok(response, "PUT", "pipelines"))

    def _send(self, method: str, path: str, timeout: float, *, body: object = None) -> ApiAnswer:
        try:
            return self.session.request(method, path, body=body, timeout=timeout)
        except TransportError as exc:
            raise TransientApiError(f"{method} {self.session.url_for(path)}: {exc}") from exc

    def _ok(self, response: ApiAnswer, method: str, what: str) -> ApiAnswer:
        if 200 <= response.status < 300:
            return response
        if response.status == 429 or response.status >= 500:
            raise TransientApiError(
                f"{response.status} {response.reason} from {method} {response.url}",
                retry_after=response.retry_after(),
            )
        if response.status == 403:
            raise _forbidden(response, method, _PERMISSIONS[(method, what)])
        raise refused(response, method)

    def _document(self, response: ApiAnswer) -> dict[str, Any]:
        """The answer as a pipeline-shaped map: the parts the step reads (`metadata`,
        `spec`, `spec.triggers`) of the types it reads them as, every string printable, a
        sane depth. Any other 2xx answer is not Codefresh's: exit 4, never a crash later."""
        try:
            data = response.json()
        except ValueError as exc:
            raise TransientApiError(f"unreadable answer from {response.url}") from exc
        if not isinstance(data, dict):
            return {}
        body = data.get("spec") or {}
        if (
            not clean_json(data)
            or not isinstance(data.get("metadata") or {}, dict)
            or not isinstance(body, dict)
            or not isinstance(body.get("triggers") or [], list)
        ):
            raise ApiError(
                f"the answer from {response.url} is not a pipeline Codefresh would send — "
                "check CF_URL (it must be the Codefresh API)"
            )
        return data


def _is_conflict(response: ApiAnswer) -> bool:
    if response.status == 409:
        return True
    if response.status not in (400, 422):
        return False
    text = response.text(500).lower()
    return any(word in text for word in _CONFLICT_WORDS)


def _forbidden(response: ApiAnswer, method: str, permission: str) -> ApiError:
    base = refused(response, method).message.split(" — ")[0]
    return ApiError(
        f"{base} — the API key may not {permission}: give it that permission, or pass a "
        "user API key that has it as CF_API_KEY (the build's own key usually cannot change "
        "pipelines)",
        status=403,
    )
