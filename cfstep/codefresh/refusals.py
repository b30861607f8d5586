"""What an answer that is not a success means, and what to say about it: waitable trouble
(429, 5xx), a refusal with its cause and fix, a conflict a spec's write can resolve by
reading again. The client decides when each applies (`cfstep.codefresh.client`).

Codefresh's errors are JSON, `{status, code, name, message, context}`: a conflict is read
from the status and the `code`/`name` fields, never from the message, which may echo
anything the request held (a spec's own text, for one).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from cfstep.codefresh.answers import clean_text
from cfstep.console import clip
from cfstep.errors import ApiError, TransientApiError

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from cfstep.codefresh.answers import ApiAnswer

# What each call of a spec's needs, in the words of Codefresh's permission settings.
PERMISSIONS = {
    ("GET", "pipelines"): "read pipelines",
    ("POST", "pipelines"): "create pipelines",
    ("PUT", "pipelines"): "update pipelines",
    ("GET", "projects"): "read projects",
    ("POST", "projects"): "create projects",
    ("POST", "validator"): "validate pipeline YAML",
}
# An error code naming an object that exists already or a revision that moved on:
# PIPELINE_ALREADY_EXIST, PROJECT_ALREADY_EXISTS, REVISION_MISMATCH and their kind.
_CONFLICT_CODE = re.compile(r"[A-Z0-9_]*(ALREADY_EXIST|DUPLICATE|REVISION|CONFLICT)[A-Z0-9_]*")


def is_conflict(response: ApiAnswer) -> bool:
    """The write was refused because the object is not as it was read: a 409, or a 400/422
    whose error code says so."""
    if response.status == 409:
        return True
    if response.status not in (400, 422):
        return False
    error = _error_document(response)
    return any(
        isinstance(field, str) and _CONFLICT_CODE.fullmatch(field)
        for field in (error.get("code"), error.get("name"))
    )


def not_ok(
    response: ApiAnswer, method: str, *, pipeline: str | None = None, build_id: str | None = None
) -> ApiError:
    """Waitable trouble (429, 5xx) is transient; everything else is a refusal."""
    if response.status == 429 or response.status >= 500:
        return TransientApiError(
            f"{response.status} {response.reason} from {method} {response.url}",
            retry_after=response.retry_after(),
        )
    return refused(response, method, pipeline=pipeline, build_id=build_id)


def refused(
    response: ApiAnswer, method: str, *, pipeline: str | None = None, build_id: str | None = None
) -> ApiError:
    """The one place that turns a refusal into a message with cause and fix."""
    return ApiError(
        f"{_head(response, method)} — {_fix(response, pipeline, build_id)}", status=response.status
    )


def forbidden(response: ApiAnswer, method: str, permission: str) -> ApiError:
    """A 403 on a spec's call: which permission the key lacks, and the way out."""
    return ApiError(
        f"{_head(response, method)} — the API key may not {permission}: give it that "
        "permission, or pass a user API key that has it as CF_API_KEY (the build's own key "
        "usually cannot change pipelines)",
        status=403,
    )


def spec_refused(response: ApiAnswer, method: str) -> ApiError:
    """A spec's write refused as invalid (a 400 or 422 that is no conflict): what Codefresh
    said, as it is, and that the spec is what to change."""
    return ApiError(
        f"{_head(response, method)} — Codefresh refused the pipeline spec as sent: fix what "
        "its message names in the spec, then run the step again",
        status=response.status,
    )


def _head(response: ApiAnswer, method: str) -> str:
    head = f"{response.status} {response.reason} from {method} {response.url}"
    detail = _server_message(response)
    return head + (f" ({detail})" if detail else "")


def _fix(response: ApiAnswer, pipeline: str | None, build_id: str | None) -> str:  # noqa: PLR0911 - one answer per status
    match response.status:
        case 301 | 302 | 303 | 307 | 308:
            target = _host_of(response.headers.get("location", "")) or "elsewhere"
            return (
                f"a redirect to {target}, not followed so the API key stays with CF_URL's "
                "host — set CF_URL to the final address"
            )
        case 401:
            return "check that CF_API_KEY is set and valid"
        case 403:
            return "the API key may not do this: check its scopes and the pipeline's permissions"
        case 407:
            return "the proxy refused its credentials: check the user:password in HTTP_PROXY"
        case 404 if pipeline is not None:
            return f"pipeline {pipeline!r} not found: check PIPELINE_ID (project/pipeline or id)"
        case 404 if build_id is not None:
            return f"build {build_id} not found: check BUILD_ID and the account of the API key"
        case 400 if _plain_http_to_tls(response):
            host = urlsplit(response.url).netloc
            return (
                f"an HTML page answered plain HTTP, as a TLS port does: if {host} serves "
                f"https, CF_URL must start with https:// (https://{host})"
            )
        case 400 if pipeline is not None:
            return "check BRANCH, SHA, TRIGGER_ID and the variables"
        case 500 if pipeline is not None:
            return (
                "Codefresh failed; not retried, since the build may have started — "
                "check the pipeline's builds before running the step again"
            )
        case _:
            return "check CF_URL and the inputs"


def _plain_http_to_tls(response: ApiAnswer) -> bool:
    """A web server's 400 page for a plain request to its TLS port: Codefresh's API answers
    JSON, so an HTML 400 on an http:// URL is the server saying so (nginx does)."""
    html = "html" in response.headers.get("content-type", "")
    return html and response.url.startswith("http://")


def _host_of(url: str) -> str:
    """The host a redirect names; nothing for a Location that is not a URL at all."""
    try:
        return clean_text(urlsplit(url).netloc, 300) or ""
    except ValueError:  # such as "http://[bad": an unbalanced IPv6 bracket
        return ""


def _error_document(response: ApiAnswer) -> dict[str, object]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _server_message(response: ApiAnswer) -> str:
    error = _error_document(response)
    message = clean_text(error.get("message") or error.get("error"))
    if message is not None:
        return clip(" ".join(message.split()), 300)
    if "html" in response.headers.get("content-type", ""):
        return "an HTML page"
    return clip(" ".join(response.text(201).split()), 200)
