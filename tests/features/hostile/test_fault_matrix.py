"""The fault matrix: every request cfstep makes, by every fault the emulator injects.

Each case runs the real entrypoint against the emulator, both on a fake clock (waits pass
at once), with the fault armed for the first two requests of one kind, and checks the
outcome docs/reliability.md promises: retried or not, exit code, builds created (never
more than one per child: the run request's reqId de-duplicates), the message shown.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from cfstep.codefresh import transport
from cfstep.emulator import Emulator, Fault
from fakeclock import FakeClock
from harness import Figures, MatrixRow, Result, base_env, closed_url

READ_TIMEOUT = 0.2  # real seconds; a `delay` fault of DELAY outlasts it
DELAY = 0.5
TIMES = 2  # each fault hits the first two requests of its kind
RETRY_AFTER = "7"


@dataclass(frozen=True)
class Kind:
    """One request cfstep makes, and the run that makes it."""

    name: str
    method: str
    prefix: str
    pipeline: str
    env: tuple[tuple[str, str], ...] = ()


KINDS = {
    k.name: k
    for k in (
        Kind("run", "POST", "/api/pipelines/run/", "proj/ok"),
        Kind("get build", "GET", "/api/builds/", "proj/ok"),
        # the wait times out and ON_TIMEOUT=terminate stops the child
        Kind(
            "terminate",
            "DELETE",
            "/api/progress/",
            "proj/slow",
            (("TIMEOUT_MINS", "0.1"), ("ON_TIMEOUT", "terminate")),
        ),
        # the log tail: the progress names the log's location (live logs off, so that this
        # request is the tail's only)
        Kind("log location", "GET", "/api/progress/", "proj/fail", (("FOLLOW_LOGS", "false"),)),
        Kind("annotations", "GET", "/api/annotations", "proj/ok"),
    )
}

# fault name -> how the emulator (or the operating system) produces it
FAULTS = {
    "refused": None,
    "drop before": Fault(None, "", "drop_before", times=TIMES),
    "drop after": Fault(None, "", "drop_after", times=TIMES),
    "read timeout": Fault(None, "", "delay", times=TIMES, delay=DELAY),
    "429 Retry-After": Fault(None, "", "status", times=TIMES, status=429, retry_after=RETRY_AFTER),
    "429": Fault(None, "", "status", times=TIMES, status=429),
    "500": Fault(None, "", "status", times=TIMES, status=500),
    "502": Fault(None, "", "status", times=TIMES, status=502),
    "503": Fault(None, "", "status", times=TIMES, status=503),
    "504": Fault(None, "", "status", times=TIMES, status=504),
    "malformed JSON": Fault(None, "", "malformed_json", times=TIMES),
    "HTML page": Fault(None, "", "html", times=TIMES),
    "empty body": Fault(None, "", "empty", times=TIMES),
    "redirect": Fault(None, "", "redirect", times=TIMES, location="set per case"),
}

NO_ANSWER = {"refused", "drop before", "drop after", "read timeout"}
WAITABLE = NO_ANSWER | {"429 Retry-After", "429", "502", "503", "504", "HTML page"}
UNREADABLE_200 = {"malformed JSON", "empty body"}


@dataclass(frozen=True)
class Expect:
    code: int
    retried: bool
    message: str
    builds: int = 1


def expected(kind: str, fault: str) -> Expect:  # noqa: PLR0911 - one decision table
    """The contract, per request (docs/reliability.md, "The fault matrix")."""
    if fault == "redirect":
        if kind == "terminate":
            return Expect(3, False, "could not terminate")
        if kind == "log location":
            return Expect(1, False, "could not read the child's log")
        if kind == "annotations":
            return Expect(0, False, "could not read the child's annotations")
        return Expect(4, False, "not followed", builds=0 if kind == "run" else 1)
    match kind:
        case "run":
            if fault == "500":  # the build may have started: never retried
                return Expect(4, False, "not retried", builds=0)
            return Expect(0, True, "Started build")  # waitable, or a 200 that cannot be read
        case "get build":
            return Expect(0, True, "status request failed")  # never ends the wait
        case "terminate":
            if fault in UNREADABLE_200:  # any 2xx means accepted
                return Expect(3, False, "termination requested")
            return Expect(3, True, "termination requested")
        case "log location":  # diagnostics only: said, not retried, the exit code the child's
            return Expect(1, False, "could not read the child's log")
        case _:  # annotations: returned values are data, worth the retries
            return Expect(0, True, "returned VERSION")


def short_read_timeout(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Every new session reads with this timeout: a `delay` fault past it stays cheap."""
    base = transport.Timeouts

    def timeouts(connect: float = base.connect, read: float = seconds) -> transport.Timeouts:
        return base(connect=connect, read=read)

    monkeypatch.setattr(transport, "Timeouts", timeouts)


