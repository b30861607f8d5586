"""The Codefresh API client: every call the step makes, by methods named after the API, with
one sending path, one reading of what failed, one retry policy.

Each answer is parsed into typed values by `cfstep.codefresh.answers`, and a refusal is put
in words by `cfstep.codefresh.refusals`, never here. Only the pipelines, builds, progress
and annotations endpoints are on the trigger path (docs/safety.md: a pipeline
execution-context token may be refused anything else, such as /api/user); PIPELINE_SPEC adds
projects and the YAML validator, FOLLOW_LOGS the log database's token.
"""

from __future__ import annotations

from cfstep.codefresh import answers, refusals
from cfstep.codefresh.answers import Build
from cfstep.codefresh.failures import TransportError
from cfstep.codefresh.run_request import quote_segment
from cfstep.codefresh.transport import new_session
from cfstep.console import clip
from cfstep.errors import ApiError, TransientApiError
from cfstep.timing import Backoff, Deadline

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any, TypeVar

    from cfstep.cancel import CancelGuard
    from cfstep.codefresh.answers import ApiAnswer, LastBuild, PipelineTriggers
    from cfstep.codefresh.transport import ApiSession
    from cfstep.console import Console
    from cfstep.model import Config
    from cfstep.timing import Clock, Jitter, Sleep

    T = TypeVar("T")

RUN_GIVE_UP_SECONDS = 60.0
# Retried with the same reqId (docs/safety.md); never a 500, which may have started the build.
RUN_RETRY_STATUSES = frozenset({429, 502, 503, 504})


