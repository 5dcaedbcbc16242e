"""The replay server over loopback HTTP: both endpoints, the Kernel contract, every fault."""

from __future__ import annotations

import json
import socket
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from envelopes import spaced_sample

from telemetry_lab import Faults, replay
from telemetry_lab._replay import Recording
from telemetry_lab._replay.events import parse_time
from telemetry_lab._replay.faults import BIG_FRAME
from telemetry_lab._replay.server import TOKEN_ENV
from telemetry_lab.datasets import sample_path
from telemetry_lab.errors import FormatError
from telemetry_lab.sse import SSEDecoder

KEY = "replay-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def recording() -> Recording:
    return Recording.load(sample_path())


@pytest.fixture(scope="module")
def server() -> Any:
    with replay(sample_path(), browser_id="b", api_key=KEY) as server:
        yield server


def stream(url: str, *, browser: str = "b", headers: dict[str, str] | None = None,
           params: dict[str, str] | None = None) -> tuple[bytes, bool]:
    """The raw body of a stream request, and whether it ended cleanly (vs. a cut connection)."""
    response = requests.get(f"{url}/browsers/{browser}/telemetry/stream", stream=True,
                            headers={**AUTH, **(headers or {})}, params=params, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "text/event-stream"
    body = []
    try:
        for chunk in response.iter_content(None):
            body.append(chunk)
    except requests.exceptions.ChunkedEncodingError:
        return b"".join(body), False
    return b"".join(body), True


def frames(body: bytes) -> tuple[list[int], list[int], list[bytes]]:
    """Ids of data frames, ids of id-only frames, data lines."""
    batch = SSEDecoder().feed(body)
    return [i for i in batch.ids or () if i is not None], batch.skipped, batch.lines


def history(url: str, **params: Any) -> requests.Response:
    return requests.get(f"{url}/browsers/b/telemetry/events", headers=AUTH, params=params,
                        timeout=10)


def all_pages(url: str, **params: Any) -> list[int]:
    seqs: list[int] = []
    offset = None
    for _ in range(100):
        response = history(url, **params, **({"offset": offset} if offset else {}))
        assert response.status_code == 200
        seqs += [envelope["seq"] for envelope in response.json()]
        offset = int(response.headers["X-Next-Offset"])
        assert (response.headers["X-Has-More"] == "true") == (offset != 0)
        if not offset:
            return seqs
    raise AssertionError("paging did not end")


def iso(ts_us: int) -> str:
    return datetime.fromtimestamp(ts_us / 1e6, UTC).isoformat().replace("+00:00", "Z")


# -- /telemetry/events ----------------------------------------------------------------------------


def test_history_pages_cover_every_event_once_in_order(server: Any) -> None:
    assert all_pages(server.url, since="1h", limit=7) == list(range(1, 249))
    first = history(server.url, since="1h", limit=100)
    assert len(first.json()) == 100 and first.headers["X-Has-More"] == "true"


def test_history_desc_pages_newest_first_and_refuses_since(server: Any) -> None:
    assert all_pages(server.url, order="desc", limit=30) == list(range(248, 0, -1))
    refused = history(server.url, order="desc", since="1h")
    assert refused.status_code == 400 and "desc" in refused.json()["message"]


def test_history_since_until_window(server: Any, recording: Recording) -> None:
    since, until = int(recording.ts[49]), int(recording.ts[149])
    seqs = all_pages(server.url, since=iso(since), until=iso(until), limit=100)
    expected = [s for s, t in zip(recording.seqs, recording.ts, strict=True) if since <= t < until]
    assert seqs == expected and 90 <= len(seqs) < 150
    assert history(server.url).json() != []  # default since=5m of the recording's clock
    assert history(server.url, since="1ms", until="0s").json() == []


def test_history_category_filter_pages_by_category(server: Any, recording: Recording) -> None:
    wanted = ("page", "console")
    seqs = all_pages(server.url, since="1h", limit=10, category=list(wanted))
    expected = [s for s, c in zip(recording.seqs, recording.categories, strict=True)
                if c in wanted]
    assert seqs == expected and len(seqs) == 34
    page = history(server.url, since="1h", limit=10, category="page").json()
    assert len(page) == 10 and {e["event"]["category"] for e in page} == {"page"}


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"order": "sideways"},
                                    {"offset": -1}, {"since": "2026-11-30T05:00:00"},
                                    {"limit": "many"}])
