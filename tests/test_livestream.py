"""Live SSE parsing with sseclient-py: frame alignment, id-only frames, batching, latency."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator

import pyarrow.compute as pc

from telemetry_lab.datasets import sample_path
from telemetry_lab.decode import Batch, SSEDecoder
from telemetry_lab.livestream import frame_aligned, parse_stream
from telemetry_lab.session import Session
from telemetry_lab.tables import TableBuilder


def sample_sse() -> bytes:
    lines = sample_path().read_bytes().splitlines()
    return b"".join(b"id: %d\ndata: %s\n\n" % (i, line) for i, line in enumerate(lines, 1))


def cut(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def parsed(chunks: list[bytes], **options: object) -> tuple[list[Batch], Batch]:
    batches: list[Batch] = []
    parse_stream(chunks, batches.append, **options)  # type: ignore[arg-type]
    merged = Batch(ids=[])
    for batch in batches:
        merged.lines += batch.lines
        assert merged.ids is not None and batch.ids is not None
        merged.ids += batch.ids
        merged.skipped += batch.skipped
        merged.errors += batch.errors
    return batches, merged


def test_any_chunking_gives_what_the_pure_decoder_gives() -> None:
    data = sample_sse()
    expected = SSEDecoder().feed(data)
    for size in (1, 7, 1000, len(data)):
        _, got = parsed(cut(data, size))
        assert got.lines == expected.lines and got.ids == expected.ids


def test_frame_aligned_pieces_end_at_frame_boundaries_and_normalise_line_ends() -> None:
    data = b"id: 1\r\ndata: {}\r\n\r\nid: 2\rdata: {}\r\r: keepalive\n\nid: 3\ndata: {"
    pieces = list(frame_aligned(cut(data, 3)))
    assert all(p.endswith(b"\n\n") for p in pieces)
    assert b"".join(pieces) == b"id: 1\ndata: {}\n\nid: 2\ndata: {}\n\n: keepalive\n\n"


def test_id_only_frames_reach_sseclient_and_the_spool_untouched() -> None:
    spooled: list[bytes] = []
    data = b"id: 1\n\nid: 2\n\nid: 3\ndata: {\"seq\":3}\n\nid: 4\n\n"
    pieces = list(frame_aligned([data], spooled.append))
    assert spooled == [data]
    assert pieces == [b"id: 1\ndata:\n\nid: 2\ndata:\n\nid: 3\ndata: {\"seq\":3}\n\n"
                      b"id: 4\ndata:\n\n"]
    _, got = parsed(cut(data, 2))
    assert got.skipped == [1, 2, 4] and got.ids == [3]


def test_multi_line_data_is_joined_and_bytes_pass_as_sent() -> None:
    data = (b'id: 5\ndata: {"seq": 5,\ndata:  "x": 1}\n\n'
            b'id: 6\ndata: {"seq": 6,\ndata: oops\n\n'
            b'id: 7\ndata: {"seq": 7, "s": "\xff \xc3\xa9"}\n\n')
    _, got = parsed([data])
    assert got.lines == [b'{"seq": 5, "x": 1}', b'{"seq": 7, "s": "\xff \xc3\xa9"}']
    assert got.ids == [5, 7] and [e.seq for e in got.errors] == [6]
    assert "invalid JSON" in got.errors[0].reason


def test_invalid_utf8_live_is_replaced_and_reported_as_in_files() -> None:
    first, second = sample_path().read_bytes().splitlines()[:2]
    bad = second.replace(b'"type":', b'"bad":"\xff\xfe \xc3\xa9","type":', 1)
    data = b"id: 1\ndata: " + first + b"\n\nid: 2\ndata: " + bad + b"\n\n"
    batches, _ = parsed(cut(data, 7))
    builder = TableBuilder()
    for batch in batches:
        builder.add(batch)
    session = Session.from_builder(builder)
    assert len(session) == 2 and session.errors.empty
    assert session.warnings["seq"].tolist() == [2]
    assert "invalid UTF-8 replaced by U+FFFD" in session.warnings["reason"].iloc[0]
    extra = session.events.set_index("seq").loc[2]
    table = session.table(str(extra["type"]))
    row = table.filter(pc.equal(table["seq"], 2)).to_pylist()[0]
    assert json.loads(row["extra"])["event.bad"] == "\ufffd\ufffd é"


def test_a_megabyte_frame_in_tiny_pieces_stays_linear() -> None:
    big = b'{"seq": 1, "pad": "' + b"x" * (2 << 20) + b'"}'
    data = b"id: 1\ndata: " + big + b"\n\n"
    start = time.perf_counter()
    _, got = parsed(cut(data, 64))
    assert got.lines == [big]
    assert time.perf_counter() - start < 2.0  # quadratic appends take minutes here


def test_batches_hold_up_to_max_batch_while_bytes_keep_coming() -> None:
    chunks = cut(sample_sse(), 500)
    batches, got = parsed(chunks, wait=lambda timeout: True, max_batch=100, max_delay=60.0)
    assert [len(b.lines) for b in batches] == [100, 100, 48] and len(got.lines) == 248
    batches, _ = parsed(chunks, wait=lambda timeout: False, max_delay=60.0)
    assert len(batches) > 100  # nothing more waiting: every event goes out at once
    batches, _ = parsed(chunks)  # no wait(): out before every pull
    assert len(batches) > 100


def test_a_batch_goes_out_by_its_deadline_even_while_bytes_keep_coming() -> None:
    data = b"".join(b'id: %d\ndata: {"seq": %d, "pad": "%s"}\n\n' % (i, i, b"x" * 60)
                    for i in range(1, 301))

    def trickle() -> Iterator[bytes]:  # about 0.3 s of bytes, always more on the way
        for piece in cut(data, 200):
            time.sleep(0.002)
            yield piece

    out: list[tuple[float, int]] = []
    start = time.monotonic()
    parse_stream(trickle(), lambda b: out.append((time.monotonic() - start, len(b.lines))),
                 wait=lambda timeout: True, max_delay=0.05)
    gaps = [b - a for (a, _), (b, _) in itertools.pairwise(out)]
    assert sum(n for _, n in out) == 300 and len(out) > 3 and max(gaps) < 0.1


def test_an_event_goes_out_before_a_blocking_pull() -> None:
    def slow() -> Iterator[bytes]:
        yield b'id: 1\ndata: {"seq":1}\n\n'
        time.sleep(0.5)
        yield b'id: 2\ndata: {"seq":2}\n\n'

    waited: list[float] = []

    def wait(timeout: float) -> bool:
        waited.append(timeout)
        time.sleep(timeout)  # nothing arrives in time
        return False

    out: list[float] = []
    start = time.monotonic()
    parse_stream(slow(), lambda b: out.append(time.monotonic() - start), wait=wait,
                 max_delay=0.05)
    assert len(out) == 2 and out[0] < 0.15 and out[1] >= 0.5
    assert 0 < waited[0] <= 0.05


def test_hostile_frames_are_bounded_and_reported_live() -> None:
    first, second = sample_path().read_bytes().splitlines()[:2]
    deep = (b'{"seq":3,"event":{"ts":1,"type":"page_load","data":{"x":'
            + b"[" * 3_000 + b"]" * 3_000 + b"}}}")
    data = (b"id: 1\ndata: " + first + b"\n\n"
            b"id: 99999999999999999999\ndata: " + second + b"\n\n"
            b"id: 3\ndata: " + deep + b"\n\n")
    batches, _ = parsed(cut(data, 4096))
    builder = TableBuilder()
    for batch in batches:
        builder.add(batch)
    session = Session.from_builder(builder)
    assert len(session) == 2
    assert session.errors[["seq", "reason"]].values.tolist() == [
        [3, "JSON nested 3003 levels deep; at most 200 are read"]
    ]
    assert session.warnings["reason"].str.contains("is not a seq").tolist() == [True]
    assert session.gaps[["start", "end"]].values.tolist() == [[3, 3]]  # its event is lost
