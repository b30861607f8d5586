"""`Emulator`: a fake Codefresh API on 127.0.0.1, driven from tests or the command line."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cfstep.emulator.api import Api
from cfstep.emulator.faults import FaultBook
from cfstep.emulator.logstore import LogStore
from cfstep.emulator.pipelines import PipelineBook, is_write
from cfstep.emulator.recording import RequestLog
from cfstep.emulator.scenario import EarlierBuild, load_scenario, parse_pipeline
from cfstep.emulator.server import EmulatorServer
from cfstep.emulator.state import State

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable
    from types import TracebackType

    from cfstep.emulator.faults import Fault
    from cfstep.emulator.logstore import LogFault
    from cfstep.emulator.recording import RecordedRequest
    from cfstep.emulator.state import Build

Scenario = Mapping[str, Any] | str | Path | None

DEFAULT_API_KEY = "e0000000000000000000000e.emulator-key-0000000000000000000"
"""Shaped as a Codefresh API key (an id, a dot, a secret: 57 characters), so that cfstep
takes it for one and does not warn that it is too short."""


class Emulator:
    """A stateful Codefresh API; every build's status is computed from `clock()`.

    `clock` may be a test's fake clock (shared with cfstep) so that advancing it advances
    every build; wall-clock timestamps in responses are `clock()` mapped onto the real
    time at which the emulator was created.
    """

    def __init__(
        self,
        scenario: Scenario = None,
        *,
        api_key: str = DEFAULT_API_KEY,
        clock: Callable[[], float] = time.monotonic,
        host: str = "127.0.0.1",
        port: int = 0,
        verbose: bool = False,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """`tls`: a server-side SSLContext (with its certificate loaded) serves HTTPS."""
        self.api_key = api_key
        self._tls = tls
        self._clock = clock
        self._address = (host, port)
        self._verbose = verbose
        self._state = State(clock=clock, pipelines=load_scenario(scenario))
        self._faults = FaultBook()
        self.pipelines = PipelineBook(self._state, self._iso)
        self._log = RequestLog()
        self._wall_origin = (time.time(), clock())
        self.logstore = LogStore(
            steps_of=self._state.steps, build_status=self._build_status, wall=self._wall, host=host
        )
        self._server: EmulatorServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle --------------------------------------------------------------------

    def start(self) -> Emulator:
        """Serve: on a new address, or again on the one kept by `stop(keep_address=True)`."""
        if self._thread is not None:
            return self
        if self._server is None:
            self._server = self._new_server()
        else:
            self._server.listen_again()
        self.logstore.start()
        # A short poll interval keeps stop() (and so every test teardown) fast.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def _new_server(self) -> EmulatorServer:
        api = Api(
            self._state,
            self.api_key,
            lambda: self.url,
            self._iso,
            logstore=self.logstore,
            book=self.pipelines,
        )
        server = EmulatorServer(
            self._address,
            api=api,
            faults=self._faults,
            log=self._log,
            clock=self._clock,
            verbose=self._verbose,
        )
        if self._tls is not None:
            # The handshake happens in each handler's thread, on its first read, so a
            # client that stalls it does not stop the server from accepting others.
            server.socket = self._tls.wrap_socket(
                server.socket, server_side=True, do_handshake_on_connect=False
            )
        return server

    def stop(self, *, keep_address: bool = False) -> None:
        """Stop answering. `keep_address`: the address stays this emulator's, every
        connection to it refused by the system until `start()` serves it again — a real
        "connection refused" that no other server can take the port from meanwhile."""
        server, thread, self._thread = self._server, self._thread, None
        if server is None:
            return
        if thread is not None:
            self.logstore.stop()
            server.shutdown()
            server.cut_open_connections()
            thread.join(timeout=5)
        if keep_address:
            server.stop_listening()
        else:
            self._server = None
            server.server_close()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- what tests look at -----------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running: call start() first")
        scheme = "https" if self._tls is not None else "http"
        return f"{scheme}://{self._address[0]}:{self._server.server_port}"

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @property
    def requests(self) -> list[RecordedRequest]:
        return self._log.snapshot()

    @property
    def builds(self) -> dict[str, Build]:
        return {build.id: build for build in self._state.builds()}

    def runs(self, pipeline: str | None = None) -> list[Build]:
        """Builds created, in order; `pipeline` matches the requested name, the name or id."""
        builds = self._state.builds()
        if pipeline is None:
            return builds
        return [b for b in builds if pipeline in (b.pipeline, b.pipeline_name, b.pipeline_id)]

    def writes(self) -> list[RecordedRequest]:
        """Requests that created or changed a project or pipeline (answered or not)."""
        return [r for r in self._log.snapshot() if is_write(r.method, r.path)]

    def annotations(self, build_id: str) -> dict[str, Any]:
        """The build's annotations as a key -> value map."""
        return {a["key"]: a["value"] for a in self._state.annotations("workflow", build_id)}

    # --- what tests change ------------------------------------------------------------

    def add_fault(self, fault: Fault) -> None:
        self._faults.add(fault)

    def clear_faults(self) -> None:
        self._faults.clear()

    def add_pipeline(self, name: str, spec: Mapping[str, Any] | None = None) -> None:
        self._state.add_pipeline(parse_pipeline(name, spec or {}))

    def add_past_build(
        self,
        pipeline: str,
        *,
        status: str = "success",
        branch: str = "main",
        revision: str,
        seconds_ago: float = 3600,
    ) -> str:
        """A build of `pipeline` that ended before now (GET /api/workflow lists it); its id."""
        return self._state.add_past_build(
            pipeline, EarlierBuild(status, branch, revision, seconds_ago)
        )

    def add_log_fault(self, fault: LogFault) -> None:
        """A fault on the log store's stream (or its tokens): see LOG_FAULT_KINDS."""
        self.logstore.add_fault(fault)

    def _build_status(self, progress: str) -> str | None:
        build = self._state.build_by_progress(progress)
        return None if build is None else build.status

    def _wall(self, clock_time: float) -> float:
        wall, origin = self._wall_origin
        return wall + clock_time - origin

    def _iso(self, clock_time: float) -> str:
        moment = datetime.fromtimestamp(self._wall(clock_time), UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
