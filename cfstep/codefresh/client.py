"""The Codefresh API client: methods named after the API, retry rules, refusal messages.

Each answer is parsed into typed values by `cfstep.codefresh.answers`, never here. Only the
pipelines, builds, progress and annotations endpoints are used (README, "Safety": a pipeline
execution-context token may be refused anything else, such as /api/user).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from cfstep.codefresh.answers import (
    Build,
    LastBuild,
    PipelineTriggers,
    annotations_from,
    build_id_from,
    clean_text,
    json_of,
    last_build_from,
    pipeline_triggers_from,
)
from cfstep.codefresh.run_request import quote_segment
from cfstep.codefresh.transport import ApiAnswer, ApiSession, TransportError, new_session
from cfstep.console import Console, clip
from cfstep.errors import ApiError, TransientApiError
from cfstep.model import Config
from cfstep.timing import Backoff, Clock, Deadline, Jitter, Sleep

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from typing import TypeVar

    from cfstep.cancel import CancelGuard

    T = TypeVar("T")

RUN_GIVE_UP_SECONDS = 60.0
# Retried with the same reqId (README, "Safety"); never a 500, which may have started the build.
RUN_RETRY_STATUSES = frozenset({429, 502, 503, 504})


class CodefreshClient:
    def __init__(
        self,
        session: ApiSession,
        *,
        clock: Clock,
        sleep: Sleep,
        jitter: Jitter,
        backoff: Backoff | None = None,
    ) -> None:
        self.session = session
        self._clock = clock
        self._sleep = sleep
        self._jitter = jitter
        self._backoff = backoff or Backoff()

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
                if guard is None:
                    self._sleep(wait)
                else:
                    guard.pause(self._sleep, wait)
                    if guard.holding:
                        raise
                attempt += 1

    def build_url(self, build_id: str) -> str:
        return f"{self.session.base_url}/build/{build_id}"

    def run_pipeline(
        self,
        pipeline: str,
        body: Mapping[str, object],
        req_id: str,
        guard: CancelGuard | None = None,
    ) -> str:
        """Start a build; the same reqId on every retry, so Codefresh starts it only once.
        Retried: no answer, 429, 502, 503, 504, an unreadable 200; never a 500 or another
        4xx, which may mean the build started or will never start (README, "Safety").
        Not retried once `guard` holds a signal: a stopped step sends no new run request."""
        path = f"/api/pipelines/run/{quote_segment(pipeline)}"
        attempts = 0

        def attempt(timeout: float) -> str:
            nonlocal attempts
            if guard is not None and guard.holding:  # a signal came before the first send
                raise TransientApiError("not sent: the step is stopping")
            attempts += 1
            try:
                response = self.session.request(
                    "POST", path, query={"reqId": req_id}, body=body, timeout=timeout
                )
            except TransportError as exc:
                if not exc.retryable:
                    raise ApiError(f"could not start {pipeline!r}: {exc}") from exc
                raise TransientApiError(str(exc)) from exc
            if response.status in (200, 201):
                build_id = build_id_from(response)
                if build_id is None:
                    raise TransientApiError(f"unreadable answer {clip(response.text(81), 80)!r}")
                return build_id
            if response.status in RUN_RETRY_STATUSES:
                raise TransientApiError(
                    f"{response.status} {response.reason}", retry_after=response.retry_after()
                )
            raise refused(response, "POST", pipeline=pipeline)

        try:
            return self.retrying(attempt, RUN_GIVE_UP_SECONDS, guard)
        except TransientApiError as exc:
            raise ApiError(
                f"could not start {pipeline!r}: {exc.message}, {attempts} attempts in "
                f"{RUN_GIVE_UP_SECONDS:.0f} s (reqId {req_id}) — check CF_URL and "
                "Codefresh's status, then run the step again"
            ) from exc

    def get_build(self, build_id: str, timeout: float | None = None) -> Build:
        # noAccount=false: the query the official SDK sends with every status request.
        response = self._get(
            f"/api/builds/{quote_segment(build_id)}",
            timeout,
            query={"noAccount": "false"},
            build_id=build_id,
        )
        return Build.from_json(json_of(response, f"build {build_id}"), build_id)

    def terminate(self, progress_id: str, timeout: float | None = None) -> None:
        response = self._call("DELETE", f"/api/progress/{quote_segment(progress_id)}", timeout)
        if not 200 <= response.status < 300:
            raise _classify(response, "DELETE")

    def progress(self, progress_id: str, timeout: float | None = None) -> object:
        """The progress job of a build: `location` says where its log is kept."""
        response = self._get(f"/api/progress/{quote_segment(progress_id)}", timeout)
        return json_of(response, "progress")

    def firebase_auth(self, progress_id: str, timeout: float | None = None) -> object:
        """`{url, accessToken, newStructure}`: how to read a running build's log."""
        query = {"progressId": progress_id}
        return json_of(self._get("/api/user/firebaseAuth", timeout, query=query), "firebaseAuth")

    def annotations(self, build_id: str, timeout: float | None = None) -> dict[str, str]:
        query = {"entityType": "workflow", "entityId": build_id}
        response = self._call("GET", "/api/annotations", timeout, query=query)
        if response.status == 404:  # a build nobody annotated: the official CLI reads it so
            return {}
        if response.status != 200:
            raise _classify(response, "GET")
        return annotations_from(json_of(response, "annotations"))

    def pipeline_triggers(self, name: str, timeout: float | None = None) -> PipelineTriggers:
        """The pipeline's id and git triggers (MODIFIED_FILES_GLOB=trigger, and the id the
        builds list filters on)."""
        response = self._call("GET", f"/api/pipelines/{quote_segment(name)}", timeout)
        if response.status == 429 or response.status >= 500:
            raise _classify(response, "GET")
        if response.status != 200:
            raise refused(response, "GET", pipeline=name)
        return pipeline_triggers_from(json_of(response, f"pipeline {name}"), name)

    def last_successful_build(
        self, pipeline_id: str, branch: str, timeout: float | None = None
    ) -> LastBuild | None:
        """The newest successful build of the pipeline on the branch (CHANGED_SINCE=
        last-success), as the official CLI's `get builds` asks for it."""
        query = {"pipeline": pipeline_id, "status": "success", "branchName": branch, "limit": "1"}
        response = self._get("/api/workflow", timeout, query=query)
        return last_build_from(json_of(response, "builds"), pipeline_id=pipeline_id, branch=branch)

    def _get(
        self,
        path: str,
        timeout: float | None,
        *,
        query: Mapping[str, str] | None = None,
        build_id: str | None = None,
    ) -> ApiAnswer:
        response = self._call("GET", path, timeout, query=query)
        if response.status != 200:
            raise _classify(response, "GET", build_id=build_id)
        return response

    def _call(
        self,
        method: str,
        path: str,
        timeout: float | None,
        query: Mapping[str, str] | None = None,
    ) -> ApiAnswer:
        try:
            return self.session.request(method, path, query=query, timeout=timeout)
        except TransportError as exc:
            raise _no_answer(exc, f"{method} {self.session.url_for(path)}: ") from exc


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
    return CodefreshClient(session, clock=clock, sleep=sleep, jitter=jitter)


