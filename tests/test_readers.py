"""Readers: every kind of source, format detection, equal results across formats."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import telemetry_lab
from telemetry_lab.errors import FormatError

DATA = Path(__file__).parent / "data"


def frames_equal(a: telemetry_lab.Session, b: telemetry_lab.Session) -> None:
    assert a.types == b.types
    for name in a.types:
        assert a.frame(name).equals(b.frame(name)), name


@pytest.mark.parametrize("name", ["lcp", "network", "shop"])
def test_sse_ndjson_and_events_json_give_identical_frames(name: str) -> None:
    sse = telemetry_lab.read_sse(DATA / f"{name}.sse")
    nd = telemetry_lab.read_ndjson(DATA / f"{name}.ndjson")
    lines = (DATA / f"{name}.ndjson").read_bytes().splitlines()
    array = b"[" + b",".join(lines) + b"]"
    js = telemetry_lab.read_events_json(array)
    frames_equal(sse, nd)
    frames_equal(nd, js)
    assert len(nd) == len(lines)
    assert nd.errors.empty and nd.gaps.empty


def test_every_kind_of_source() -> None:
    path = DATA / "shop.sse"
    data = path.read_bytes()
    expected = telemetry_lab.read_sse(path)
    sources = [
        str(path), path, data, bytearray(data), memoryview(data), io.BytesIO(data),
        (data[i : i + 1000] for i in range(0, len(data), 1000)),
    ]
    for source in sources:
        frames_equal(telemetry_lab.read(source), expected)
    with path.open("rb") as handle:
        frames_equal(telemetry_lab.read_sse(handle), expected)
    assert telemetry_lab.read(path).source["path"] == str(path)
    assert telemetry_lab.read(path).source["format"] == "sse"


def test_read_detects_each_format() -> None:
    assert telemetry_lab.read(DATA / "lcp.ndjson").source["format"] == "ndjson"
    assert telemetry_lab.read(DATA / "lcp.sse").source["format"] == "sse"
    assert telemetry_lab.read(b" [ ]").source["format"] == "json"


def test_read_parquet_directory(tmp_path: Path) -> None:
    session = telemetry_lab.read(DATA / "lcp.ndjson")
    frames_equal(telemetry_lab.read(session.to_parquet(tmp_path / "lcp")), session)


def test_unknown_format_names_the_accepted_ones() -> None:
    with pytest.raises(FormatError, match="Accepted formats: server-sent events"):
        telemetry_lab.read(b"<html><body>502 Bad Gateway</body></html>")


def test_text_mode_file_and_text_chunks_are_refused_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "x.ndjson"
    path.write_text("{}\n")
    with path.open() as handle, pytest.raises(FormatError, match=r"open\(path, 'rb'\)"):
        telemetry_lab.read(handle)
    with pytest.raises(FormatError, match=r"chunk.encode\(\)"):
        telemetry_lab.read_ndjson(iter(["{}\n"]))
    with pytest.raises(FormatError, match="cannot read a int"):
        telemetry_lab.read(42)  # type: ignore[arg-type]


def test_missing_path_says_what_was_expected(tmp_path: Path) -> None:
    expected = r"expected a path to an \.sse/\.ndjson/\.json file"
    with pytest.raises(FileNotFoundError, match=expected):
        telemetry_lab.read(tmp_path / "nope.sse")


def test_events_json_non_object_elements_are_errors_and_the_rest_loads() -> None:
    lines = (DATA / "lcp.ndjson").read_bytes().splitlines()
    array = b"[" + b",".join([lines[0], b'"junk"', *lines[1:]]) + b"]"
    session = telemetry_lab.read_events_json(array)
    assert len(session) == len(lines)
    assert session.errors.to_dict("records")[0]["position"] == 2
    assert json.loads(session.errors["raw"][0]) == "junk"


def test_a_one_megabyte_frame_loads_into_its_table() -> None:
    png = "iVBORw0KGgo" + "A" * 1_000_000
    envelope = {"seq": 1, "event": {"ts": 1796018035051464, "type": "monitor_screenshot",
                                    "category": "screenshot", "source": {"kind": "local_process"},
                                    "data": {"png": png}}}
    frame = b"id: 1\ndata: " + json.dumps(envelope).encode() + b"\n\n"
    small = b'id: 2\ndata: {"seq":2,"event":{"ts":1796018035051465,"type":"page_load"}}\n\n'
    chunks = [frame[i : i + 1500] for i in range(0, len(frame), 1500)] + [small]
    session = telemetry_lab.read_sse(iter(chunks))
    assert session.frame("monitor_screenshot")["png"][0] == png
    assert session.frame("page_load")["seq"].tolist() == [2]


def test_an_sse_id_disagreeing_with_its_seq_is_reported_and_the_event_kept() -> None:
    lines = (DATA / "shop.ndjson").read_bytes().splitlines()[:3]
    frames = b"".join(b"id: %d\ndata: %s\n\n" % (frame_id, line)
                      for frame_id, line in zip([1, 7, 3], lines, strict=True))
    session = telemetry_lab.read_sse(frames)
    assert len(session) == 3 and session.errors.empty and session.gaps.empty
    assert session.warnings[["position", "seq"]].values.tolist() == [[2, 2]]
    assert session.warnings["reason"][0] == (
        "SSE id 7 disagrees with the envelope's seq 2; the event is kept under its seq"
    )
    assert session.slice().warnings.equals(session.warnings)
