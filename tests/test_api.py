"""The HTTP edge of capture (capture/api.py) against fault servers on 127.0.0.1: retries,
Retry-After, the history pager, what the stream answers, and the API key in messages."""

from __future__ import annotations

import gzip
import time

import pytest
from faultserver import FaultServer, Handle, Handler, frames, line

from telemetry_lab import AuthenticationError, CaptureError, capture, fetch_events
from telemetry_lab._capture.api import MAX_STALLED_PAGES

KEY = "sk-test-secret-0123456789"
FAST = {"api_key": KEY, "spool": False, "progress": False, "backoff": 0.01, "max_backoff": 0.05}


def page(seqs: range, *, more: bool, offset: int) -> tuple[bytes, dict[str, str]]:
    body = b"[" + b",".join(line(s) for s in seqs) + b"]"
    return body, {"Content-Type": "application/json", "X-Has-More": "true" if more else "false",
                  "X-Next-Offset": str(offset)}


def stuck_history(request: Handler) -> None:
    """A stream of seqs 5..7 that ends (then 404), and a history pager stuck on one offset."""
    if "/stream" in request.path:
        if request.nth("stream") == 1:
            request.sse(frames(range(5, 8)))
        else:
            request.answer(404, b'{"code": "not_found"}')
        return
    body, headers = page(range(1, 5), more=True, offset=100)
    request.answer(200, body, headers)


def test_a_history_pager_that_repeats_its_offset_stops_with_an_error() -> None:
    with FaultServer(stuck_history) as server:
        start = time.monotonic()
        with pytest.raises(CaptureError, match="not advancing") as caught:
            fetch_events("b", api_key=KEY, base_url=server.url)
        assert time.monotonic() - start < 5
        assert server.count("events") == MAX_STALLED_PAGES + 1
        assert "X-Next-Offset 100" in str(caught.value)


def test_a_pager_that_never_reaches_the_end_with_empty_pages_stops() -> None:
    def endless(request: Handler) -> None:
        offset = len(request.server.seen) * 100
        body, headers = page(range(0), more=True, offset=offset)
        request.answer(200, body, headers)

    with FaultServer(endless) as server:
        with pytest.raises(CaptureError, match="3 pages in a row brought no new event"):
            fetch_events("b", api_key=KEY, base_url=server.url)
        assert server.count("events") == MAX_STALLED_PAGES


def test_a_stuck_pager_in_backfill_ends_the_capture_and_keeps_the_stream() -> None:
    with FaultServer(stuck_history) as server:
        cap = capture("b", base_url=server.url, **FAST)
        with pytest.raises(CaptureError, match="not advancing"):
            cap.wait(timeout=10)
        assert not cap.running and cap.stats.state == "failed"
        session = cap.stop(timeout=1)
        assert sorted(session.table("console_log")["seq"].to_pylist()) == [1, 2, 3, 4, 5, 6, 7]
        assert server.count("events") <= MAX_STALLED_PAGES + 1


def failing_first(status: int, retry_after: str, failures: int = 1) -> Handle:
    """``failures`` answers ``status`` with ``Retry-After``, then seqs 1..3 and the end."""

    def handle(request: Handler) -> None:
        n = request.nth("stream")
        if n <= failures:
            request.answer(status, b"{}", {"Retry-After": retry_after})
        elif n == failures + 1:
            request.sse(frames(range(1, 4)))
        else:
            request.answer(404, b"{}")

    return handle


@pytest.mark.parametrize("value", ["soon", "inf", "nan", "-1", "1e9", "Sun, 99 Foo 2026"])
def test_a_malformed_retry_after_falls_back_to_the_backoff(value: str) -> None:
    with FaultServer(failing_first(503, value, failures=2)) as server:
        start = time.monotonic()
        cap = capture("b", base_url=server.url, backfill=False, **FAST)
        session = cap.wait(timeout=10)
        assert len(session) == 3 and cap.stats.reconnects == 1
        assert time.monotonic() - start < 3


