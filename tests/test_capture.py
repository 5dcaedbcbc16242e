"""Capture over loopback HTTP against the replay server, with faults; no mocks."""

from __future__ import annotations

import contextlib
import logging
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from envelopes import spaced_sample
from faultserver import FaultServer, Handle, Handler, frames, line, once

from telemetry_lab import (
    AuthenticationError,
    BrowserNotFound,
    CaptureError,
    Faults,
    SpoolError,
    capture,
    fetch_events,
    replay,
)
from telemetry_lab.datasets import sample_path
from telemetry_lab.readers import read, read_sse
from telemetry_lab.session import Session

KEY = "sk-test-secret-0123456789"
FAST = {"api_key": KEY, "spool": False, "progress": False, "backoff": 0.01, "max_backoff": 0.05}


def rows(session: Session, skip: tuple[int, ...] = ()) -> dict[int, dict[str, Any]]:
    """Every event by seq, maps as dicts (their entry order depends on batching)."""
    out = {}
    for name in session.types:
        for row in session.table(name).to_pylist():
            if row["seq"] not in skip:
                out[row["seq"]] = {
                    k: dict(v) if isinstance(v, list) and v and isinstance(v[0], tuple) else v
                    for k, v in row.items()
                }
    return out


@pytest.fixture(scope="module")
def recording() -> dict[int, dict[str, Any]]:
    return rows(read(sample_path()))


def scenario(seed: int) -> tuple[Faults, int | None]:
    """A seeded mix of faults and a ring size."""
    rng = random.Random(seed)
    faults = Faults(
        seed=seed,
        drop_after=rng.choice([None, 40, 90]),
        drop_rate=rng.choice([0.0, 0.0, 0.03]),
        stall_after=rng.choice([None, None, 70]),
        stall_seconds=0.8,
        garbage=tuple(rng.sample(range(2, 248), rng.choice([0, 1, 3]))),
        fail_first=rng.choice([0, 1, 2]),
        fail_status=rng.choice([503, 429, 500]),
        retry_after=rng.choice([None, 0.01]),
        events_fail_first=rng.choice([0, 1]),
        chunk_size=rng.choice([None, 5, 64, 1500]),
        big_frame=rng.choice([None, rng.randrange(1, 249)]),
        skip=tuple(rng.sample(range(1, 249), rng.choice([0, 2]))),
        truncate_end=rng.choice([0, 0, 4]),
    )
    return faults, rng.choice([None, 1024, 60])


@pytest.mark.parametrize("seed", range(24))
def test_fault_scenario_captures_the_recording_exactly(seed: int, recording: dict) -> None:
    faults, ring = scenario(seed)
    with replay(sample_path(), browser_id="b", api_key=KEY, ring=ring, faults=faults) as server:
        cap = capture("b", base_url=server.url, read_timeout=0.3, **FAST)
        session = cap.wait(timeout=30)
    expected = {seq: row for seq, row in recording.items() if seq not in faults.skip}
    assert rows(session) == expected and session.duplicates.empty
    assert set(session.errors["seq"]) <= set(faults.garbage)
    # id-only frames evicted before they were streamed are in no history: they stay gaps
    unseen = {s for a, b in zip(session.gaps["start"], session.gaps["end"], strict=True)
              for s in range(a, b + 1)}
    assert sorted(unseen | set(session.skipped)) == sorted(set(faults.skip))
    assert cap.ended and cap.error is None


