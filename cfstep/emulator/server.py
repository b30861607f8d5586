"""HTTP plumbing: read a request, record it, apply a fault or the API, write (or drop)."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from cfstep.emulator.api import Request, Response, error
from cfstep.emulator.recording import RecordedRequest

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from cfstep.emulator.api import Api
    from cfstep.emulator.faults import Fault, FaultBook
    from cfstep.emulator.recording import RequestLog

HTML_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head>"
    b"<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n"
)


class EmulatorServer(ThreadingHTTPServer):
    """Keeps the parts handlers need, and the open sockets so `stop` can cut keep-alives."""

    daemon_threads = True
    # A fan-out of 100 children connects at once; the default backlog of 5 would make
    # the kernel drop SYNs and the clients see second-long connect stalls.
    request_queue_size = 256

    def __init__(
        self,
        address: tuple[str, int],
        *,
        api: Api,
        faults: FaultBook,
        log: RequestLog,
        clock: Callable[[], float],
        verbose: bool = False,
    ) -> None:
        super().__init__(address, Handler)
        self.api = api
        self.faults = faults
        self.log = log
        self.clock = clock
        self.verbose = verbose
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def server_bind(self) -> None:
        """Bind by number, also when the system chooses the port: Linux gives a port it
        chose back as soon as the socket stops listening, and `stop_listening` must keep
        it. The port is chosen by a second socket that holds it until this one is bound
        (both with SO_REUSEADDR, neither listening yet), so no other server can take it."""
        host, port = self.server_address[:2]
        if port != 0:
            super().server_bind()
            return
        with socket.socket(self.address_family) as chooser:
            chooser.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            chooser.bind((host, 0))
            self.server_address = (host, chooser.getsockname()[1])
            super().server_bind()

    def stop_listening(self) -> None:
        """Connections are refused from now on, by the system, while the address stays
        bound to this server; `listen_again` serves it again."""
        _shutdown(self.socket)

    def listen_again(self) -> None:
        self.socket.listen(self.request_queue_size)

    def track(self, sock: socket.socket, is_open: bool) -> None:
        with self._open_lock:
            if is_open:
                self._open.add(sock)
            else:
                self._open.discard(sock)

    def cut_open_connections(self) -> None:
        """After shutdown, idle keep-alive connections would still be served: cut them."""
        with self._open_lock:
            socks = list(self._open)
        for sock in socks:
            _shutdown(sock)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gives up mid-response (read timeout tests) is not an emulator error.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 with Content-Length on every answer: clients keep connections alive.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two sends; with Nagle's algorithm on, a keep-alive client
    # then waits ~40 ms for every answer (measured: 100 run requests took 4.5 s, not 0.1 s).
    disable_nagle_algorithm = True
    server: EmulatorServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, is_open=True)

    def finish(self) -> None:
        self.server.track(self.connection, is_open=False)
        with contextlib.suppress(OSError):  # dropped on purpose, or by the client
            super().finish()

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            sys.stderr.write(f"cfstep-emulator: {format % args}\n")

    def _serve(self) -> None:
        split = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self._read_body(),
        )
        record = self.server.log.add(
            RecordedRequest(
                method=request.method,
                path=request.path,
                query=dict(request.query),
                headers=dict(request.headers),
                body=request.body,
                time=self.server.clock(),
            )
        )
        fault = self.server.faults.take(request.method, request.path)
        response = self._respond_to(request, fault)
        name = fault.kind if fault else None
        if response is None:
            self.server.log.finish(record, None, name)
            self._drop()
            return
        # Recorded before the bytes leave, so a client that saw the answer sees the record.
        self.server.log.finish(record, response.status, name)
        self._send(response, fault)

    def _respond_to(self, request: Request, fault: Fault | None) -> Response | None:
        """The response to send, or None to drop the connection."""
        if fault is None:
            return self._process(request)
        if fault.kind == "delay":
            time.sleep(fault.delay)
        processed = self._process(request) if fault.processes else None
        return faulted_response(fault, processed)

    def _process(self, request: Request) -> Response:
        try:
            return self.server.api.handle(request)
        except Exception:  # an emulator bug must reach the client as a 500, not a hang
            traceback.print_exc()
            return error(500, "emulator internal error")

    def _send(self, response: Response, fault: Fault | None) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        if fault is not None and fault.retry_after is not None:
            self.send_header("Retry-After", fault.retry_after)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _drop(self) -> None:
        self.close_connection = True
        _shutdown(self.connection)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                # Skip trailers up to the blank line that ends the body.
                while self.rfile.readline().strip():
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()


def faulted_response(fault: Fault, processed: Response | None) -> Response | None:
    """What a fault makes of a request (`processed`: the normal answer, if it was handled)."""
    if fault.kind == "delay":
        return processed
    if fault.kind in ("drop_before", "drop_after"):
        return None
    return FAULT_RESPONSES[fault.kind](fault, fault.effective_status)


def _injected_status(fault: Fault, status: int) -> Response:
    return Response(status, fault.body or f'{{"message": "injected {status}"}}'.encode())


FAULT_RESPONSES: dict[str, Callable[[Fault, int], Response]] = {
    "status": _injected_status,
    "malformed_json": lambda fault, status: Response(status, fault.body or b"{not json"),
    "empty": lambda fault, status: Response(status, b""),
    "html": lambda fault, status: Response(status, fault.body or HTML_PAGE, "text/html"),
    "redirect": lambda fault, status: Response(
        status, fault.body or b"", headers=(("Location", fault.location or ""),)
    ),
}


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the peer
        sock.shutdown(socket.SHUT_RDWR)
