"""Small servers on 127.0.0.1 that play the network between cfstep and Codefresh: a
forwarding proxy that demands credentials, and a hostile server scripted byte by byte."""

from __future__ import annotations

import base64
import contextlib
import http.client
import select
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authorization", "proxy-connection", "te"}


class ForwardingProxy(ThreadingHTTPServer):
    """A forwarding proxy: absolute-URI requests are forwarded, and CONNECT opens a tunnel
    (for https), when they carry `Proxy-Authorization: Basic user:password`; else 407."""

    daemon_threads = True

    def __init__(self, user: str, password: str) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.expected = f"Basic {token}"
        self.forwarded: list[tuple[str, str]] = []  # (method, absolute URI)
        self.refused = 0
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def url(self, user: str, password: str) -> str:
        return f"http://{user}:{password}@127.0.0.1:{self.server_port}"

    def __enter__(self) -> ForwardingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ForwardingProxy

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._forward()

    do_POST = do_DELETE = do_PUT = do_PATCH = do_GET

    def do_CONNECT(self) -> None:
        if not self._authorized():
            return
        host, _, port = self.path.rpartition(":")
        self.server.forwarded.append(("CONNECT", self.path))
        with socket.create_connection((host, int(port)), timeout=10) as upstream:
            self.send_response(200, "Connection established")
            self.end_headers()
            self.wfile.flush()
            _pipe(self.connection, upstream)
        self.close_connection = True

    def _authorized(self) -> bool:
        """The credentials the proxy demands, or a 407 as a corporate proxy answers."""
        if self.headers.get("Proxy-Authorization") == self.server.expected:
            return True
        self.server.refused += 1
        self._answer(
            407,
            "Proxy Authentication Required",
            b"",
            [("Proxy-Authenticate", 'Basic realm="test"')],
        )
        return False

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if not self._authorized():
            return
        target = urlsplit(self.path)
        if target.scheme != "http" or not target.hostname:
            self._answer(400, "Bad Request", b"absolute URI expected", [])
            return
        self.server.forwarded.append((self.command, self.path))
        upstream = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=10)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        path = target.path + (f"?{target.query}" if target.query else "")
        try:
            upstream.request(self.command, path, body=body, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
        finally:
            upstream.close()
        kept = [
            (k, v)
            for k, v in answer.getheaders()
            if k.lower() not in HOP_BY_HOP | {"content-length", "transfer-encoding"}
        ]
        self._answer(answer.status, answer.reason, data, kept)

    def _answer(
        self, status: int, reason: str, body: bytes, headers: list[tuple[str, str]]
    ) -> None:
        self.send_response(status, reason)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _pipe(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    while True:
        ready, _, _ = select.select([a, b], [], [], 10)
        if not ready:
            return
        for sock in ready:
            data = sock.recv(65536)
            if not data:
                return
            (b if sock is a else a).sendall(data)


Script = Callable[[socket.socket], None]


@contextlib.contextmanager
def scripted_server(script: Script) -> Iterator[str]:
    """A server on 127.0.0.1 that reads a request head and then runs `script` on the
    connection, once per connection; yields its base URL. For answers no honest server
    gives: a body dripped a byte at a time, a body of gigabytes."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            conn.settimeout(10)
            head = b""
            while b"\r\n\r\n" not in head:
                data = conn.recv(4096)
                if not data:
                    return
                head += data
            script(conn)

    def accept() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def dripping(closed: threading.Event, every: float = 29.0) -> Script:
    """A script: an answer's head at once, then its body a byte every `every` seconds (under
    any read timeout, so only a total bound ends the request) until the client goes away,
    which sets `closed`."""

    def script(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        for _ in range(1000):
            conn.sendall(b"x")
            readable, _, _ = select.select([conn], [], [], every)
            if readable and not conn.recv(1):
                closed.set()
                return

    return script