class Outage:
    """Connection refused, for real: the emulator stops listening (keeping its address)
    before the next `times` requests of `method` on `prefix`, and serves again before any
    other request.

    It hooks `ApiSession.request` (the one door of every API call) only to know *when*
    to stop the server; the refusal itself comes from the operating system.
    """

    def __init__(self, emu: Emulator, method: str, prefix: str, times: int) -> None:
        self.emu = emu
        self.method = method
        self.prefix = prefix
        self.left = times
        self.refused = 0
        self._down = False
        self._lock = threading.Lock()

    def before(self, method: str, path: str) -> None:
        with self._lock:
            if self.left and method == self.method and path.startswith(self.prefix):
                self.left -= 1
                self.refused += 1
                if not self._down:
                    self.emu.stop(keep_address=True)
                    self._down = True
            elif self._down:
                self.emu.start()
                self._down = False

    def install(self, monkeypatch: pytest.MonkeyPatch) -> Outage:
        original = transport.ApiSession.request
        outage = self

        def request(self: transport.ApiSession, method: str, path: str, **kw: Any) -> Any:
            outage.before(method, path)
            return original(self, method, path, **kw)

        monkeypatch.setattr(transport.ApiSession, "request", request)
        return self


def _arm(
    emu: Emulator, kind: Kind, fault: str, foreign: Emulator, monkeypatch: pytest.MonkeyPatch
) -> Outage | None:
    if fault == "refused":
        return Outage(emu, kind.method, kind.prefix, TIMES).install(monkeypatch)
    template = FAULTS[fault]
    assert template is not None
    location = f"{foreign.url}{kind.prefix}moved" if fault == "redirect" else None
    emu.add_fault(
        Fault(
            kind.method,
            kind.prefix,
            template.kind,
            times=template.times,
            status=template.status,
            retry_after=template.retry_after,
            delay=template.delay,
            location=location,
        )
    )
    return None


def _attempts(emu: Emulator, kind: Kind, outage: Outage | None) -> tuple[int, int]:
    """(requests of this kind, of which faulted), the refused ones included."""
    mine = [r for r in emu.requests if r.method == kind.method and r.path.startswith(kind.prefix)]
    refused = outage.refused if outage else 0
    # a delayed request still held by the server has neither a status nor a fault yet
    faulted = sum(r.fault is not None or r.status is None for r in mine)
    return len(mine) + refused, faulted + refused


def _check(
    res: Result,
    emu: Emulator,
    kind: Kind,
    fault: str,
    outage: Outage | None,
    clock: FakeClock,
    figures: Figures,
) -> None:
    want = expected(kind.name, fault)
    assert res.code == want.code, res.stderr
    assert want.message in res.stderr, res.stderr
    attempts, faulted = _attempts(emu, kind, outage)
    assert faulted >= 1, "the fault was never hit"
    figures.counts["faults_injected"] += faulted
    if want.retried:
        assert attempts > faulted, f"not retried: {attempts} attempts, {faulted} faulted"
    else:
        assert attempts == faulted, f"retried: {attempts} attempts, {faulted} faulted"
    builds = emu.runs()
    assert len(builds) == want.builds
    if kind.name == "run":
        # every attempt of the one run request carried the same reqId
        req_ids = {r.query["reqId"][0] for r in emu.requests if r.method == "POST"}
        assert len(req_ids) == 1
    if builds:
        assert res.exports["BUILD_ID"] == builds[0].id  # the user can see the child
    if fault == "429 Retry-After" and want.retried:
        assert float(RETRY_AFTER) in clock.sleeps  # Retry-After honoured
    if kind.name == "terminate":
        terminated = builds[0].terminated_at is not None
        assert terminated == (fault != "redirect"), "the child must be stopped once accepted"
    if kind.name == "annotations":
        assert ("VERSION" in res.exports) == want.retried


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("kind_name", list(KINDS))
def test_fault(
    kind_name: str,
    fault: str,
    emu: Emulator,
    foreign: Emulator,
    fake_clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    run: Callable[..., Result],
    figures: Figures,
) -> None:
    kind = KINDS[kind_name]
    short_read_timeout(monkeypatch, READ_TIMEOUT)
    outage = _arm(emu, kind, fault, foreign, monkeypatch)
    env = base_env(emu, PIPELINE_ID=kind.pipeline, **dict(kind.env))
    passed = False
    try:
        res = run(**env)
        if fault == "read timeout":
            _let_delayed_requests_end(emu)
        _check(res, emu, kind, fault, outage, fake_clock, figures)
        assert foreign.requests == []  # the key never went to another host
        passed = True
    finally:
        runs = len(emu.runs())
        figures.matrix.append(
            MatrixRow(
                kind_name,
                fault,
                _describe(expected(kind_name, fault)),
                passed,
                runs,
                max(0, runs - 1),
            )
        )


