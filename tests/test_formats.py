"""formats: what an input looks like, and readers refusing the wrong file with a clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import telemetry_lab
from telemetry_lab.errors import FormatError, TelemetryLabError
from telemetry_lab.export.har import har
from telemetry_lab.formats import looks_like, peek

DATA = Path(__file__).parent / "data"
PACKAGE_JSON = json.dumps({"name": "shop", "version": "1.0.0", "scripts": {"test": "jest"},
                           "dependencies": {"react": "^19"}}, indent=2).encode()


def test_package_json_and_har_are_named_not_read_as_empty_sessions(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_bytes(PACKAGE_JSON)
    with pytest.raises(FormatError, match=r"looks like a package\.json \(an npm manifest\)"):
        telemetry_lab.read(tmp_path / "package.json")
    doc = json.dumps(har(telemetry_lab.read(DATA / "shop.ndjson")), indent=1).encode()
    for text in (doc, json.dumps(json.loads(doc)).encode()):
        with pytest.raises(FormatError, match="looks like a HAR file") as info:
            telemetry_lab.read(text)
        assert "telemetry_lab.to_har" in str(info.value)
        assert isinstance(info.value, TelemetryLabError) and isinstance(info.value, ValueError)
    with pytest.raises(FormatError, match="not telemetry"):
        telemetry_lab.read(b'{"hello": 1}\n{"hello": 2}\n')
    with pytest.raises(FormatError, match="JSON array that holds no telemetry"):
        telemetry_lab.read_events_json(b'[{"a": 1}]')


@pytest.mark.parametrize(("reader", "source", "looks", "use"), [
    ("read_sse", "shop.ndjson", "NDJSON", "read_ndjson"),
    ("read_ndjson", "shop.sse", "server-sent events", "read_sse"),
    ("read_events_json", "shop.sse", "server-sent events", "read_sse"),
])
def test_the_wrong_reader_names_the_right_one(reader: str, source: str, looks: str,
                                              use: str) -> None:
    with pytest.raises(FormatError) as info:
        getattr(telemetry_lab, reader)(DATA / source)
    message = str(info.value)
    assert message.startswith(f"{reader} reads ") and f"looks like {looks}" in message
    assert f"Use {use}, or telemetry_lab.read()" in message


def test_a_json_array_into_read_ndjson() -> None:
    lines = (DATA / "shop.ndjson").read_bytes().splitlines()[:3]
    array = b"[" + b",".join(lines) + b"]"
    with pytest.raises(FormatError, match="looks like a JSON array of envelopes"):
        telemetry_lab.read_ndjson(array)
    assert len(telemetry_lab.read_events_json(array)) == 3
    assert len(telemetry_lab.read(array)) == 3


def test_good_recordings_with_a_bad_first_line_still_read() -> None:
    lines = (DATA / "shop.ndjson").read_bytes().splitlines()[:5]
    session = telemetry_lab.read_ndjson(b"{not json\n" + b"\n".join(lines))
    assert len(session) == 5 and len(session.errors) == 1
    assert len(telemetry_lab.read(b"")) == 0 and len(telemetry_lab.read_ndjson(b"")) == 0


def test_pretty_printed_envelopes_are_named() -> None:
    envelope = json.loads((DATA / "shop.ndjson").read_bytes().splitlines()[0])
    assert looks_like(json.dumps(envelope).encode())[0] == "ndjson"
    kind, description = looks_like(json.dumps(envelope, indent=2).encode())
    assert kind == "multiline"
    text = (json.dumps(envelope, indent=2) * 2).encode()
    kind, description = looks_like(text)
    assert kind == "multiline" and "one envelope per line" in description
    with pytest.raises(FormatError, match="pretty-printed JSON"):
        telemetry_lab.read(text)


def test_peek_loses_nothing() -> None:
    chunks = [b"ab", b"cd", b"ef"]
    head, stream = peek(chunks, size=3)
    assert head == b"abc" and b"".join(stream) == b"abcdef"
