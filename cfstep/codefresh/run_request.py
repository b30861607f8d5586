"""The run request's body, built from one child's inputs (reference: "Start a build")."""

from __future__ import annotations

import os
from urllib.parse import quote

from cfstep.errors import InputError

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from cfstep.model import ChildSpec, Config


def quote_segment(name: str, what: str = "a name") -> str:
    """A name or id as ONE path segment that no URL library can change: `/` and every
    other reserved character percent-encoded (`my-project/deploy` → `my-project%2Fdeploy`),
    and a segment of dots alone (`.`, `..`) written `%2E`, which no one normalises away,
    where `..` would climb to another endpoint (`/api/pipelines/run/..` is
    `/api/pipelines/`: create a pipeline). An empty segment is refused: the URL would name
    the collection, not the object."""
    if not name:
        raise InputError(f"{what}: an empty name cannot be sent — give a name or an id")
    segment = quote(name, safe="")
    if segment.strip("."):
        return segment
    return "%2E" * len(segment)


def new_req_id() -> str:
    """A random (version 4) UUID for the run request's reqId, made as `uuid.uuid4()` makes
    it, from 16 bytes of os.urandom: importing `uuid` also loads `platform` and the `_uuid`
    extension, a cost paid on every start for one call (docs/performance.md)."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # the RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def run_body(child: ChildSpec, parent_build_id: str | None) -> dict[str, object]:
    """The body of the run request; `parent_build_id` is this build's (CF_BUILD_ID)."""
    body: dict[str, object] = {}
    for key, value in (("branch", child.branch), ("sha", child.sha), ("trigger", child.trigger)):
        if value:
            body[key] = value
    variables: list[dict[str, object]] = [{"key": k, "value": v} for k, v in child.variables]
    variables += [{"key": k, "value": v, "encrypted": True} for k, v in child.secrets]
    if variables:
        body["variables"] = variables
    annotations = dict(child.annotations)
    if parent_build_id:
        # Links the child to this build in Codefresh's build tree, and lets Codefresh's
        # "terminate child builds" policy reach it.
        annotations["cf_predecessor"] = parent_build_id
    if annotations:
        body["annotations"] = annotations
    if child.contexts:
        body["contexts"] = list(child.contexts)
    if child.yaml is not None:
        body["userYamlDescriptor"] = child.yaml
    options = _options(child)
    if options:
        body["options"] = options
    machine = {
        k: v for k, v in (("runtimeName", child.runtime_name), ("packName", child.pack_name)) if v
    }
    if machine:
        body["userMachineConfig"] = machine
    return body


def _options(child: ChildSpec) -> dict[str, object]:
    options: dict[str, object] = {
        name: True
        for name, on in (
            ("noCache", child.no_cache),
            ("noCfCache", child.no_cf_cache),
            ("resetVolume", child.reset_volume),
            ("enableNotifications", child.enable_notifications),
        )
        if on
    }
    if child.only:
        options["only"] = list(child.only)
    if child.skip:
        options["skip"] = list(child.skip)
    return options


def dry_run(config: Config) -> list[dict[str, object]]:
    """The exact request(s) DRY_RUN prints instead of sending; the key is never shown."""
    documents: list[dict[str, object]] = []
    for spec in config.children:
        path = f"/api/pipelines/run/{quote_segment(spec.pipeline)}?reqId=<uuid4>"
        documents.append(
            {
                "method": "POST",
                "url": config.url + path,
                "headers": {"Authorization": "***", "Content-Type": "application/json"},
                "body": run_body(spec, config.platform.parent_build_id),
            }
        )
    if config.build_id:
        documents.append({"method": "GET", "url": f"{config.url}/api/builds/{config.build_id}"})
    return documents
