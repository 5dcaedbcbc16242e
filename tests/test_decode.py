"""Framing: SSE and NDJSON decoders, JSON arrays, format sniffing."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from telemetry_lab.decode import (
    NDJSONDecoder,
    SSEDecoder,
    decode_events_json,
    sniff,
)
from telemetry_lab.errors import FormatError

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


def test_ndjson_crlf_blank_lines_and_missing_final_newline() -> None:
    decoder = NDJSONDecoder()
    batches = [decoder.feed(b'{"a":1}\r\n\r\n  \n{"b"'), decoder.feed(b":2}\r\n{\"c\":3}"),
               decoder.close()]
    lines = [line for b in batches for line in b.lines]
    positions = [p for b in batches for p in b.positions]
    # empty lines go here; whitespace-only ones reach the table builder, which drops them
    assert lines == [b'{"a":1}', b"  ", b'{"b":2}', b'{"c":3}']
    assert positions == [1, 3, 4, 5]


def test_events_json_array() -> None:
    batch = decode_events_json(b'[{"seq": 1}, {"seq": 2}]')
    assert [json.loads(x) for x in batch.lines] == [{"seq": 1}, {"seq": 2}]
    assert list(batch.positions) == [1, 2]
    assert decode_events_json(b"").lines == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [(b"{}", "a JSON dict"), (b"[1, {", "not valid JSON")],
)
def test_events_json_rejects_what_is_not_an_array(data: bytes, expected: str) -> None:
    with pytest.raises(FormatError, match=expected):
        decode_events_json(data)


def test_sniff() -> None:
    assert sniff(b"\xef\xbb\xbf\n: keepalive\n") == "sse"
    assert sniff(b"data: {}") == "sse"
    assert sniff(b'  {"seq": 1}') == "ndjson"
    assert sniff(b"\n[") == "json"
    assert sniff(b"  \n") is None
    with pytest.raises(FormatError) as info:
        sniff(b"\x1f\x8b\x08compressed")
    message = str(info.value)
    for fmt in ("server-sent events", "NDJSON", "JSON array"):
        assert fmt in message
    assert "\\x1f\\x8b" in message


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


def test_a_json_array_with_a_deep_element_keeps_the_others() -> None:
    deep = b"[" * 3_000 + b"]" * 3_000
    batch = decode_events_json(b' [{"seq": 1}, ' + deep + b', {"seq": 3, "s": "],[{"}]\n')
    assert [json.loads(line) for line in batch.lines] == [{"seq": 1}, {"seq": 3, "s": "],[{"}]
    assert list(batch.positions) == [1, 3]
    assert [(e.position, e.reason) for e in batch.errors] == [
        (2, "invalid JSON: JSON nested 3000 levels deep; at most 200 are read")
    ]
