"""A small HTTP server on 127.0.0.1 whose every answer a test writes itself (fault servers)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import envelopes

Handle = Callable[["Handler"], None]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.seen.append((self.path, dict(self.headers.items())))
        self.server.handle(self)

    def nth(self, endpoint: str) -> int:
        """How many requests for paths ending in ``endpoint`` arrived, this one included."""
        with self.server.lock:
            return sum(path.split("?")[0].endswith(endpoint) for path, _ in self.server.seen)

    def answer(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None
               ) -> None:
        """A complete response with a Content-Length."""
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def sse(self, body: bytes, headers: dict[str, str] | None = None) -> None:
        """A 200 ``text/event-stream`` that sends ``body`` and closes the connection."""
        self.close_connection = True
        self.answer(200, body, {"Content-Type": "text/event-stream", **(headers or {})})

    def hold(self) -> None:
        """Wait until the server stops (a server that never answers)."""
        self.server.closing.wait()
        self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handle: Handle) -> None:
        self.handle = handle
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        self.closing = threading.Event()
        super().__init__(("127.0.0.1", 0), Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up are expected."""


class FaultServer:
    """Serve ``handle(request)`` for every GET; :attr:`seen` lists (path, headers) received."""

    def __init__(self, handle: Handle) -> None:
        self._server = _Server(handle)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def seen(self) -> list[tuple[str, dict[str, str]]]:
        with self._server.lock:
            return list(self._server.seen)

    def count(self, endpoint: str) -> int:
        """Requests received for paths ending in ``endpoint`` (``stream``, ``events``)."""
        return sum(path.split("?")[0].endswith(endpoint) for path, _ in self.seen)

    def stop(self) -> None:
        self._server.closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> FaultServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()


def line(seq: int, text: str = "x") -> bytes:
    """One console envelope with ``seq``, as a JSON line."""
    env = envelopes.envelope(seq, seq, "console_log", {"level": "log", "text": text})
    return json.dumps(env).encode()


def frames(seqs: range | list[int], text: str = "x") -> bytes:
    """SSE frames for ``seqs``, ids equal to the seqs."""
    return b"".join(b"id: %d\ndata: %s\n\n" % (s, line(s, text)) for s in seqs)


def once(body: bytes) -> Handle:
    """A browser whose stream sends ``body`` on the first request, then has ended (404)."""

    def handle(request: Handler) -> None:
        if request.nth("stream") == 1:
            request.sse(body)
        else:
            request.answer(404, b'{"code": "not_found"}')

    return handle
