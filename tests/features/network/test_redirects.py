"""Redirects (docs/reliability.md): the API key is never sent to a host other than CF_URL's.

A second emulator on another port plays the foreign host; whatever the redirect (status,
absolute or scheme-relative Location, on any request), it receives no request at all.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cfstep.emulator import Emulator, Fault
from harness import Figures, Result

REQUESTS = {
    "run": ("POST", "/api/pipelines/run/", "proj/ok", 4),
    "get build": ("GET", "/api/builds/", "proj/ok", 4),
    "log location": ("GET", "/api/progress/", "proj/fail", 1),
    "annotations": ("GET", "/api/annotations", "proj/ok", 0),
}


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("request_name", list(REQUESTS))
def test_no_request_reaches_the_foreign_host(
    request_name: str,
    status: int,
    emu: Emulator,
    foreign: Emulator,
    run: Callable[..., Result],
    figures: Figures,
) -> None:
    method, prefix, pipeline, code = REQUESTS[request_name]
    # scheme-relative for some: a client resolving it would go to the foreign host too
    where = foreign.url if status % 2 else foreign.url.removeprefix("http:")
    emu.add_fault(
        Fault(method, prefix, "redirect", times=-1, status=status, location=f"{where}{prefix}x")
    )
    # live logs off: the log location is then asked for once, by the tail
    res = run(PIPELINE_ID=pipeline, FOLLOW_LOGS="false")
    figures.counts["redirects"] += 1
    assert res.code == code, res.stderr
    assert foreign.requests == []
    redirected = [r for r in emu.requests if r.fault == "redirect"]
    assert len(redirected) == 1  # refused at once, not retried
    assert f"127.0.0.1:{foreign.port}" in res.stderr  # says where it was sent
    assert len(emu.runs()) == (0 if request_name == "run" else 1)
