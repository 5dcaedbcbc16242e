"""Framing: NDJSON decoder, JSON arrays, format sniffing."""

from __future__ import annotations

import json

import pytest

from telemetry_lab.decode import NDJSONDecoder, decode_events_json, sniff
from telemetry_lab.errors import FormatError


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


def test_a_json_array_with_a_deep_element_keeps_the_others() -> None:
    deep = b"[" * 3_000 + b"]" * 3_000
    batch = decode_events_json(b' [{"seq": 1}, ' + deep + b', {"seq": 3, "s": "],[{"}]\n')
    assert [json.loads(line) for line in batch.lines] == [{"seq": 1}, {"seq": 3, "s": "],[{"}]
    assert list(batch.positions) == [1, 3]
    assert [(e.position, e.reason) for e in batch.errors] == [
        (2, "invalid JSON: JSON nested 3000 levels deep; at most 200 are read")
    ]