def test_retry_after_is_capped_at_max_backoff() -> None:
    with FaultServer(failing_first(429, "3600")) as server:
        start = time.monotonic()
        session = capture("b", base_url=server.url, backfill=False,
                          **{**FAST, "max_backoff": 0.2}).wait(timeout=10)
        assert len(session) == 3 and time.monotonic() - start < 3


def test_retry_after_is_only_honoured_on_429_and_503() -> None:
    with FaultServer(failing_first(500, "2", failures=1)) as server:
        start = time.monotonic()
        session = capture("b", base_url=server.url, backfill=False,
                          **{**FAST, "max_backoff": 10.0}).wait(timeout=10)
        assert len(session) == 3 and time.monotonic() - start < 1.5
    with FaultServer(failing_first(503, "1", failures=1)) as server:
        start = time.monotonic()
        capture("b", base_url=server.url, backfill=False,
                **{**FAST, "max_backoff": 10.0}).wait(timeout=10)
        assert time.monotonic() - start >= 1


@pytest.mark.parametrize("key", [KEY + "\n", " " + KEY, "sk-one two", "sk-\x00nul"])
def test_a_key_with_whitespace_is_rejected_at_once_without_quoting_it(key: str) -> None:
    with FaultServer(failing_first(503, "1")) as server:
        for call in (lambda: capture("b", base_url=server.url, **{**FAST, "api_key": key}),
                     lambda: fetch_events("b", api_key=key, base_url=server.url)):
            with pytest.raises(AuthenticationError, match="whitespace or a control") as caught:
                call()
            assert key.strip() not in str(caught.value) and "sk-" not in str(caught.value)
        assert server.seen == []


def echoing(request: Handler) -> None:
    """Every answer quotes the request's Authorization header, as careless servers do."""
    said = request.headers.get("Authorization", "").encode()
    if "/stream" in request.path and request.nth("stream") == 1:
        request.sse(frames(range(5, 8)))
    elif "/stream" in request.path:
        request.answer(404, b'{"message": "no session for %s"}' % said)
    else:
        request.answer(400, b'{"message": "bad request from %s"}' % said)


def test_the_key_is_in_no_message_from_history_or_backfill() -> None:
    with FaultServer(echoing) as server:
        with pytest.raises(CaptureError) as caught:
            fetch_events("b", api_key=KEY, base_url=server.url)
        assert "400" in str(caught.value) and KEY not in str(caught.value)
        assert "[API key]" in str(caught.value)
        cap = capture("b", base_url=server.url, **FAST)
        with pytest.raises(CaptureError) as caught:
            cap.wait(timeout=10)
        assert KEY not in str(caught.value) and KEY not in repr(cap.error)
        assert KEY not in repr(cap) and KEY not in cap.stats.line()


def test_a_200_that_is_not_an_event_stream_fails_at_once_saying_what_arrived() -> None:
    def login_page(request: Handler) -> None:
        request.answer(200, b"<html>sign in</html>", {"Content-Type": "text/html"})

    with FaultServer(login_page) as server:
        start = time.monotonic()
        with pytest.raises(CaptureError, match=r"Content-Type 'text/html'.*text/event-stream"):
            capture("b", base_url=server.url, **{**FAST, "max_backoff": 5.0})
        assert server.count("stream") == 1 and time.monotonic() - start < 2


def test_an_unasked_gzip_stream_is_decoded() -> None:
    def gzipped(request: Handler) -> None:
        if request.nth("stream") == 1:
            request.sse(gzip.compress(frames(range(1, 201))), {"Content-Encoding": "gzip"})
        else:
            request.answer(404, b"{}")

    with FaultServer(gzipped) as server:
        cap = capture("b", base_url=server.url, backfill=False, **FAST)
        session = cap.wait(timeout=10)
    assert len(session) == 200 and cap.ended and session.errors.empty


def test_an_encoding_that_cannot_be_decoded_is_an_error_not_an_empty_capture() -> None:
    def brotli(request: Handler) -> None:
        request.sse(b"\x8b\x01\x80binary", {"Content-Encoding": "br"})

    with FaultServer(brotli) as server, pytest.raises(CaptureError, match="Content-Encoding 'br'"):
        capture("b", base_url=server.url, **FAST)
