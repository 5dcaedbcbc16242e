"""SSE: framing files and live streams, batching, the frame writer, sseclient-py as the oracle."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sseclient import SSEClient

from telemetry_lab.datasets import sample_path
from telemetry_lab.decode import Batch, NDJSONDecoder
from telemetry_lab.session import Session
from telemetry_lab.sse import SSEDecoder, encode_frames, parse_stream
from telemetry_lab.tables import TableBuilder

DATA = Path(__file__).parent / "data"


def feed_all(decoder: SSEDecoder | NDJSONDecoder, chunks: list[bytes]) -> tuple[list, list, list]:
    lines, ids, skipped = [], [], []
    for batch in [*(decoder.feed(c) for c in chunks), decoder.close()]:
        lines += batch.lines
        ids += batch.ids or []
        skipped += batch.skipped
    return lines, ids, skipped


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_sse_line_endings(newline: bytes) -> None:
    text = b"id: 1\ndata: {\"seq\":1}\n\n: keepalive\n\nid: 2\n\nid: 3\ndata: {\"seq\":3}\n\n"
    lines, ids, skipped = feed_all(SSEDecoder(), [text.replace(b"\n", newline)])
    assert lines == [b'{"seq":1}', b'{"seq":3}']
    assert ids == [1, 3]
    assert skipped == [2]


def test_sse_crlf_split_between_chunks() -> None:
    lines, ids, _ = feed_all(SSEDecoder(), [b"id: 1\r", b"\ndata: {}\r", b"\n\r", b"\nid: 2\r\n"])
    assert lines == [b"{}"]
    assert ids == [1]


def test_sse_multiline_data_is_joined_and_re_encoded_on_one_line() -> None:
    text = b'id: 5\ndata: {"seq": 5,\ndata:  "event": {"type": "x"}}\n\n'
    lines, ids, _ = feed_all(SSEDecoder(), [text])
    assert ids == [5]
    assert json.loads(lines[0]) == {"seq": 5, "event": {"type": "x"}}
    assert b"\n" not in lines[0]


def test_sse_field_without_space_and_unknown_fields() -> None:
    text = b'event: telemetry\nretry: 10\nid:9\ndata:{"seq":9}\n\n'
    lines, ids, _ = feed_all(SSEDecoder(), [text])
    assert lines == [b'{"seq":9}']
    assert ids == [9]


def test_sse_comment_only_frames_and_empty_data_dispatch_nothing() -> None:
    lines, ids, skipped = feed_all(SSEDecoder(), [b":\n\n: keepalive\n\ndata:\n\n\n\n"])
    assert (lines, ids, skipped) == ([], [], [])


def test_sse_incomplete_last_frame_is_reported_not_dispatched() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'id: 1\ndata: {"seq":1}\n\nid: 2\ndata: {"seq"').lines == [b'{"seq":1}']
    closed = decoder.close()
    assert closed.lines == []
    [error] = closed.errors
    assert error.seq == 2
    assert error.position == 2
    assert "incomplete frame" in error.reason


def test_sse_invalid_multiline_data_is_an_error_with_position() -> None:
    decoder = SSEDecoder()
    batch = decoder.feed(b'id: 1\ndata: {}\n\nid: 2\ndata: {\ndata: nope\n\n')
    assert batch.lines == [b"{}"]
    assert [(e.position, e.seq) for e in batch.errors] == [(2, 2)]
    assert batch.errors[0].reason.startswith("invalid JSON in multi-line data")


@pytest.mark.parametrize("name", ["lcp", "network", "shop"])
def test_sse_frames_split_at_every_boundary_give_the_same_frames(name: str) -> None:
    data = (DATA / f"{name}.sse").read_bytes()
    whole = feed_all(SSEDecoder(), [data])
    assert len(whole[0]) > 0
    for size in (1, 7, 4096):
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        assert feed_all(SSEDecoder(), chunks) == whole


def test_sse_and_ndjson_fixtures_carry_the_same_envelopes() -> None:
    for name in ("lcp", "network", "shop"):
        sse_lines, ids, _ = feed_all(SSEDecoder(), [(DATA / f"{name}.sse").read_bytes()])
        nd_lines, _, _ = feed_all(NDJSONDecoder(), [(DATA / f"{name}.ndjson").read_bytes()])
        assert [json.loads(x) for x in sse_lines] == [json.loads(x) for x in nd_lines]
        assert ids == [json.loads(x)["seq"] for x in sse_lines]


def test_one_megabyte_frame_in_tiny_chunks_stays_linear() -> None:
    payload = json.dumps({"seq": 1, "event": {"data": {"png": "A" * 1_000_000}}}).encode()
    frame = b"id: 1\ndata: " + payload + b"\n\n"

    def run(size: int) -> float:
        chunks = [frame[i : i + size] for i in range(0, len(frame), size)]
        start = time.perf_counter()
        lines, _, _ = feed_all(SSEDecoder(), chunks)
        assert lines == [payload]
        return time.perf_counter() - start

    # 62,500 feeds of 16 bytes: re-joining the buffer on every feed would copy ~31 GB (minutes);
    # buffering until a separator arrives copies the megabyte once.
    assert run(16) < 2.0


def test_sse_id_beyond_int64_is_ignored_and_reported() -> None:
    for text in (b'id: 99999999999999999999\ndata: {"seq":1}\n\n',
                 b': comment\n\nid: 99999999999999999999\ndata: {"seq":1}\n\n'):
        batch = SSEDecoder().feed(text)
        assert batch.lines == [b'{"seq":1}'] and batch.ids == [None]
        assert [w.reason for w in batch.warnings] == [
            "SSE id '99999999999999999999' is not a seq (digits up to 9223372036854775807); "
            "the id is ignored"
        ]


def test_deep_multiline_sse_data_is_one_error() -> None:
    deep = b"[" * 5_000 + b"]" * 5_000
    batch = SSEDecoder().feed(b"id: 1\ndata: " + deep + b"\ndata: \n\nid: 2\ndata: {}\n\n")
    assert batch.lines == [b"{}"] and batch.ids == [2]
    assert batch.errors[0].reason.startswith("invalid JSON in multi-line data: JSON nested 5000")


def sample_sse() -> bytes:
    lines = sample_path().read_bytes().splitlines()
    return b"".join(encode_frames(range(1, len(lines) + 1), lines))


def cut(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def parsed(chunks: list[bytes], **options: object) -> tuple[list[Batch], Batch]:
    batches: list[Batch] = []
    parse_stream(chunks, batches.append, **options)  # type: ignore[arg-type]
    return batches, Batch.concat(batches) if batches else Batch(ids=[])


def test_any_chunking_gives_what_the_pure_decoder_gives() -> None:
    data = sample_sse()
    expected = SSEDecoder().feed(data)
    for size in (1, 7, 1000, len(data)):
        _, got = parsed(cut(data, size))
        assert got.lines == expected.lines and got.ids == expected.ids


def test_cut_pieces_end_at_frame_boundaries_and_normalise_line_ends() -> None:
    data = b"id: 1\r\ndata: {}\r\n\r\nid: 2\rdata: {}\r\r: keepalive\n\nid: 3\ndata: {"
    decoder = SSEDecoder()
    pieces = [piece for chunk in cut(data, 3) if (piece := decoder.cut(chunk))]
    assert all(p.endswith(b"\n\n") for p in pieces)
    assert b"".join(pieces) == b"id: 1\ndata: {}\n\nid: 2\ndata: {}\n\n: keepalive\n\n"


def test_id_only_frames_reach_the_spool_untouched_and_are_skipped_seqs() -> None:
    data = b"id: 1\n\nid: 2\n\nid: 3\ndata: {\"seq\":3}\n\nid: 4\n\n"
    spooled: list[bytes] = []
    parse_stream([data], lambda batch: None, on_frames=spooled.append)
    assert spooled == [data]
    spooled.clear()
    _, got = parsed(cut(data, 2), on_frames=spooled.append)
    assert b"".join(spooled) == data
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
    decoder = SSEDecoder()
    per_chunk = max(len(decoder.feed(chunk).lines) for chunk in chunks)
    sizes = [len(b.lines) for b in batches]
    assert len(sizes) == 3 and len(got.lines) == 248
    assert all(100 <= n < 100 + per_chunk for n in sizes[:-1])
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


def test_encode_frames_round_trips_and_writes_id_only_frames_for_empty_lines() -> None:
    lines = [b'{"seq":1}', b"", b'{"seq":3,"s":"\xc3\xa9 a: b"}']
    data = b"".join(encode_frames([1, 2, 3], lines))
    assert data == (b'id: 1\ndata: {"seq":1}\n\nid: 2\n\n'
                    b'id: 3\ndata: {"seq":3,"s":"\xc3\xa9 a: b"}\n\n')
    batch = SSEDecoder().feed(data)
    assert (batch.lines, batch.ids, batch.skipped) == ([lines[0], lines[2]], [1, 3], [2])
    with pytest.raises(ValueError, match="shorter"):
        list(encode_frames([1, 2], [b"{}"]))


def test_a_reconnect_drops_the_cut_off_frame_and_positions_run_on() -> None:
    decoder = SSEDecoder()
    out: list[Batch] = []
    parse_stream([b'id: 1\ndata: {"seq":1}\n\n: keepalive\n\nid: 2\ndata: {"se'], out.append,
                 decoder=decoder)
    parse_stream([b'\xef\xbb\xbfid: 2\ndata: {"seq":2}\n\n'], out.append, decoder=decoder)
    assert [(b.lines, list(b.positions), b.errors) for b in out] == [
        ([b'{"seq":1}'], [1], []),
        ([b'{"seq":2}'], [3], []),  # frame 2 was the keepalive; the cut-off frame is not counted
    ]


def test_a_chunk_of_many_frames_goes_out_whole_however_many_it_holds() -> None:
    data = b"".join(encode_frames(range(1, 251), (b'{"seq":%d}' % i for i in range(1, 251))))
    batches, _ = parsed([data, b"id: 251\ndata: {"], max_batch=100, wait=lambda timeout: True,
                        max_delay=60.0)
    assert [(len(b.lines), list(b.positions), b.ids) for b in batches] == [
        (250, list(range(1, 251)), list(range(1, 251)))
    ]


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=3),
    max_leaves=6,
)


@st.composite
def streams(draw: st.DrawFn) -> tuple[bytes, list[tuple[int | None, object]], list[int]]:
    """An SSE stream of frames as servers write them, with what each frame should give."""
    newline = draw(st.sampled_from([b"\n", b"\r\n", b"\r"]))
    frames, events, skipped = [], [], []
    for seq in range(1, draw(st.integers(0, 12)) + 1):
        kind = draw(st.sampled_from(["one-line", "multi-line", "id-only", "keepalive", "no-id"]))
        value = draw(_JSON)
        fields = [b": keepalive"] if kind == "keepalive" else []
        if kind != "keepalive" and kind != "no-id":
            fields.append(b"id: %d" % seq if draw(st.booleans()) else b"id:%d" % seq)
        if kind in ("one-line", "no-id"):
            fields.append(b"data: " + json.dumps(value, ensure_ascii=False).encode())
        elif kind == "multi-line":
            text = json.dumps({"v": value}, indent=1, ensure_ascii=False).encode()
            fields += [b"data: " + line for line in text.split(b"\n")]
        fields[:0] = draw(st.lists(st.sampled_from([b"event: telemetry", b"retry: 10", b":"]),
                                   max_size=2))
        frames.append(newline.join(fields) + newline + newline)
        if kind == "id-only":
            skipped.append(seq)
        elif kind != "keepalive":
            event = value if kind != "multi-line" else {"v": value}
            events.append((None if kind == "no-id" else seq, event))
    return b"".join(frames), events, skipped


@settings(max_examples=300, deadline=None)
@given(stream=streams(), cuts=st.lists(st.integers(0, 4000), max_size=6))
def test_frames_as_sseclient_py_reads_them_however_the_bytes_are_cut(
        stream: tuple[bytes, list[tuple[int | None, object]], list[int]], cuts: list[int]) -> None:
    data, events, skipped = stream
    points = sorted({c % (len(data) + 1) for c in cuts})
    chunks = [data[a:b] for a, b in itertools.pairwise([0, *points, len(data)])]
    _, got = parsed(chunks)
    ours = [(frame_id, json.loads(line)) for frame_id, line in zip(got.ids or [], got.lines,
                                                                    strict=True)]
    oracle = [(int(e.id) if e.id else None, json.loads(e.data.encode("latin-1")))
              for e in SSEClient([data], char_enc="latin-1").events()]
    assert ours == oracle == events
    assert got.skipped == skipped and not got.errors and not got.warnings