def _let_delayed_requests_end(emu: Emulator) -> None:
    """The server still holds the requests cfstep gave up on; let it answer them (into
    closed sockets) before the test ends and the emulator stops under them."""
    end = time.monotonic() + DELAY * TIMES + 1
    while any(r.status is None and r.fault is None for r in emu.requests):
        assert time.monotonic() < end, "the delayed requests never ended"
        time.sleep(0.02)


def _describe(want: Expect) -> str:
    return f"{'retried' if want.retried else 'not retried'}, exit {want.code}"


# Faults that last: the step gives up within its bounds, never hangs, never duplicates.
PERSISTENT = {
    "run: 503 for ever": (
        "proj/ok",
        Fault("POST", "/api/pipelines/run/", "status", times=-1),
        4,
        "60 s",
    ),
    "run: 401": (
        "proj/ok",
        Fault("POST", "/api/pipelines/run/", "status", times=-1, status=401),
        4,
        "CF_API_KEY",
    ),
    "run: 404": (
        "proj/ok",
        Fault("POST", "/api/pipelines/run/", "status", times=-1, status=404),
        4,
        "PIPELINE_ID",
    ),
    "get build: 503 for ever": (
        "proj/ok",
        Fault("GET", "/api/builds/", "status", times=-1),
        3,
        "TIMEOUT_MINS",
    ),
    "get build: 404": (
        "proj/ok",
        Fault("GET", "/api/builds/", "status", times=-1, status=404),
        4,
        "not found",
    ),
    "terminate: 503 for ever": (
        "proj/slow",
        Fault("DELETE", "/api/progress/", "status", times=-1),
        3,
        "could not terminate",
    ),
}


@pytest.mark.parametrize("case", list(PERSISTENT))
def test_persistent_fault(
    case: str, emu: Emulator, fake_clock: FakeClock, run: Callable[..., Result], figures: Figures
) -> None:
    pipeline, fault, code, message = PERSISTENT[case]
    emu.add_fault(fault)
    env = base_env(emu, PIPELINE_ID=pipeline, TIMEOUT_MINS="1")
    if pipeline == "proj/slow":
        env["ON_TIMEOUT"] = "terminate"
    started = fake_clock.now()
    passed = False
    try:
        res = run(**env)
        figures.counts["faults_injected"] += sum(r.fault is not None for r in emu.requests)
        assert res.code == code, res.stderr
        assert message in res.stderr
        assert res.stderr.strip().splitlines()[-1].startswith("cfstep: ")
        assert fake_clock.now() - started <= 125  # 60 s run budget / 60 s timeout + terminate
        assert len(emu.runs()) <= 1
        passed = True
    finally:
        runs = len(emu.runs())
        figures.matrix.append(
            MatrixRow(case, "persistent", f"exit {code}", passed, runs, max(0, runs - 1))
        )


def test_run_refused_for_good_gives_up_within_60_seconds(
    fake_clock: FakeClock, run: Callable[..., Result], figures: Figures
) -> None:
    """A closed port: nothing listens, the run request is retried for 60 s, then exit 4."""
    env = base_env(None, CF_URL=closed_url(), PIPELINE_ID="proj/ok")
    res = run(**env)
    assert res.code == 4
    assert "connection refused" in res.stderr
    assert 50 <= sum(fake_clock.sleeps) <= 60
    figures.matrix.append(MatrixRow("run", "closed port", "exit 4", True, 0, 0))