class Unreachable(TransientApiError):
    """No answer at all (refused, no such host, timed out, dropped): worth waiting out, and
    worth saying at once, since a wait without a word looks like a hang. `reason`: what
    happened, in a few words."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class Conflict(Exception):
    """A spec's write was refused because the pipeline is not as it was read: it exists now
    (create), or its revision moved on (replace)."""


class CodefreshClient:
    def __init__(
        self,
        session: ApiSession,
        *,
        clock: Clock,
        sleep: Sleep,
        jitter: Jitter,
        backoff: Backoff | None = None,
        notice: Callable[[str], None] | None = None,
    ) -> None:
        self.session = session
        self._clock = clock
        self._sleep = sleep
        self._jitter = jitter
        self._backoff = backoff or Backoff()
        self._notice = notice  # told once, at the first failure to reach Codefresh

    def retrying(
        self,
        call: Callable[[float], T],
        budget_seconds: float,
        guard: CancelGuard | None = None,
    ) -> T:
        """`call(timeout)` until it answers: transient trouble (no answer, 5xx, 429,
        unreadable JSON) is retried with backoff, Retry-After honoured, within the budget;
        past it, the last TransientApiError. A refusal is raised at once. With a `guard`
        holding a signal, nothing more is sent: the wait before a retry ends at once."""
        deadline = Deadline.after(self._clock, budget_seconds)
        attempt = 0
        while True:
            try:
                return call(deadline.remaining())
            except TransientApiError as exc:
                wait = self._backoff.delay(attempt, self._jitter(), exc.retry_after)
                if wait >= deadline.remaining() or (guard is not None and guard.holding):
                    raise
                if isinstance(exc, Unreachable):
                    self._say_unreachable(exc, budget_seconds)
                if guard is None:
                    self._sleep(wait)
                else:
                    guard.pause(self._sleep, wait)
                    if guard.holding:
                        raise
                attempt += 1

    def _say_unreachable(self, exc: Unreachable, budget_seconds: float) -> None:
        if self._notice is not None:
            self._notice(
                f"cannot reach {self.session.base_url}: {exc.reason} — retrying for up to "
                f"{budget_seconds:.0f} s"
            )
            self._notice = None  # once per run

    def build_url(self, build_id: str) -> str:
        return f"{self.session.base_url}/build/{build_id}"

    # -- builds ---------------------------------------------------------------------------

    def run_pipeline(
        self,
        pipeline: str,
        body: Mapping[str, object],
        req_id: str,
        guard: CancelGuard | None = None,
    ) -> str:
        """Start a build; the same reqId on every retry, so Codefresh starts it only once.
        Retried: no answer, 429, 502, 503, 504, an unreadable 200; never a 500 or another
        4xx, which may mean the build started or will never start (docs/safety.md).
        Not retried once `guard` holds a signal: a stopped step sends no new run request."""
        path = f"/api/pipelines/run/{quote_segment(pipeline, 'the pipeline')}"
        attempts = 0

        def attempt(timeout: float) -> str:
            nonlocal attempts
            if guard is not None and guard.holding:  # a signal came before the first send
                raise TransientApiError("not sent: the step is stopping")
            attempts += 1
            response = self._call(
                "POST",
                path,
                timeout,
                query={"reqId": req_id},
                body=body,
                about=f"could not start {pipeline!r}",
            )
            if response.status in (200, 201):
                build_id = answers.build_id_from(response)
                if build_id is None:
                    raise TransientApiError(f"unreadable answer {clip(response.text(81), 80)!r}")
                return build_id
            if response.status in RUN_RETRY_STATUSES:
                raise TransientApiError(
                    f"{response.status} {response.reason}", retry_after=response.retry_after()
                )
            raise refusals.refused(response, "POST", pipeline=pipeline)

        try:
            return self.retrying(attempt, RUN_GIVE_UP_SECONDS, guard)
        except TransientApiError as exc:
            why = exc.reason if isinstance(exc, Unreachable) else exc.message
            raise ApiError(
                f"could not start {pipeline!r}: {why}, {attempts} attempts in "
                f"{RUN_GIVE_UP_SECONDS:.0f} s (reqId {req_id}) — check CF_URL and "
                "Codefresh's status, then run the step again"
            ) from exc

    def get_build(self, build_id: str, timeout: float | None = None) -> Build:
        # noAccount=false: the query the official SDK sends with every status request.
        path = f"/api/builds/{quote_segment(build_id, 'the build id')}"
        response = self._ok("GET", path, timeout, query={"noAccount": "false"}, build_id=build_id)
        return Build.from_json(answers.json_of(response, f"build {build_id}"), build_id)

    def terminate(self, progress_id: str, timeout: float | None = None) -> None:
        path = f"/api/progress/{quote_segment(progress_id, 'the progress id')}"
        response = self._call("DELETE", path, timeout)
        if not 200 <= response.status < 300:
            raise refusals.not_ok(response, "DELETE")

    def progress(self, progress_id: str, timeout: float | None = None) -> object:
        """The progress job of a build: `location` says where its log is kept."""
        path = f"/api/progress/{quote_segment(progress_id, 'the progress id')}"
        return answers.progress_from(self._ok("GET", path, timeout), progress_id)

    def firebase_auth(self, progress_id: str, timeout: float | None = None) -> object:
        """`{url, accessToken, newStructure}`: how to read a running build's log."""
        query = {"progressId": progress_id}
        response = self._ok("GET", "/api/user/firebaseAuth", timeout, query=query)
        return answers.json_of(response, "firebaseAuth")

    def annotations(self, build_id: str, timeout: float | None = None) -> dict[str, str]:
        query = {"entityType": "workflow", "entityId": build_id}
        response = self._call("GET", "/api/annotations", timeout, query=query)
        if response.status == 404:  # a build nobody annotated: the official CLI reads it so
            return {}
        if response.status != 200:
            raise refusals.not_ok(response, "GET")
        return answers.annotations_from(answers.json_of(response, "annotations"), build_id)

    # -- pipelines from a spec: reads may be retried; a write that fails unclearly is
    # -- answered by reading again (cfstep.specs.apply), never by sending it again blindly.

    def get_pipeline(self, name: str, timeout: float) -> dict[str, Any] | None:
        """The pipeline as Codefresh has it; None when there is none of that name."""
        response = self._call("GET", self._pipeline_path(name), timeout)
        if response.status == 404:
            return None
        self._spec_ok(response, "GET", "pipelines")
        return answers.pipeline_from(response, name)

    def project_exists(self, project: str, timeout: float) -> bool:
        path = f"/api/projects/name/{quote_segment(project, 'the project')}"
        response = self._call("GET", path, timeout)
        if response.status == 404:
            return False
        self._spec_ok(response, "GET", "projects")
        answers.project_found(response, project)
        return True

    def create_project(self, project: str, timeout: float) -> None:
        """Created, or found created meanwhile by another build: either way it exists."""
        body = {"projectName": project}
        response = self._call("POST", "/api/projects", timeout, body=body)
        if not refusals.is_conflict(response):
            self._spec_ok(response, "POST", "projects")

    def validate(self, steps_yaml: str, timeout: float) -> tuple[bool, str]:
        """Codefresh's YAML validator on a spec's steps: valid, or its messages."""
        body = {"yaml": steps_yaml, "outputFormat": "lint"}
        response = self._call("POST", "/api/pipelines/yaml/validator", timeout, body=body)
        self._spec_ok(response, "POST", "validator")
        return answers.validation_from(response)

    def create_pipeline(self, document: dict[str, Any], timeout: float) -> dict[str, Any]:
        name = str((document.get("metadata") or {}).get("name"))
        response = self._call("POST", "/api/pipelines", timeout, body=document)
        if refusals.is_conflict(response):
            raise Conflict
        self._spec_ok(response, "POST", "pipelines")
        return answers.pipeline_from(response, name)

    def replace_pipeline(
        self, name: str, document: dict[str, Any], timeout: float
    ) -> dict[str, Any]:
        response = self._call("PUT", self._pipeline_path(name), timeout, body=document)
        if refusals.is_conflict(response):
            raise Conflict
        self._spec_ok(response, "PUT", "pipelines")
        return answers.pipeline_from(response, name)

    @staticmethod
    def _pipeline_path(name: str) -> str:
        return f"/api/pipelines/{quote_segment(name, 'the pipeline')}"

    @staticmethod
    def _spec_ok(response: ApiAnswer, method: str, what: str) -> None:
        """A 2xx; else waitable trouble, or a refusal naming the permission a 403 lacks, or
        the spec a write sent."""
        if 200 <= response.status < 300:
            return
        if response.status == 403:
            raise refusals.forbidden(response, method, refusals.PERMISSIONS[(method, what)])
        if response.status in (400, 422) and method != "GET":
            raise refusals.spec_refused(response, method)
        raise refusals.not_ok(response, method)

    # -- what changed: the two reads the monorepo decision needs (docs/monorepos.md) ------

    def pipeline_triggers(self, name: str, timeout: float | None = None) -> PipelineTriggers:
        """The pipeline's id and git triggers (MODIFIED_FILES_GLOB=trigger, and the id the
        builds list filters on)."""
        response = self._ok("GET", self._pipeline_path(name), timeout, pipeline=name)
        return answers.pipeline_triggers_from(answers.json_of(response, f"pipeline {name}"), name)

    def last_successful_build(
        self, pipeline_id: str, branch: str, timeout: float | None = None
    ) -> LastBuild | None:
        """The newest successful build of the pipeline on the branch (CHANGED_SINCE=
        last-success), as the official CLI's `get builds` asks for it."""
        query = {"pipeline": pipeline_id, "status": "success", "branchName": branch, "limit": "1"}
        response = self._ok("GET", "/api/workflow", timeout, query=query)
        builds = answers.json_of(response, "builds")
        return answers.last_build_from(builds, pipeline_id=pipeline_id, branch=branch)

    # -- the one sending path -------------------------------------------------------------

    def _ok(
        self,
        method: str,
        path: str,
        timeout: float | None,
        *,
        query: Mapping[str, str] | None = None,
        pipeline: str | None = None,
        build_id: str | None = None,
    ) -> ApiAnswer:
        """A 200; else waitable trouble or a refusal (naming the pipeline or build asked
        for, when a 404 is about it)."""
        response = self._call(method, path, timeout, query=query)
        if response.status != 200:
            raise refusals.not_ok(response, method, pipeline=pipeline, build_id=build_id)
        return response

    def _call(
        self,
        method: str,
        path: str,
        timeout: float | None,
        *,
        query: Mapping[str, str] | None = None,
        body: object = None,
        about: str | None = None,
    ) -> ApiAnswer:
        """The answer, whatever its status; no answer at all is an ApiError (`about`: what
        its message says was being done, else the request itself)."""
        try:
            return self.session.request(method, path, query=query, body=body, timeout=timeout)
        except TransportError as exc:
            doing = about or f"{method} {self.session.url_for(path, query)}"
            raise _no_answer(exc, doing) from exc


def client_for(
    config: Config, console: Console, *, clock: Clock, sleep: Sleep, jitter: Jitter
) -> CodefreshClient:
    """An API client on a new session to CF_URL, with the run's key, proxies and CAs. A run
    makes one (PIPELINE_SPEC and the trigger share it); each live log makes its own, since
    a session is one connection used by one thread."""
    debug = (lambda line: console.say(f"debug: {line}")) if config.debug else None
    session = new_session(
        config.url,
        config.api_key or "",
        insecure=config.insecure,
        ca_bundle=config.ca_bundle,
        debug=debug,
        environ=config.platform.network,
    )
    return CodefreshClient(session, clock=clock, sleep=sleep, jitter=jitter, notice=console.say)


def _no_answer(exc: TransportError, doing: str) -> ApiError:
    """No answer is worth waiting out, unless sending again cannot help (an untrusted
    certificate, an oversized answer): that ends the run at once, exit 4. A failure of the
    host's (its certificate, its proxy) reads the same whichever request met it."""
    message = str(exc) if exc.about_host else f"{doing}: {exc}"
    if exc.retryable:
        return Unreachable(message, reason=str(exc))
    return ApiError(message)