def test_history_rejects_bad_queries(server: Any, params: dict[str, Any]) -> None:
    response = history(server.url, **params)
    assert response.status_code == 400 and response.json()["code"] == "bad_request"


def test_parse_time_durations_and_rfc3339() -> None:
    assert parse_time("1h2m3s", 10**10) == 10**10 - 3_723_000_000
    assert parse_time("250ms", 10**6) == 750_000
    assert parse_time("2026-11-30T05:53:53.868025+00:00", 0) == 1_796_018_033_868_025
    with pytest.raises(ValueError, match="time zone"):
        parse_time("2026-11-30T05:53:53", 0)


# -- auth, routes, 404 ----------------------------------------------------------------------------


def test_bearer_token_is_checked_on_both_endpoints(server: Any) -> None:
    for endpoint in ("stream", "events"):
        url = f"{server.url}/browsers/b/telemetry/{endpoint}"
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": KEY}):
            response = requests.get(url, headers=headers, timeout=5)
            assert response.status_code == 401 and response.json()["code"] == "unauthorized"
    with replay(sample_path(), browser_id="b") as open_server:
        assert requests.get(f"{open_server.url}/browsers/b/telemetry/events",
                            timeout=5).status_code == 200


def test_unknown_browser_or_route_is_404_and_an_ended_stream_is_404() -> None:
    with replay(sample_path(), browser_id="b", api_key=KEY) as server:
        for path in ("/browsers/x/telemetry/stream", "/browsers/x/telemetry/events", "/nope"):
            assert requests.get(server.url + path, headers=AUTH, timeout=5).status_code == 404
        assert not server.ended
        body, complete = stream(server.url, params={"replay": "all"})
        assert complete and server.ended and len(frames(body)[0]) == 248
        ended = requests.get(f"{server.url}/browsers/b/telemetry/stream", headers=AUTH, timeout=5)
        assert ended.status_code == 404
        assert history(server.url, since="1h").status_code == 200  # history outlives it
        assert server.requests == {"stream": 1, "events": 1}  # the 404s reached no session


# -- /telemetry/stream ----------------------------------------------------------------------------


def test_stream_frames_are_the_recording(recording: Recording) -> None:
    with replay(sample_path(), browser_id="b", api_key=KEY) as server:
        body, complete = stream(server.url, params={"replay": "all"})
    ids, skipped, lines = frames(body)
    assert complete and ids == recording.seqs and skipped == []
    assert lines == recording.lines and body.startswith(b"id: 1\ndata: {")


def test_last_event_id_beats_replay_and_a_fresh_stream_sees_only_new_events() -> None:
    with replay(sample_path(), browser_id="b", api_key=KEY, speed=50.0) as server:
        body, _ = stream(server.url, headers={"Last-Event-ID": "200"}, params={"replay": "all"})
        assert frames(body)[0] == list(range(201, 249))
    with replay(sample_path(), browser_id="b", api_key=KEY, speed=50.0) as server:
        requests.get(f"{server.url}/browsers/b/telemetry/events", headers=AUTH, timeout=5)
        server.feed.clock()  # the browser has been running since this moment
        time.sleep(0.15)  # 7.5 s of recording at 50×
        ids = frames(stream(server.url)[0])[0]
    assert ids[0] > 60 and ids == list(range(ids[0], 249))


def test_the_ring_evicts_the_oldest_events_from_the_stream_not_from_history() -> None:
    with replay(sample_path(), browser_id="b", api_key=KEY, ring=50) as server:
        ids = frames(stream(server.url, params={"replay": "all"})[0])[0]
        assert ids == list(range(199, 249))
        assert all_pages(server.url, since="1h", limit=100) == list(range(1, 249))
    with replay(sample_path(), browser_id="b", api_key=KEY, ring=50) as server:
        ids = frames(stream(server.url, headers={"Last-Event-ID": "10"})[0])[0]
    assert ids[0] == 199  # resuming after an evicted seq: a gap, as on Kernel


def test_id_only_frames_are_sent_and_kept_out_of_history(tmp_path: Path) -> None:
    with replay(sample_path(), browser_id="b", api_key=KEY, faults=Faults(skip=(5, 6))) as server:
        body, _ = stream(server.url, params={"replay": "all"})
        assert b"id: 4\ndata: " in body and b"\n\nid: 5\n\nid: 6\n\nid: 7\ndata: " in body
        assert 5 not in all_pages(server.url, since="1h", limit=100)
    spool = tmp_path / "skips.sse"
    spool.write_bytes(body)
    with replay(spool, browser_id="b", api_key=KEY) as server:  # a spool replays its skips
        ids, skipped, _ = frames(stream(server.url, params={"replay": "all"})[0])
    assert skipped == [5, 6] and len(ids) == 246


