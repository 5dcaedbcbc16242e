"""Session: frames, counts, events, gaps, skipped, errors, duplicates, repr, slicing."""

from __future__ import annotations

import pandas as pd
import pytest
from envelopes import envelope, ndjson

import telemetry_lab
from telemetry_lab.errors import EventTypeNotFound
from telemetry_lab.schema import CONTEXT, SCHEMAS


@pytest.fixture(scope="module")
def shop() -> telemetry_lab.Session:
    return telemetry_lab.load_sample()


def test_every_frame_is_arrow_backed_with_design_column_order(shop: telemetry_lab.Session) -> None:
    context = [name for name, _, _ in CONTEXT]
    for name in shop.types:
        frame = shop.frame(name)
        assert all(isinstance(dtype, pd.ArrowDtype) for dtype in frame.dtypes), name
        assert list(frame.columns[:6]) == ["seq", "ts", "type", "category", "source_kind",
                                           "source_event"]
        assert list(frame.columns[6:13]) == context
        assert list(frame.columns[-2:]) == ["truncated", "extra"]
        assert list(frame.columns) == SCHEMAS[name].names
        assert frame["seq"].is_monotonic_increasing
        assert (frame["type"] == name).all()


def test_counts_per_type_and_category(shop: telemetry_lab.Session) -> None:
    counts = shop.counts.set_index("type")["events"]
    assert counts["network_request"] == 101
    assert counts["network_response"] == 95
    assert counts["interaction_click"] == 5
    assert counts.sum() == len(shop) == 248
    by_category = shop.category_counts
    assert by_category["network"] == 101 + 95 + 2 + 3
    assert by_category["screenshot"] == 4
    assert list(shop.counts["category"].unique()[:2]) == ["console", "network"]


def test_events_is_one_long_table_by_seq(shop: telemetry_lab.Session) -> None:
    events = shop.events
    assert events["seq"].tolist() == list(range(1, 249))
    assert list(events.columns) == [f.name for f in SCHEMAS["page_load"]][:13]
    assert events["type"].value_counts()["page_lcp"] == 5


def test_time_range(shop: telemetry_lab.Session) -> None:
    assert shop.time_range is not None
    start, end = shop.time_range
    assert start == pd.Timestamp(1796018033868025, unit="us", tz="UTC")
    assert end > start
    assert telemetry_lab.read(b"").time_range is None


def test_absent_type_error_lists_the_types_present(shop: telemetry_lab.Session) -> None:
    with pytest.raises(EventTypeNotFound) as info:
        shop.frame("page_crashed")
    message = str(info.value)
    assert "no 'page_crashed' events" in message
    assert "network_request" in message and "allow_missing=True" in message
    with pytest.raises(KeyError, match="not a Kernel event type"):
        shop.frame("not_a_type")
    empty = shop.frame("page_crashed", allow_missing=True)
    assert empty.empty and list(empty.columns) == SCHEMAS["page_crashed"].names


def test_gaps_skipped_and_errors() -> None:
    rows = [envelope(s, float(s), "page_load", None) for s in (1, 2, 5, 9, 10)]
    sse = b"".join(b"id: %d\ndata: %s\n\n" % (r["seq"], line)
                   for r, line in zip(rows, ndjson(rows).splitlines(), strict=True))
    sse += b"id: 3\n\n"  # the server skipped 3
    sse += b"id: 7\ndata: {broken\n\n"  # 7 arrived but cannot be decoded: its event is missing
    session = telemetry_lab.read_sse(sse)
    assert session.skipped.tolist() == [3]
    assert session.gaps.to_dict("records") == [
        {"start": 4, "end": 4, "missing": 1},
        {"start": 6, "end": 8, "missing": 3},
    ]
    [error] = session.errors.to_dict("records")
    assert (error["seq"], error["position"]) == (7, 7)
    assert error["reason"].startswith("invalid JSON")


def test_empty_input_gives_an_empty_session() -> None:
    for data in (b"", b"\n\n", b": keepalive\n\n"):
        session = telemetry_lab.read(data)
        assert len(session) == 0 and session.types == []
        assert session.gaps.empty and session.errors.empty
        assert "empty session" in session.summary()
        assert session.events.empty


def test_summary_and_reprs(shop: telemetry_lab.Session) -> None:
    text = shop.summary()
    assert text.startswith("248 events of 18 types, seq 1–248")
    assert "network" in text and "network_request 101" in text
    assert "gaps: 0" in text and "errors: 0" in text
    assert repr(shop).startswith("<Session 248 events")
    html = shop._repr_html_()
    assert "<table" in html and "network_request" in html and "101" in html


def test_summary_reports_gaps_and_errors() -> None:
    data = ndjson([envelope(1, 0, "page_load", None), envelope(4, 1, "page_load", None)])
    session = telemetry_lab.read_ndjson(data + b"{oops\n")
    text = session.summary()
    assert "gaps: 1 (2 seqs missing): 2–3" in text
    assert "errors: 1" in text and "at 3 (seq None): invalid JSON" in text
    assert "invalid JSON" in session._repr_html_()


def test_slice_by_time(shop: telemetry_lab.Session) -> None:
    assert shop.time_range is not None
    start, end = shop.time_range
    middle = start + (end - start) / 2
    first, second = shop.slice(end=middle), shop.slice(start=middle)
    assert len(first) + len(second) == len(shop)
    assert first.events["ts"].max() < middle <= second.events["ts"].min()
    assert len(shop.slice(start, end + pd.Timedelta(1, "us"))) == len(shop)


def test_getitem_and_contains(shop: telemetry_lab.Session) -> None:
    assert "page_lcp" in shop and "page_crashed" not in shop
    assert shop["page_lcp"].equals(shop.frame("page_lcp"))