def test_auth_failure_raises_at_once_without_retry_or_leaking_the_key(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for status in (401, 403):
        faults = Faults(fail_first=100, fail_status=status)
        with replay(sample_path(), browser_id="b", faults=faults) as server:
            with pytest.raises(AuthenticationError) as info:
                capture("b", base_url=server.url, **FAST)
            assert server.requests["stream"] == 1
        assert str(status) in str(info.value) and KEY not in str(info.value)
        assert KEY not in repr(info.value)
    with replay(sample_path(), browser_id="b", api_key="other") as server, \
            pytest.raises(AuthenticationError):
        capture("b", base_url=server.url, **FAST)
    assert KEY not in caplog.text


def test_missing_key_and_unknown_browser() -> None:
    env = os.environ.pop("KERNEL_API_KEY", None)
    try:
        with pytest.raises(AuthenticationError, match="KERNEL_API_KEY"):
            capture("b", spool=False, progress=False)  # the Kernel API: a key is needed
        keyless = {k: v for k, v in FAST.items() if k != "api_key"}
        with replay(sample_path(), browser_id="b", api_key="other") as server, \
                pytest.raises(AuthenticationError, match=r"asks for a key .401. and there is none"):
            capture("b", base_url=server.url, **keyless)
        with replay(sample_path(), browser_id="b") as server:  # a server that needs no key
            session = capture("b", base_url=server.url, **keyless).wait(timeout=30)
        assert len(session) == 248
    finally:
        if env is not None:
            os.environ["KERNEL_API_KEY"] = env
    with replay(sample_path(), browser_id="b", api_key=KEY) as server:
        with pytest.raises(BrowserNotFound, match="'nope'"):
            capture("nope", base_url=server.url, **FAST)
        with pytest.raises(BrowserNotFound):
            fetch_events("nope", api_key=KEY, base_url=server.url)


def test_an_unreachable_api_is_an_error_at_once() -> None:
    start = time.monotonic()
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    with pytest.raises(CaptureError, match=r"cannot reach http://127\.0\.0\.1:\d+"):
        capture("b", base_url=url, **FAST)
    assert time.monotonic() - start < 5


def test_stop_during_an_outage_returns_what_arrived_within_its_timeout() -> None:
    slow = {**FAST, "backoff": 5.0, "max_backoff": 5.0}
    server = replay(sample_path(), browser_id="b", api_key=KEY, speed=1.0)  # 12 s of events
    cap = capture("b", base_url=server.url, read_timeout=0.3, **slow)
    deadline = time.monotonic() + 10
    while len(cap.session()) < 30 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.stop()  # the API goes away: reconnects and history both fail, backing off 5 s
    arrived = len(cap.session())
    start = time.monotonic()
    session = cap.stop(timeout=1.0)
    assert time.monotonic() - start < 4
    assert 30 <= len(session) < 248 and len(session) >= arrived and not cap.running
    assert session.gaps.empty  # nothing known to be missing: the rest never arrived at all


def test_stall_reconnects_after_the_read_timeout(recording: dict) -> None:
    faults = Faults(stall_after=50, stall_seconds=20)
    with replay(sample_path(), browser_id="b", api_key=KEY, faults=faults) as server:
        start = time.monotonic()
        cap = capture("b", base_url=server.url, read_timeout=0.3, **FAST)
        session = cap.wait(timeout=10)
        assert time.monotonic() - start < 5
    assert cap.stats.reconnects == 1 and rows(session) == recording


def test_keepalives_reset_the_idle_timer(tmp_path: Path) -> None:
    path = spaced_sample(tmp_path, 0.6)
    reconnects = {}
    for keepalive in (0.1, 30.0):
        with replay(path, browser_id="b", api_key=KEY, speed=1.0, keepalive=keepalive) as server:
            cap = capture("b", base_url=server.url, read_timeout=0.35, **FAST)
            assert len(cap.wait(timeout=10)) == 3
            reconnects[keepalive] = cap.stats.reconnects
    assert reconnects[0.1] == 0 and reconnects[30.0] >= 2


def test_an_event_is_visible_before_the_next_bytes_arrive(tmp_path: Path) -> None:
    path = spaced_sample(tmp_path, 2.0)
    with replay(path, browser_id="b", api_key=KEY, speed=1.0,
                faults=Faults(big_frame=1, chunk_size=1000)) as server:
        start = time.monotonic()
        cap = capture("b", base_url=server.url, **FAST)
        while len(cap.session()) < 1 and time.monotonic() - start < 1.5:
            time.sleep(0.01)
        assert 1 <= len(cap.session()) < 3 and time.monotonic() - start < 1.5
        assert cap.stats.bytes > 1 << 20
        cap.stop(backfill=False)


def test_backfill_fills_evicted_ranges_and_can_be_off(recording: dict) -> None:
    with replay(sample_path(), browser_id="b", api_key=KEY, ring=40) as server:
        cap = capture("b", base_url=server.url, **FAST)
        assert rows(cap.wait(timeout=10)) == recording
    assert cap.stats.backfilled == 208
    faults = Faults(garbage=(100,), drop_after=120)
    with replay(sample_path(), browser_id="b", api_key=KEY, faults=faults) as server:
        session = capture("b", base_url=server.url, backfill=False, **FAST).wait(timeout=10)
    assert session.gaps[["start", "end"]].values.tolist() == [[100, 100]]
    assert session.errors["seq"].tolist() == [100]


def test_retry_after_is_honoured_and_retries_are_bounded(recording: dict) -> None:
    faults = Faults(fail_first=2, fail_status=429, retry_after=0.3)
    with replay(sample_path(), browser_id="b", api_key=KEY, faults=faults) as server:
        start = time.monotonic()
        session = capture("b", base_url=server.url, **{**FAST, "max_backoff": 1.0}).wait(10)
        assert time.monotonic() - start >= 0.6 and rows(session) == recording
    with replay(sample_path(), browser_id="b", api_key=KEY,
                faults=Faults(fail_first=100)) as server:
        cap = capture("b", base_url=server.url, max_retries=2, **{**FAST, "backoff": 0.001})
        with pytest.raises(CaptureError, match="gave up"):
            cap.wait(timeout=10)
        assert server.requests["stream"] == 3


def test_categories_keep_only_those_and_leave_no_gaps() -> None:
    with replay(sample_path(), browser_id="b", api_key=KEY, ring=100) as server:
        session = capture("b", base_url=server.url, categories=["page"], **FAST).wait(10)
    assert {e.split("_")[0] for e in session.types} == {"page"} and len(session) == 24
    assert session.gaps.empty
    assert session.source["categories"] == ["page"] and session.source["filtered_out"] == 224


def test_fetch_events_reads_a_whole_session_from_history(recording: dict) -> None:
    with replay(sample_path(), browser_id="b", api_key=KEY) as server:
        session = fetch_events("b", since="1h", api_key=KEY, base_url=server.url)
        network = fetch_events("b", since="1h", categories=["network"], api_key=KEY,
                               base_url=server.url)
    assert rows(session) == recording and session.source["format"] == "history"
    assert len(network) == 201


def test_spool_is_complete_and_resumes_after_a_partial_frame(tmp_path: Path,
                                                             recording: dict) -> None:
    spool = tmp_path / "spool.sse"
    faults = Faults(drop_after=100, garbage=(5,), skip=(9,))
    expected = {s: r for s, r in recording.items() if s != 9}
    with replay(sample_path(), browser_id="b", api_key=KEY, faults=faults) as server:
        cap = capture("b", base_url=server.url, **{**FAST, "spool": spool})
        assert rows(cap.wait(timeout=10)) == expected
    assert rows(read_sse(spool)) == expected
    lines = sample_path().read_bytes().splitlines()
    spool.write_bytes(b"".join(b"id: %d\ndata: %s\n\n" % (i, line)
                               for i, line in enumerate(lines[:30], 1)) + b"id: 31\ndata: {\"se")
    with replay(sample_path(), browser_id="b", api_key=KEY) as server:
        session = capture("b", base_url=server.url, **{**FAST, "spool": spool}).wait(10)
    assert rows(session) == recording and session.errors.empty
    assert rows(read_sse(spool)) == recording and read_sse(spool).duplicates.empty


CHILD = """
import sys
from telemetry_lab import capture
capture("b", api_key=sys.argv[2], base_url=sys.argv[1], spool=sys.argv[3], progress=False).wait()
"""


def test_sigkill_leaves_a_spool_a_new_capture_resumes_without_loss(tmp_path: Path,
                                                                     recording: dict) -> None:
    spool = tmp_path / "b.sse"
    with replay(sample_path(), browser_id="b", api_key=KEY, speed=3.0) as server:
        child = subprocess.Popen([sys.executable, "-c", CHILD, server.url, KEY, str(spool)])
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and (
                    not spool.exists() or spool.read_bytes().count(b"\n\n") < 60):
                time.sleep(0.02)
            child.send_signal(signal.SIGKILL)
        finally:
            child.wait()
        assert child.returncode == -signal.SIGKILL
        held = len(read_sse(spool))
        assert 60 <= held < 248
        cap = capture("b", base_url=server.url, **{**FAST, "spool": spool})
        session = cap.wait(timeout=20)
    assert rows(session) == recording and session.duplicates.empty
    assert rows(read_sse(spool)) == recording and read_sse(spool).duplicates.empty


def test_context_manager_stops_and_repr_hides_the_key() -> None:
    with replay(sample_path(), browser_id="b", api_key=KEY, speed=0.5) as server:
        with capture("b", base_url=server.url, **FAST) as cap:
            assert cap.running
        assert not cap.running and not cap.ended
        assert KEY not in repr(cap) and "stopped" in repr(cap)


# -- the edges: hangs, cleanup, full disk, ids (fault servers on 127.0.0.1) ------------------


def silent(request: Handler) -> None:
    """Accepts the request and never answers: no status line, no headers."""
    request.hold()


def dripping(request: Handler) -> None:
    """Headers, then a byte of an endless comment every 50 ms: the read timeout never fires."""
    request.send_response(200)
    request.send_header("Content-Type", "text/event-stream")
    request.end_headers()
    request.close_connection = True
    with contextlib.suppress(OSError):
        while not request.server.closing.wait(0.05):
            request.wfile.write(b":")
            request.wfile.flush()


def test_capture_waits_at_most_the_connect_timeout_for_a_silent_server() -> None:
    with FaultServer(silent) as server:
        start = time.monotonic()
        cap = capture("b", base_url=server.url, connect_timeout=0.5, **FAST)
        assert time.monotonic() - start < 1.5 and cap.running
        with pytest.raises(CaptureError, match=r"still running after 0\.5 s"):
            cap.wait(timeout=0.5)
        start = time.monotonic()
        cap.stop(timeout=1)
        assert time.monotonic() - start < 1.5


@pytest.mark.parametrize("handle", [silent, dripping])
def test_stop_returns_within_its_timeout_whatever_the_server_does(handle: Handle) -> None:
    with FaultServer(handle) as server:
        cap = capture("b", base_url=server.url, connect_timeout=0.3, **FAST)
        time.sleep(0.3)
        start = time.monotonic()
        session = cap.stop(timeout=1)
        assert time.monotonic() - start < 2 and len(session) == 0


def test_a_refused_key_still_raises_at_once_from_capture() -> None:
    def refuse(request: Handler) -> None:
        request.answer(401, b'{"code": "unauthorized"}')

    with FaultServer(refuse) as server:
        start = time.monotonic()
        with pytest.raises(AuthenticationError):
            capture("b", base_url=server.url, **FAST)
        assert time.monotonic() - start < 2 and server.count("stream") == 1


def test_ids_beyond_int64_or_garbage_leave_the_resume_point_alone() -> None:
    bad = (b"id: 99999999999999999999999\ndata: " + line(3) + b"\n\n"
           b"id: 4e2\ndata: " + line(4) + b"\n\n" b"id: \xd9\xa3\n\n"
           b"id: 18446744073709551616\n\n")

    def handle(request: Handler) -> None:
        n = request.nth("stream")
        if n == 1:
            request.sse(frames(range(1, 3)) + bad)
        elif n == 2:
            request.sse(frames(range(5, 7)))
        else:
            request.answer(404, b"{}")

    with FaultServer(handle) as server:
        cap = capture("b", base_url=server.url, backfill=False, **FAST)
        session = cap.wait(timeout=10)
        resumed = [h.get("Last-Event-ID") for p, h in server.seen if "/stream" in p]
    assert resumed == [None, "2", "6"] and cap.last_id == 6
    assert sorted(session.table("console_log")["seq"].to_pylist()) == [1, 2, 3, 4, 5, 6]


def test_a_full_disk_names_the_disk_and_keeps_what_arrived(tiny_disk: Path) -> None:
    spool = tiny_disk / "b.sse"
    with FaultServer(once(frames(range(1, 601), "y" * 1000))) as server:
        cap = capture("b", base_url=server.url, **{**FAST, "spool": spool})
        with pytest.raises(SpoolError, match=re.escape(f"mounted at '{tiny_disk}'")) as caught:
            cap.wait(timeout=10)
        assert "No space left on device" in str(caught.value)
        assert not cap.running and cap.stats.state == "failed"
    held = cap.session().table("console_log")["seq"].to_pylist()
    spooled = read_sse(spool).table("console_log")["seq"].to_pylist()
    assert sorted(held) == list(range(1, len(held) + 1)) and len(held) > len(spooled) > 10