def test_pacing_follows_the_recording_clock_times_speed(tmp_path: Path) -> None:
    path = spaced_sample(tmp_path, 0.3)
    took = {}
    for speed in (None, 1.0, 3.0):
        with replay(path, browser_id="b", api_key=KEY, speed=speed) as server:
            start = time.monotonic()
            body, complete = stream(server.url, params={"replay": "all"})
            took[speed] = time.monotonic() - start
            assert complete and frames(body)[0] == [1, 2, 3]
    assert took[None] < 0.2 and 0.6 <= took[1.0] < 1.2 and 0.2 <= took[3.0] < 0.5


def test_keepalives_fill_the_silence(tmp_path: Path) -> None:
    path = spaced_sample(tmp_path, 0.5, n=2)
    with replay(path, browser_id="b", api_key=KEY, speed=1.0, keepalive=0.1) as server:
        body, _ = stream(server.url, params={"replay": "all"})
    first, second = body.index(b"id: 1\n"), body.index(b"id: 2\n")
    assert 3 <= body[first:second].count(b":\n\n") <= 6


# -- faults ---------------------------------------------------------------------------------------


def test_drop_after_cuts_every_connection() -> None:
    with replay(sample_path(), browser_id="b", api_key=KEY, faults=Faults(drop_after=10)) as s:
        body, complete = stream(s.url, params={"replay": "all"})
        assert not complete and frames(body)[0] == list(range(1, 11))
        body, complete = stream(s.url, headers={"Last-Event-ID": "10"})
        assert not complete and frames(body)[0] == list(range(11, 21))


