"""Parquet: exact round trip, and the layout read without telemetry_lab."""

from __future__ import annotations

import glob
import json
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pytest
from envelopes import envelope, ndjson

import telemetry_lab
from telemetry_lab.errors import TelemetryLabError


@pytest.fixture(scope="module")
def messy() -> telemetry_lab.Session:
    """The sample plus a gap, a skipped seq, a duplicate, an error, an unknown type and a seq
    that went back (a warning)."""
    sample = telemetry_lab.datasets.sample_path("sse").read_bytes()
    extra = [envelope(300, 1.0, "page_load", None), envelope(300, 1.0, "page_load", None),
             envelope(302, 3.0, "future_event", {"k": [1, 2]}), envelope(1, 4.0, "page_load", None)]
    tail = b"".join(b"id: %d\ndata: %s\n\n" % (e["seq"], line)
                    for e, line in zip(extra, ndjson(extra).splitlines(), strict=True))
    return telemetry_lab.read_sse(sample + tail + b"id: 301\n\nid: 303\ndata: {nope\n\n")


def test_round_trip_is_exact(messy: telemetry_lab.Session, tmp_path: Path) -> None:
    assert len(messy.errors) == 1 and len(messy.duplicates) == 1 and len(messy.warnings) == 1
    assert messy.gaps[["start", "end"]].values.tolist() == [[249, 299], [303, 303]]
    back = telemetry_lab.read_parquet(messy.to_parquet(tmp_path / "s"))
    assert back.types == messy.types
    for name in messy.types:
        assert back.table(name).equals(messy.table(name)), name
        assert back.frame(name).dtypes.equals(messy.frame(name).dtypes)
        assert back.frame(name).equals(messy.frame(name))
    for attribute in ("gaps", "errors", "duplicates", "warnings", "skipped"):
        assert getattr(back, attribute).equals(getattr(messy, attribute)), attribute
    assert back.source == messy.source
    assert back.summary() == messy.summary()


def test_rewriting_a_directory_removes_stale_types(tmp_path: Path) -> None:
    telemetry_lab.load_sample().to_parquet(tmp_path)
    small = telemetry_lab.read_ndjson(ndjson([envelope(1, 0.0, "page_load", None)]))
    small.to_parquet(tmp_path)
    assert telemetry_lab.read_parquet(tmp_path).types == ["page_load"]
    assert sorted(p.name for p in tmp_path.glob("*.parquet")) == ["page_load.parquet"]


def test_plain_pyarrow_and_duckdb_read_the_layout(tmp_path: Path) -> None:
    sample = telemetry_lab.load_sample()
    telemetry_lab.write_dataset({"a": sample, "b": sample.slice(end=sample.time_range[1])},
                                tmp_path)
    files = glob.glob(str(tmp_path / "session=*" / "network_request.parquet"))
    table = ds.dataset(files, format="parquet", partitioning="hive",
                       partition_base_dir=str(tmp_path)).to_table()
    assert table.num_rows == 202
    assert set(table["session"].to_pylist()) == {"a", "b"}
    assert table.schema.field("headers").type == telemetry_lab.SCHEMAS["network_request"].field(
        "headers").type
    rows = duckdb.sql(
        f"SELECT session, count(*) AS n, count(DISTINCT request_id) AS ids "
        f"FROM read_parquet('{tmp_path}/*/network_request.parquet', hive_partitioning = true) "
        "GROUP BY session ORDER BY session"
    ).fetchall()
    assert rows == [("a", 101, 100), ("b", 101, 100)]
    lcp = duckdb.sql(f"SELECT max(lcp_size) FROM '{tmp_path}/session=a/page_lcp.parquet'")
    assert lcp.fetchall() == [(float(sample.frame("page_lcp")["lcp_size"].max()),)]
    meta = json.loads((tmp_path / "session=a" / "_session.json").read_text())
    assert meta["types"]["network_request"] == 101


def test_read_dataset_gives_one_frame_with_a_session_column(tmp_path: Path) -> None:
    sample = telemetry_lab.load_sample()
    telemetry_lab.write_dataset({"x": sample, "y": sample}, tmp_path)
    frame = telemetry_lab.read_dataset(tmp_path, "page_lcp")
    assert list(frame.columns) == ["session", *telemetry_lab.SCHEMAS["page_lcp"].names]
    assert frame.groupby("session").size().to_dict() == {"x": 5, "y": 5}
    with pytest.raises(TelemetryLabError, match="no 'page_crashed' files"):
        telemetry_lab.read_dataset(tmp_path, "page_crashed")


def test_reading_a_folder_that_is_not_a_session_says_what_it_is(tmp_path: Path) -> None:
    with pytest.raises(TelemetryLabError, match=r"write one with session\.to_parquet"):
        telemetry_lab.read_parquet(tmp_path)
    telemetry_lab.write_dataset({"a": telemetry_lab.load_sample()}, tmp_path)
    with pytest.raises(TelemetryLabError, match="folder of sessions"):
        telemetry_lab.read_parquet(tmp_path)
