"""The HTTP server: routes, Host and bearer checks, injected failures, the SSE stream with faults.

It answers only requests addressed to it by a loopback name (``Host`` 127.0.0.1, localhost or
[::1], with its own port or none; anything else gets 421), so a web page cannot read it through
DNS rebinding; connections idle longer than ``idle_timeout`` are closed.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sys
import threading
import time
from bisect import bisect_right
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from telemetry_lab._replay.events import page
from telemetry_lab._replay.faults import Faults
from telemetry_lab._replay.feed import Feed
from telemetry_lab._replay.recording import Recording

_PATH = re.compile(r"^/browsers/([^/]+)/telemetry/(stream|events)$")
#: Frames written to the socket at once, at most.
_BURST = 512
#: The environment variable :func:`replay` reads its bearer token from when none is passed.
TOKEN_ENV = "TELEMETRY_LAB_REPLAY_TOKEN"
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "[::1]"})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.idle_timeout)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the replay server does not log requests."""

    def _host_ok(self) -> bool:
        """Whether ``Host`` names this server by a loopback name (and its port, if any)."""
        host = (self.headers.get("Host") or "").strip().lower()
        port = self.server.server_address[1]
        return host in _LOOPBACK or host in {f"{name}:{port}" for name in _LOOPBACK}

    def _error(self, status: int, code: str, message: str, headers: dict[str, str] | None = None
               ) -> None:
        body = json.dumps({"code": code, "message": message}).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if not self._host_ok():
            self.close_connection = True
            self._error(421, "misdirected_request",
                        "this replay server answers only Host 127.0.0.1, localhost or [::1]")
            return
        url = urlsplit(self.path)
        match = _PATH.match(url.path)
        if match is None:
            self._error(404, "not_found", f"no route {url.path}")
            return
        key = self.server.api_key
        if key is not None and self.headers.get("Authorization") != f"Bearer {key}":
            self._error(401, "unauthorized", "missing or invalid authorization token")
            return
        feed = self.server.feeds.get(match.group(1))
        if feed is None or (match.group(2) == "stream" and feed.ended):
            self._error(404, "not_found", f"browser session {match.group(1)!r} not found")
            return
        query = parse_qs(url.query)
        if self._injected_failure(feed, match.group(2)):
            return
        if match.group(2) == "stream":
            self._stream(feed, query)
        else:
            self._events(feed, query)

    def _injected_failure(self, feed: Feed, endpoint: str) -> bool:
        faults = feed.faults
        with feed.lock:
            if endpoint == "stream":
                feed.stream_requests += 1
                fail = feed.stream_requests <= faults.fail_first
            else:
                feed.events_requests += 1
                fail = feed.events_requests <= faults.events_fail_first
        if fail:
            after = faults.retry_after
            headers = {} if after is None else {"Retry-After": f"{after:g}"}
            self._error(faults.fail_status, "injected", "fault injected by the replay server",
                        headers)
        return fail

    # -- /telemetry/stream ------------------------------------------------------------------------

    def _stream(self, feed: Feed, query: dict[str, list[str]]) -> None:
        elapsed = feed.clock()
        seqs = feed.recording.seqs
        last_id = self.headers.get("Last-Event-ID", "").strip()
        if last_id.isdigit():
            index = bisect_right(seqs, int(last_id))
        elif query.get("replay", [""])[0] == "all":
            index = feed.oldest(feed.produced(elapsed))
        else:
            index = feed.produced(elapsed)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-SSE-Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if feed.faults.chunk_size:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            if self._send_frames(feed, index):
                self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass
        self.close_connection = True

    def _write(self, data: bytes, chunk_size: int | None) -> None:
        """``data`` as HTTP chunks of ``chunk_size`` bytes (nothing for no data: an empty chunk
        would end the response cleanly)."""
        step = chunk_size or len(data) or 1
        for start in range(0, len(data), step):
            piece = data[start : start + step]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))

    def _send_frames(self, feed: Feed, index: int) -> bool:
        """Stream from ``index``; True when the session ended, False when the link was cut."""
        faults, closing = feed.faults, self.server.closing
        total = len(feed.frames) - faults.truncate_end
        sent, idle_since = 0, time.monotonic()
        pending: list[bytes] = []
        while not closing.is_set():
            produced = min(feed.produced(feed.clock()), total)
            index = max(index, feed.oldest(produced))
            while index < produced and len(pending) < _BURST:
                if self._cut(feed, sent):
                    self._write(b"".join(pending), faults.chunk_size)
                    return False
                pending.append(feed.frames[index])
                index += 1
                sent += 1
                if self._stall(feed, sent, pending):
                    return False
            if pending:
                self._write(b"".join(pending), faults.chunk_size)
                pending, idle_since = [], time.monotonic()
                continue
            if produced >= total:
                feed.ended = True
                return True
            wait = feed.offsets[index] - feed.clock() if feed.offsets else 0.0
            keepalive_due = idle_since + self.server.keepalive - time.monotonic()
            if keepalive_due <= 0:
                self._write(b":\n\n", faults.chunk_size)
                idle_since = time.monotonic()
                continue
            closing.wait(max(0.0, min(wait, keepalive_due)))
        return False

    def _cut(self, feed: Feed, sent: int) -> bool:
        faults = feed.faults
        if faults.drop_after is not None and sent >= faults.drop_after:
            return True
        if faults.drop_rate and sent:
            with feed.lock:
                return feed.rng.random() < faults.drop_rate
        return False

    def _stall(self, feed: Feed, sent: int, pending: list[bytes]) -> bool:
        faults = feed.faults
        if faults.stall_after is None or sent != faults.stall_after or feed.stalled:
            return False
        feed.stalled = True
        self._write(b"".join(pending), faults.chunk_size)
        pending.clear()
        self.server.closing.wait(faults.stall_seconds)
        return True

    # -- /telemetry/events ------------------------------------------------------------------------

    def _events(self, feed: Feed, query: dict[str, list[str]]) -> None:
        try:
            answer = page(feed, query)
        except ValueError as exc:
            self._error(400, "bad_request", str(exc))
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Has-More", "true" if answer.has_more else "false")
        self.send_header("X-Next-Offset", str(answer.next_offset))
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, feeds: dict[str, Feed], api_key: str | None,
                 keepalive: float, idle_timeout: float) -> None:
        self.feeds = feeds
        self.api_key = api_key
        self.keepalive = keepalive
        self.idle_timeout = idle_timeout
        self.closing = threading.Event()
        super().__init__(("127.0.0.1", port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up (after a fault, say) or idling out are part of the job; anything
        else is shown."""
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class ReplayServer:
    """A running replay server: its :attr:`url`, :attr:`browser_id` and :meth:`stop`."""

    def __init__(self, server: _Server, browser_id: str) -> None:
        self._server = server
        self.browser_id = browser_id
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(target=server.serve_forever, name="telemetry-replay",
                                        daemon=True)
        self._thread.start()

    @property
    def token(self) -> bool:
        """Whether requests must carry the bearer token."""
        return self._server.api_key is not None

    @property
    def feed(self) -> Feed:
        return self._server.feeds[self.browser_id]

    @property
    def requests(self) -> dict[str, int]:
        """How many stream and events requests reached the session (after the auth check)."""
        return {"stream": self.feed.stream_requests, "events": self.feed.events_requests}

    @property
    def ended(self) -> bool:
        """Whether the replayed browser session has ended (its stream now answers 404)."""
        return self.feed.ended

    def stop(self) -> None:
        """Stop serving and close the socket; open streams end."""
        self._server.closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> ReplayServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<ReplayServer {self.url} browser_id={self.browser_id!r}>"


def replay(
    recording: str | Path,
    *,
    browser_id: str = "replay",
    port: int = 0,
    api_key: str | None = None,
    ring: int | None = 1024,
    keepalive: float = 15.0,
    speed: float | None = None,
    faults: Faults | None = None,
    idle_timeout: float = 60.0,
) -> ReplayServer:
    """Serve ``recording`` as browser session ``browser_id`` on ``http://127.0.0.1:port``.

    Parameters
    ----------
    recording
        An SSE or NDJSON recording (a spool file works).
    browser_id
        The session id the endpoints answer for; any other id gets 404.
    port
        0 picks a free port (see :attr:`ReplayServer.url`).
    api_key
        When set, requests must carry ``Authorization: Bearer <api_key>`` (else 401). Defaults
        to the ``TELEMETRY_LAB_REPLAY_TOKEN`` environment variable (unset: no check).
    ring
        How many recent events the stream can still send (Kernel keeps about 1,024); older ones
        are only in the history endpoint. None keeps them all.
    keepalive
        Seconds without events before a ``:`` comment frame.
    speed
        None sends as fast as the client reads, everything produced at once; ``1.0`` replays in
        real time, ``10.0`` ten times faster. The clock starts at the first stream request.
    faults
        What to break (see :class:`Faults`).
    idle_timeout
        Seconds a connection may send nothing (or not read what is sent) before it is closed.

    Returns
    -------
    ReplayServer
        Already serving; stop it with :meth:`ReplayServer.stop` or a ``with`` block.
    """
    feed = Feed(Recording.load(recording), ring=ring, speed=speed, faults=faults or Faults())
    token = api_key if api_key is not None else os.environ.get(TOKEN_ENV) or None
    server = _Server(port, {browser_id: feed}, token, keepalive, idle_timeout)
    return ReplayServer(server, browser_id)


__all__ = ["ReplayServer", "replay"]
