"""A tiny HTTP client for the emulator's own tests: no retries, no redirects."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from cfstep.emulator import Emulator


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def call(
    emu: Emulator,
    method: str,
    path: str,
    body: Any = None,
    *,
    key: str | None = "",
    timeout: float = 5.0,
) -> Reply:
    """One request on a fresh connection; `key` "" means the emulator's key, None none."""
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=timeout)
    try:
        return send(conn, emu, method, path, body, key=key)
    finally:
        conn.close()


def send(
    conn: http.client.HTTPConnection,
    emu: Emulator,
    method: str,
    path: str,
    body: Any = None,
    *,
    key: str | None = "",
) -> Reply:
    """One request on `conn` (kept open, to test keep-alive)."""
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Authorization"] = key or emu.api_key
    data = None if body is None else json.dumps(body).encode()
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    return Reply(
        response.status,
        {k.lower(): v for k, v in response.getheaders()},
        response.read(),
    )


def run_path(pipeline: str, req_id: str | None = None) -> str:
    """The run endpoint for `pipeline`, its name encoded as one path segment."""
    path = f"/api/pipelines/run/{quote(pipeline, safe='')}"
    return path if req_id is None else f"{path}?reqId={req_id}"


def run(emu: Emulator, pipeline: str, body: Any = None, req_id: str | None = None) -> str:
    """Start a build and return its id (asserting the run succeeded)."""
    reply = call(emu, "POST", run_path(pipeline, req_id), {} if body is None else body)
    assert reply.status == 200, reply
    build_id = reply.json
    assert isinstance(build_id, str)
    return build_id


def build(emu: Emulator, build_id: str) -> dict[str, Any]:
    reply = call(emu, "GET", f"/api/builds/{build_id}?noAccount=false")
    assert reply.status == 200, reply
    doc = reply.json
    assert isinstance(doc, dict)
    return doc
