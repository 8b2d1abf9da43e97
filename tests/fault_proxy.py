"""A small HTTP proxy in front of a real server that answers some requests itself with the
failures servers produce (503 with Retry-After, 429, 500, a dropped connection), or passes a
request on and then loses the reply (the write happened; the client cannot know), at random with
a fixed seed. Other requests reach the server unchanged. A test's script may also ask for
"trickle": the server's reply sent on one byte every TRICKLE_GAP seconds, until the client
hangs up or the proxy stops."""

from __future__ import annotations

import http.client
import random
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

FAULTS = ("503", "429", "500", "drop", "lost")
TRICKLE_GAP = 0.2


class FaultProxy:
    def __init__(self, upstream: str, rate: float, seed: int = 1) -> None:
        parts = urlsplit(upstream)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.rate = rate
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.injected: dict[str, int] = dict.fromkeys(FAULTS, 0)
        self.passed = 0
        # A test's own fault plan, asked first for every request: (method, path) -> one of
        # FAULTS, or None to go on as drawn (rate 0: passed on).
        self.script: Callable[[str, str], str | None] | None = None
        self.stopping = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fault = proxy.draw(self.command, self.path)
                if fault == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return
                if fault is not None and fault not in ("lost", "trickle"):
                    self.send_response(int(fault))
                    if fault in ("503", "429"):
                        self.send_header("Retry-After", "0")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                upstream = http.client.HTTPConnection(proxy.host, proxy.port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                upstream.request(self.command, self.path, body, headers)
                response = upstream.getresponse()
                data = response.read()
                if fault == "lost":
                    upstream.close()
                    self.close_connection = True
                    self.connection.close()
                    return
                if fault == "trickle":
                    upstream.close()
                    self._trickle(response, data)
                    return
                self.send_response(response.status)
                for name, value in response.getheaders():
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                upstream.close()

            def _trickle(self, response: http.client.HTTPResponse, data: bytes) -> None:
                self.close_connection = True
                head = f"HTTP/1.1 {response.status} {response.reason}\r\n"
                for name, value in response.getheaders():
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        head += f"{name}: {value}\r\n"
                head += f"Content-Length: {len(data)}\r\n\r\n"
                try:
                    for byte in head.encode() + data:
                        if proxy.stopping.wait(TRICKLE_GAP):
                            return
                        self.connection.sendall(bytes([byte]))
                except OSError:  # the client hung up: what a deadline does
                    return

            do_GET = do_PUT = do_DELETE = do_PROPFIND = do_REPORT = do_MKCALENDAR = _any
            do_OPTIONS = do_PROPPATCH = do_MKCOL = do_HEAD = do_POST = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def draw(self, method: str = "", path: str = "") -> str | None:
        with self.lock:
            if self.script is not None:
                scripted = self.script(method, path)
                if scripted is not None:
                    self.injected[scripted] = self.injected.get(scripted, 0) + 1
                    return scripted
            if self.random.random() >= self.rate:
                self.passed += 1
                return None
            fault = self.random.choice(FAULTS)
            self.injected[fault] += 1
            return fault

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