def test_a_paced_stream_is_cut_cleanly_between_frames(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    with replay(spaced_sample(tmp_path, 0.05, n=6), browser_id="b", api_key=KEY, speed=1.0,
                faults=Faults(drop_after=3)) as server:
        body, complete = stream(server.url, params={"replay": "all"})
    assert not complete and frames(body)[0] == [1, 2, 3]
    assert "Traceback" not in capfd.readouterr().err


def test_drop_rate_is_random_but_reproducible_from_the_seed() -> None:
    cuts = []
    for seed in (1, 1, 2):
        faults = Faults(seed=seed, drop_rate=0.05)
        with replay(sample_path(), browser_id="b", api_key=KEY, faults=faults) as server:
            body, complete = stream(server.url, params={"replay": "all"})
        assert not complete
        cuts.append(frames(body)[0][-1])
    assert cuts[0] == cuts[1] != cuts[2]


def test_stall_goes_silent_once_then_cuts() -> None:
    faults = Faults(stall_after=5, stall_seconds=0.4)
    with replay(sample_path(), browser_id="b", api_key=KEY, faults=faults, keepalive=0.05) as s:
        start = time.monotonic()
        body, complete = stream(s.url, params={"replay": "all"})
        assert time.monotonic() - start >= 0.4 and not complete
        assert frames(body)[0] == [1, 2, 3, 4, 5] and b":\n\n" not in body
        body, complete = stream(s.url, headers={"Last-Event-ID": "5"})
        assert complete and frames(body)[0] == list(range(6, 249))


def test_garbage_frames_carry_invalid_json_history_the_real_event(recording: Recording) -> None:
    faults = Faults(garbage=(3,))
    with replay(sample_path(), browser_id="b", api_key=KEY, faults=faults) as server:
        ids, _, lines = frames(stream(server.url, params={"replay": "all"})[0])
        page = history(server.url, since="1h", limit=5).json()
    with pytest.raises(ValueError):
        json.loads(lines[2])
    assert ids[2] == 3 and page[2] == json.loads(recording.lines[2])


@pytest.mark.parametrize("status", [503, 429, 401])
def test_fail_first_answers_the_first_requests_with_the_status(status: int) -> None:
    faults = Faults(fail_first=2, fail_status=status, retry_after=1.5, events_fail_first=1)
    with replay(sample_path(), browser_id="b", api_key=KEY, faults=faults) as server:
        url = f"{server.url}/browsers/b/telemetry/stream"
        answers = [requests.get(url, headers=AUTH, timeout=5) for _ in range(2)]
        assert [a.status_code for a in answers] == [status, status]
        assert answers[0].headers["Retry-After"] == "1.5"
        assert stream(server.url, params={"replay": "all"})[1]
        assert history(server.url).status_code == status
        assert history(server.url).status_code == 200


def test_chunk_size_writes_tiny_http_chunks_of_the_same_bytes(recording: Recording) -> None:
    with replay(sample_path(), browser_id="b", api_key=KEY,
                faults=Faults(chunk_size=7)) as server:
        response = requests.get(f"{server.url}/browsers/b/telemetry/stream", headers=AUTH,
                                params={"replay": "all"}, stream=True, timeout=10)
        pieces = list(response.raw.read_chunked())
    assert max(map(len, pieces)) == 7 and len(pieces) > 10_000
    assert frames(b"".join(pieces))[2] == recording.lines


def test_big_frame_is_over_a_megabyte_and_the_same_envelope(recording: Recording) -> None:
    with replay(sample_path(), browser_id="b", api_key=KEY,
                faults=Faults(big_frame=3)) as server:
        _, _, lines = frames(stream(server.url, params={"replay": "all"})[0])
    assert len(lines[2]) > BIG_FRAME and len(lines[3]) < 10_000
    assert json.loads(lines[2]) == json.loads(recording.lines[2])


def test_truncate_end_ends_the_session_early_history_has_the_rest() -> None:
    with replay(sample_path(), browser_id="b", api_key=KEY,
                faults=Faults(truncate_end=4)) as server:
        body, complete = stream(server.url, params={"replay": "all"})
        assert complete and frames(body)[0][-1] == 244 and server.ended
        assert all_pages(server.url, since="1h", limit=100)[-1] == 248


def test_faults_describe_themselves_and_recordings_must_be_sse_or_ndjson(
        tmp_path: Path) -> None:
    assert Faults().describe() == []
    text = Faults(fail_first=1, fail_status=429, retry_after=2, skip=(1, 2)).describe()
    assert text == ["429 to the first 1 stream request(s) (Retry-After 2 s)",
                    "2 id-only frame(s)"]
    path = tmp_path / "page.json"
    path.write_text("[]")
    with pytest.raises(FormatError, match="NDJSON"):
        Recording.load(path)


def test_stop_ends_open_streams(tmp_path: Path) -> None:
    server = replay(spaced_sample(tmp_path, 30.0), browser_id="b", api_key=KEY, speed=1.0)
    response = requests.get(f"{server.url}/browsers/b/telemetry/stream", headers=AUTH,
                            params={"replay": "all"}, stream=True, timeout=5)
    assert response.raw.read1(100).startswith(b"id: 1")
    start = time.monotonic()
    server.stop()
    assert time.monotonic() - start < 2
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.url}/browsers/b/telemetry/events", headers=AUTH, timeout=2)


@pytest.mark.parametrize("host", ["evil.test", "evil.test:{port}", "127.0.0.1:1", "",
                                  "localhost.evil.test:{port}", "127.0.0.1.nip.io:{port}"])
def test_requests_not_addressed_to_a_loopback_name_get_421(host: str) -> None:
    with replay(sample_path(), browser_id="b") as server:
        port = server.url.rsplit(":", 1)[1]
        answer = requests.get(f"{server.url}/browsers/b/telemetry/events", timeout=5,
                              headers={"Host": host.format(port=port)})
        assert answer.status_code == 421 and server.requests["events"] == 0
        for name in ("127.0.0.1", "localhost", f"localhost:{port}", f"[::1]:{port}"):
            ok = requests.get(f"{server.url}/browsers/b/telemetry/events", timeout=5,
                              headers={"Host": name})
            assert ok.status_code == 200, name


def test_the_token_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, "from-env")
    with replay(sample_path(), browser_id="b") as server:
        url = f"{server.url}/browsers/b/telemetry/events"
        assert requests.get(url, timeout=5).status_code == 401
        assert requests.get(url, timeout=5,
                            headers={"Authorization": "Bearer from-env"}).status_code == 200


def test_idle_connections_are_closed_after_the_idle_timeout() -> None:
    with replay(sample_path(), browser_id="b", idle_timeout=0.5) as server:
        port = int(server.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as silent:
            start = time.monotonic()
            silent.sendall(b"GET /browsers/b/telemetry/events HTTP/1.1\r\n")
            assert silent.recv(100) == b""
            assert 0.4 < time.monotonic() - start < 3
