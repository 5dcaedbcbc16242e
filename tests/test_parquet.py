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
    """The sample plus a gap, a skipped seq, a duplicate, an error, a warning (an id that
    disagrees with its seq) and an unknown type."""
    sample = telemetry_lab.datasets.sample_path("sse").read_bytes()
    extra = [envelope(300, 1.0, "page_load", None), envelope(300, 1.0, "page_load", None),
             envelope(302, 3.0, "future_event", {"k": [1, 2]})]
    tail = b"".join(b"id: %d\ndata: %s\n\n" % (e["seq"], line)
                    for e, line in zip(extra, ndjson(extra).splitlines(), strict=True))
    return telemetry_lab.read_sse(sample + tail + b"id: 301\n\nid: 303\ndata: {nope\n\n"
                                  b"id: 7\ndata: " + ndjson([envelope(304, 4.0, "page_load", None)])
                                  + b"\n")


def test_round_trip_is_exact(messy: telemetry_lab.Session, tmp_path: Path) -> None:
    assert len(messy.errors) == 1 and len(messy.duplicates) == 1 and len(messy.warnings) == 1
    assert messy.gaps[["start", "end"]].values.tolist() == [[249, 299], [303, 303]]
    back = telemetry_lab.read_parquet(messy.to_parquet(tmp_path / "s"))
    assert back.types == messy.types
    for name in messy.types:
        assert back.table(name).equals(messy.table(name)), name
        assert back.frame(name).dtypes.equals(messy.frame(name).dtypes)
        assert back.frame(name).equals(messy.frame(name))
    for attribute in ("gaps", "errors", "duplicates", "skipped", "warnings"):
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


def hostile() -> telemetry_lab.Session:
    """Event types named like paths: ``../../x``, ``.hidden``, ``a/b``, ``%2E``."""
    names = ["../../x", ".hidden", "a/b", "%2E", "page_load"]
    return telemetry_lab.read_ndjson(ndjson([envelope(i, float(i), name, {"k": i})
                                             for i, name in enumerate(names, start=1)]))


def test_type_names_never_write_outside_the_folder(tmp_path: Path) -> None:
    session = hostile()
    root = tmp_path / "deep" / "er" / "s"
    session.to_parquet(root)
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file() and p.parent != root) == []
    assert len(list(root.glob("*.parquet"))) == 5
    back = telemetry_lab.read_parquet(root)
    assert back.types == session.types
    for name in session.types:
        assert back.table(name).equals(session.table(name)), name
    telemetry_lab.write_dataset({"a": session, "b": session}, tmp_path / "ds")
    across = telemetry_lab.read_dataset(tmp_path / "ds", "../../x")
    assert across["session"].tolist() == ["a", "b"] and across["seq"].tolist() == [1, 1]


def test_to_parquet_never_deletes_files_it_did_not_write(tmp_path: Path) -> None:
    root = tmp_path / "s"
    root.mkdir()
    mine = root / "notes.parquet"
    mine.write_bytes(b"someone else's")
    (root / "page_load.parquet").write_bytes(b"not ours either")
    session = telemetry_lab.load_sample()
    session.to_parquet(root)
    assert mine.read_bytes() == b"someone else's"
    one = telemetry_lab.Session({"page_load": session.table("page_load")})
    one.to_parquet(root)
    assert mine.read_bytes() == b"someone else's"
    assert sorted(p.name for p in root.iterdir()) == ["_session.json", "notes.parquet",
                                                       "page_load.parquet"]


@pytest.mark.parametrize("damage", ["missing", "corrupt", "meta"])
def test_a_missing_or_corrupt_file_is_an_error_naming_it(tmp_path: Path, damage: str) -> None:
    root = telemetry_lab.load_sample().to_parquet(tmp_path / "s")
    victim = root / ("_session.json" if damage == "meta" else "page_lcp.parquet")
    if damage == "missing":
        victim.unlink()
    else:
        victim.write_bytes(victim.read_bytes()[: len(victim.read_bytes()) // 2])
    with pytest.raises(TelemetryLabError, match=str(victim)):
        telemetry_lab.read_parquet(root)


def test_write_dataset_takes_recordings_and_never_overwrites(tmp_path: Path) -> None:
    recording = telemetry_lab.datasets.sample_path("sse")
    root = telemetry_lab.write_dataset({"sse": recording, "session": telemetry_lab.load_sample()},
                                       tmp_path)
    back = telemetry_lab.read_parquet(root / "session=sse")
    assert back.frame("page_lcp").equals(telemetry_lab.read(recording).frame("page_lcp"))
    before = (root / "session=sse" / "_session.json").read_text()
    with pytest.raises(TelemetryLabError, match=r"already exists.*never overwritten silently"):
        telemetry_lab.write_dataset({"new": recording, "sse": recording}, root)
    assert not (root / "session=new").exists()
    assert (root / "session=sse" / "_session.json").read_text() == before
    telemetry_lab.write_dataset({"sse": recording}, root, overwrite=True)
    telemetry_lab.write_dataset([recording], root)
    assert (root / "session=shop").is_dir()
    with pytest.raises(TelemetryLabError, match="more than once"):
        telemetry_lab.write_dataset([recording, recording], tmp_path / "other")
    with pytest.raises(TelemetryLabError, match="cannot be a folder name"):
        telemetry_lab.write_dataset({"../up": recording}, tmp_path / "other")