def _no_answer(exc: TransportError, context: str) -> ApiError:
    """No answer is worth waiting out, unless sending again cannot help (an untrusted
    certificate, an oversized answer): that ends the run at once, exit 4."""
    if exc.retryable:
        return TransientApiError(f"{context}{exc}")
    return ApiError(f"{context}{exc}")


def _classify(response: ApiAnswer, method: str, *, build_id: str | None = None) -> ApiError:
    """While following, waitable trouble is transient; everything else ends the wait."""
    if response.status == 429 or response.status >= 500:
        return TransientApiError(
            f"{response.status} {response.reason} from {method} {response.url}",
            retry_after=response.retry_after(),
        )
    return refused(response, method, build_id=build_id)


def refused(
    response: ApiAnswer, method: str, *, pipeline: str | None = None, build_id: str | None = None
) -> ApiError:
    """The one place that turns a refusal into a message with cause and fix."""
    head = f"{response.status} {response.reason} from {method} {response.url}"
    detail = _server_message(response)
    head += f" ({detail})" if detail else ""
    match response.status:
        case 301 | 302 | 303 | 307 | 308:
            target = _host_of(response.headers.get("location", "")) or "elsewhere"
            fix = (
                f"a redirect to {target}, not followed so the API key stays with CF_URL's "
                "host — set CF_URL to the final address"
            )
        case 401:
            fix = "check that CF_API_KEY is set and valid"
        case 403:
            fix = "the API key may not do this: check its scopes and the pipeline's permissions"
        case 407:
            fix = "the proxy refused its credentials: check the user:password in HTTP_PROXY"
        case 404 if pipeline is not None:
            fix = f"pipeline {pipeline!r} not found: check PIPELINE_ID (project/pipeline or id)"
        case 404 if build_id is not None:
            fix = f"build {build_id} not found: check BUILD_ID and the account of the API key"
        case 400 if pipeline is not None:
            fix = "check BRANCH, SHA, TRIGGER_ID and the variables"
        case 500 if pipeline is not None:
            fix = (
                "Codefresh failed; not retried, since the build may have started — "
                "check the pipeline's builds before running the step again"
            )
        case _:
            fix = "check CF_URL and the inputs"
    return ApiError(f"{head} — {fix}", status=response.status)


def _host_of(url: str) -> str:
    """The host a redirect names; nothing for a Location that is not a URL at all."""
    try:
        return clean_text(urlsplit(url).netloc, 300) or ""
    except ValueError:  # such as "http://[bad": an unbalanced IPv6 bracket
        return ""


def _server_message(response: ApiAnswer) -> str:
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        message = clean_text(data.get("message") or data.get("error"))
        if message is not None:
            return clip(" ".join(message.split()), 300)
    if "html" in response.headers.get("content-type", ""):
        return "an HTML page"
    return clip(" ".join(response.text(201).split()), 200)
