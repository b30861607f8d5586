"""Every API answer parsed into typed values; anything else is an API error.

The one boundary between what Codefresh sends and what the step holds: a build becomes a
`Build` (every field checked), an id is letters, digits, `-` and `_`, a time is always
aware, a string is printable and writable (`clean_text`), a parsed document is shallow and
printable (`clean_json`), annotations are `{key: value}` strings, a pipeline is a map of
the shape the step reads. An answer that cannot be read so is a `TransientApiError` (the
next poll may read it), never a value half-trusted.

An answer about a named object (a build, a pipeline, a project, a build's annotations) must
be about that object, by name or id: anything else is an ApiError (exit 4) naming both,
never another pipeline's trigger ids written back, nor another build's values exported.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from cfstep.codefresh.ids import identifier
from cfstep.console import shown
from cfstep.errors import ApiError, TransientApiError
from cfstep.model import MAX_GLOB_CHARS

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any


@dataclass(frozen=True)
class ApiAnswer:
    """An HTTP answer of the API, read whole (`cfstep.codefresh.transport`)."""

    status: int
    reason: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    url: str  # exactly as sent

    def json(self) -> object:
        """The body as JSON; ValueError when it is not, or nests too deep to read (the
        parser's RecursionError is not a bug of the step but an unreadable answer)."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except RecursionError as exc:
            raise ValueError("the answer nests too deep") from exc

    def text(self, limit: int = 300) -> str:
        return self.body.decode("utf-8", "replace")[:limit]

    def retry_after(self) -> float | None:
        """Retry-After in seconds (the delta form; an HTTP date is read as absent)."""
        value = self.headers.get("retry-after", "").strip()
        try:
            seconds = float(value)
        except ValueError:
            return None
        return seconds if 0 <= seconds < 86_400 else None


# A status is a word (Codefresh's are lower-case words with dashes); anything else in that
# field is not an answer the step can act on, or print, or export.
_STATUS = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
# A commit id: SHA-1 or SHA-256, in full or abbreviated as git allows.
_REVISION = re.compile(r"[0-9a-fA-F]{7,64}")
_MAX_TRIGGERS = 1000
_MAX_BUILDS_READ = 100


@dataclass(frozen=True)
class Build:
    id: str
    status: str
    progress: str | None
    created: datetime | None
    finished: datetime | None

    @classmethod
    def from_json(cls, data: object, build_id: str) -> Build:
        """The one way a build answer becomes a Build: every field checked, so what the
        step holds afterwards is clean typed values; anything else is an unreadable answer
        (transient: the next poll may read it)."""
        if not isinstance(data, dict):
            raise TransientApiError(f"build {build_id}: the answer is not a build")
        status = data.get("status")
        if not isinstance(status, str) or not _STATUS.fullmatch(status):
            raise TransientApiError(f"build {build_id}: the answer has no readable status")
        answered = identifier(data.get("id"))
        if answered is not None and answered != build_id:
            raise ApiError(
                f"the answer about build {build_id} is about build {answered} — check CF_URL "
                "(it must be the Codefresh API)"
            )
        return cls(
            id=build_id,
            status=status,
            progress=identifier(data.get("progress")),
            created=timestamp(data.get("created")),
            finished=timestamp(data.get("finished")),
        )

    def duration_seconds(self) -> float | None:
        if self.created is None or self.finished is None:
            return None
        return max(0.0, (self.finished - self.created).total_seconds())


def clean_text(value: object, limit: int = 4096) -> str | None:
    """A string from an answer that can be printed and written: encodable as UTF-8 (a lone
    surrogate such as "\\ud800" is not) and of a sane size; otherwise None."""
    if not isinstance(value, str) or len(value) > limit:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value


def clean_json(data: object, max_depth: int = 64) -> bool:
    """True when a parsed answer nests at most `max_depth` deep and every string in it, key
    or value, can be printed and written (walked without recursion, whatever its depth)."""
    pending: list[tuple[object, int]] = [(data, 0)]
    while pending:
        item, depth = pending.pop()
        if depth > max_depth:
            return False
        if isinstance(item, dict):
            for key, value in item.items():
                if clean_text(key, 1 << 20) is None:
                    return False
                pending.append((value, depth + 1))
        elif isinstance(item, list):
            pending.extend((value, depth + 1) for value in item)
        elif isinstance(item, str) and clean_text(item, 1 << 22) is None:
            return False
    return True


def timestamp(value: object) -> datetime | None:
    """An ISO time, always aware: a time without a zone is UTC (Codefresh writes UTC), so
    a `created` with a zone and a `finished` without one can still be subtracted."""
    found = clean_text(value, 64)
    if not found:
        return None
    try:
        parsed = datetime.fromisoformat(found.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def json_of(response: ApiAnswer, what: str) -> object:
    try:
        return response.json()
    except ValueError as exc:
        raise TransientApiError(f"{what}: unreadable answer") from exc


def annotations_from(data: object, build_id: str) -> dict[str, str]:
    """Annotations as `{key: value}`: a key or value that cannot be printed is left out; a
    value that is not a string is kept as its JSON. One that names another build is no
    answer about this one: an ApiError."""
    if isinstance(data, dict):  # some versions wrap the list
        data = data.get("docs", data.get("annotations", []))
    found: dict[str, str] = {}
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict):
            continue
        _check_entity(item.get("entityId"), build_id)
        key = clean_text(item.get("key"), 1024)
        if key is None:
            continue
        value = item.get("value")
        if not isinstance(value, str):
            try:
                value = json.dumps(value)  # escapes every non-ASCII character
            except (ValueError, TypeError, RecursionError):
                continue
        kept = clean_text(value, 1 << 20)
        if kept is not None:
            found[key] = kept
    return found


def _check_entity(entity: object, build_id: str) -> None:
    if isinstance(entity, str) and entity != build_id:
        raise ApiError(
            f"the annotations of build {build_id} include those of {shown(entity, 40)} — "
            "check CF_URL (it must be the Codefresh API)"
        )


def build_id_from(response: ApiAnswer) -> str | None:
    """The run answer is the build id as a JSON string; tolerate plain text and {"id": …}."""
    try:
        data = response.json()
    except ValueError:
        data = response.text(200).strip()
    if isinstance(data, dict):
        data = data.get("id") or data.get("workflowId")
    return identifier(data.strip()) if isinstance(data, str) else None


def pipeline_from(response: ApiAnswer, name: str) -> dict[str, Any]:
    """A pipeline answer as the map the step reads: `metadata`, `spec` and `spec.triggers`
    of the types it reads them as, every string printable, a sane depth, and about `name`
    (its `metadata.name`, or its `metadata.id` for a pipeline asked for by id)."""
    data = _document(response)
    metadata = data.get("metadata") or {}
    body = data.get("spec") or {}
    if (
        not isinstance(metadata, dict)
        or not isinstance(body, dict)
        or not isinstance(body.get("triggers") or [], list)
    ):
        raise _not_codefresh(response, "a pipeline")
    if name not in (metadata.get("name"), metadata.get("id")):
        other, other_id = metadata.get("name"), metadata.get("id")
        raise ApiError(
            f"the answer from {response.url} is about pipeline {_named(other)} (id "
            f"{_named(other_id)}), not {name!r} — check CF_URL (it must be the Codefresh API)"
        )
    return data


def progress_from(response: ApiAnswer, progress_id: str) -> object:
    """A build's progress job (where its log is kept), about that job when it names one."""
    data = json_of(response, "progress")
    named = data.get("_id", data.get("id")) if isinstance(data, dict) else None
    if isinstance(named, str) and named != progress_id:
        raise ApiError(
            f"the answer from {response.url} is about progress job {_named(named)}, not "
            f"{progress_id} — check CF_URL (it must be the Codefresh API)"
        )
    return data


def project_found(response: ApiAnswer, project: str) -> None:
    """A project answer that names the project asked for; an ApiError otherwise."""
    data = _document(response)
    named = data.get("projectName", data.get("name"))
    if named != project:
        raise ApiError(
            f"the answer from {response.url} is about project {_named(named)}, not "
            f"{project!r} — check CF_URL (it must be the Codefresh API)"
        )


def validation_from(response: ApiAnswer) -> tuple[bool, str]:
    """The YAML validator's verdict and, when it refused, its messages on one line."""
    data = _document(response)
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


def _document(response: ApiAnswer) -> dict[str, Any]:
    """A JSON object every string of which can be printed, at a sane depth; unreadable
    JSON is transient (it may read next time), any other shape is not Codefresh's."""
    try:
        data = response.json()
    except ValueError as exc:
        raise TransientApiError(f"unreadable answer from {response.url}") from exc
    if not isinstance(data, dict) or not clean_json(data):
        raise _not_codefresh(response, "an answer")
    return data


def _not_codefresh(response: ApiAnswer, what: str) -> ApiError:
    return ApiError(
        f"the answer from {response.url} is not {what} Codefresh would send — check CF_URL "
        "(it must be the Codefresh API)"
    )


def _named(value: object) -> str:
    return shown(value, 80) if isinstance(value, str) else "(none)"


@dataclass(frozen=True)
class Trigger:
    """One git trigger of a pipeline, as far as MODIFIED_FILES_GLOB=trigger reads it."""

    name: str
    id: str | None
    type: str | None
    modified_files_glob: str | None  # its "Modified files" filter; None: it has none
    glob_unreadable: bool = False  # it has one, but not a string cfstep can match


@dataclass(frozen=True)
class PipelineTriggers:
    """A pipeline's id (what the builds list filters on) and its triggers."""

    id: str
    name: str
    triggers: tuple[Trigger, ...]


@dataclass(frozen=True)
class LastBuild:
    """The newest build of a pipeline that matched a builds query; `revision` is the commit
    it built, None when the answer names none cfstep can read."""

    id: str
    revision: str | None


def pipeline_triggers_from(data: object, requested: str) -> PipelineTriggers:
    """`GET /api/pipelines/<name>` as its id and triggers. An answer that is not a pipeline,
    or is another pipeline than the one asked for, is an ApiError: reading it again would
    not help."""
    metadata = data.get("metadata") if isinstance(data, dict) else None
    spec = data.get("spec") if isinstance(data, dict) else None
    pipeline_id = identifier(metadata.get("id")) if isinstance(metadata, dict) else None
    name = _printable(metadata.get("name"), 1024) if isinstance(metadata, dict) else None
    if pipeline_id is None or name is None or not isinstance(spec, dict | None):
        raise ApiError(f"the answer about pipeline {requested!r} is not a pipeline with an id")
    if requested not in (pipeline_id, name):
        raise ApiError(
            f"asked for pipeline {requested!r}, the answer is about {name!r} ({pipeline_id})"
        )
    raw = (spec or {}).get("triggers")
    items = raw[:_MAX_TRIGGERS] if isinstance(raw, list) else []
    triggers = tuple(_trigger(item) for item in items if isinstance(item, dict))
    return PipelineTriggers(pipeline_id, name, tuple(t for t in triggers if t is not None))


def _trigger(item: dict[str, object]) -> Trigger | None:
    name = _printable(item.get("name"), 256)
    if not name:
        return None  # a trigger nobody can name, or whose name cannot be printed in a line
    raw = item.get("modifiedFilesGlob")
    glob = _printable(raw, MAX_GLOB_CHARS)
    return Trigger(
        name=name,
        id=identifier(item.get("id")),
        type=_printable(item.get("type"), 64),
        modified_files_glob=glob or None,
        glob_unreadable=raw not in (None, "") and glob is None,
    )


def _printable(value: object, limit: int) -> str | None:
    """`clean_text` that also goes into a line of the log as it is: no line break, escape or
    other control character."""
    text = clean_text(value, limit)
    return text if text is not None and text.isprintable() else None


def last_build_from(data: object, *, pipeline_id: str, branch: str) -> LastBuild | None:
    """The first build of a `GET /api/workflow` answer (newest first) that is a success of
    `pipeline_id` on `branch`: the filters are checked again here, so a server that ignored
    one never makes another pipeline's or branch's build the base. None: no such build."""
    workflows = data.get("workflows") if isinstance(data, dict) else None
    docs = workflows.get("docs") if isinstance(workflows, dict) else None
    if not isinstance(docs, list):
        raise ApiError("the answer listing builds holds no `workflows.docs` list")
    for doc in docs[:_MAX_BUILDS_READ]:
        if not isinstance(doc, dict) or doc.get("status") != "success":
            continue
        if doc.get("branchName") != branch or doc.get("serviceId", pipeline_id) != pipeline_id:
            continue
        revision = doc.get("revision")
        readable = isinstance(revision, str) and _REVISION.fullmatch(revision) is not None
        return LastBuild(
            id=identifier(doc.get("id")) or "(no id)",
            revision=str(revision).lower() if readable else None,
        )
    return None
