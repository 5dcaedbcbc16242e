"""plot_waterfall: traces, bars, pending and failure styles, markers, hover, scale."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from envelopes import Recording

import telemetry_lab
from telemetry_lab.charts.theme import FAILURE_COLOR, RESOURCE_TYPE_COLORS, TEMPLATE_NAME
from telemetry_lab.charts.waterfall import plot_waterfall
from telemetry_lab.metrics.navigations import navigations
from telemetry_lab.metrics.network import requests
from telemetry_lab.metrics.vitals import layout_shifts, vitals

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def session() -> telemetry_lab.Session:
    return telemetry_lab.read(DATA / "shop.ndjson")


@pytest.fixture(scope="module")
def reqs(session: telemetry_lab.Session) -> pd.DataFrame:
    return requests(session)


def _trace(fig: go.Figure, name: str) -> go.Bar | go.Scatter:
    return next(t for t in fig.data if t.name == name)


def test_one_bar_trace_per_resource_type_in_devtools_colours(reqs: pd.DataFrame) -> None:
    fig = plot_waterfall(reqs)
    assert fig.layout.template.layout.font.family == pio.templates[TEMPLATE_NAME].layout.font.family
    bottom, top = fig.layout.yaxis.range  # first request on top, room above for marker names
    assert bottom == len(reqs) - 0.5 and top < -0.5
    assert all(t.width == 0.7 for t in fig.data if t.type == "bar")  # one row thick, always
    bars = [t for t in fig.data if t.type == "bar"
            and t.name not in ("pending", "document (estimated)")]
    assert [t.name for t in bars] == ["Document", "Stylesheet", "Script", "Font", "Image",
                                      "Fetch", "Ping"]
    assert bars[2].marker.color == RESOURCE_TYPE_COLORS["Script"]
    assert bars[-1].marker.color == RESOURCE_TYPE_COLORS["Other"]
    finished = reqs[reqs["end"].notna() & reqs["start"].notna()
                    & ~reqs["end_source"].str.startswith("estimated")]
    assert sum(len(t.y) for t in bars) == len(finished)
    rows = np.concatenate([t.y for t in fig.data if t.type == "bar"])
    assert sorted(rows.tolist()) == list(range(len(reqs)))


def test_bars_run_from_start_to_end_on_one_time_axis(reqs: pd.DataFrame) -> None:
    fig = plot_waterfall(reqs)
    assert fig.layout.xaxis.title.text == "ms from first navigation start"
    image = _trace(fig, "Image")
    ordered = reqs.sort_values(["nav_start", "start", "end"], kind="stable").reset_index(
        drop=True)
    row = ordered.iloc[int(image.y[0])]
    nav_offset = (row["start"] - ordered["start"].iloc[0]).total_seconds() * 1e3 - row[
        "start_ms"]
    assert image.base[0] == pytest.approx(row["start_ms"] + nav_offset, abs=1e-3)
    assert image.x[0] == pytest.approx(row["duration_ms"], abs=1e-3)
    assert image.customdata[0][0] == row["url"]


def test_documents_end_at_their_estimate_and_pending_requests_are_hatched(
    session: telemetry_lab.Session, reqs: pd.DataFrame,
) -> None:
    navs = navigations(session)
    one = reqs[reqs["nav_seq"] == 2]
    fig = plot_waterfall(one, navigations=navs)
    assert fig.layout.xaxis.title.text == "ms from navigation start"
    estimated = _trace(fig, "document (estimated)")
    nav = navs[navs["nav_seq"] == 2].iloc[0]
    doc = one[one["end_source"] == "estimated_dcl"].iloc[0]
    assert len(estimated.y) == 1 and estimated.base[0] == pytest.approx(doc["start_ms"])
    assert estimated.base[0] + estimated.x[0] == pytest.approx(nav["dom_content_loaded_ms"])
    assert estimated.marker.pattern.shape == "." and estimated.marker.opacity == 0.5
    assert estimated.customdata[0][1].startswith("estimated: no response in the stream")
    assert "first byte within 108 ms of the request" in estimated.customdata[0][1]
    assert estimated.customdata[0][5].startswith("≤ ")
    first_byte = _trace(fig, "first byte by")
    assert list(first_byte.x) == pytest.approx([nav["ttfb_upper_ms"]])
    assert list(first_byte.y) == list(estimated.y)
    assert all(t.name != "pending" for t in fig.data)
    late = reqs.copy()
    cut = (late["request_id"] == "11610.102").to_numpy()  # as if still in flight at the end
    late.loc[cut, ["end", "end_ms", "duration_ms"]] = None
    late.loc[cut, ["outcome", "end_source"]] = "pending"
    end = nav["end"] + pd.Timedelta(seconds=10)
    pending = _trace(plot_waterfall(late, capture_end=end), "pending")
    assert pending.marker.pattern.shape == "/" and len(pending.y) == cut.sum() == 1
    stop = (end - navs["start"].min()).total_seconds() * 1e3
    assert np.allclose(pending.base + pending.x, stop)
    assert "pending" in pending.customdata[0][1]


def test_failures_are_marked_with_their_reason(reqs: pd.DataFrame) -> None:
    fig = plot_waterfall(reqs)
    marks = _trace(fig, "failed / HTTP error")
    assert marks.marker.color == FAILURE_COLOR and marks.marker.symbol == "x"
    reasons = sorted(row[1] for row in marks.customdata)
    assert reasons == ["404 Not Found", "canceled: net::ERR_ABORTED",
                       "failed: net::ERR_BLOCKED_BY_ORB"]


def test_markers_span_their_navigation_and_are_named(
    session: telemetry_lab.Session, reqs: pd.DataFrame,
) -> None:
    navs = navigations(session)
    fig = plot_waterfall(reqs, navigations=navs, vitals=vitals(session),
                         layout_shifts=layout_shifts(session),
                         interactions=telemetry_lab.interactions(session))
    names = [t.name for t in fig.data if t.type == "scatter" and t.mode == "lines"]
    assert names == ["navigation start", "DOMContentLoaded", "load", "LCP", "layout shift",
                     "click", "key"]
    load = _trace(fig, "load")
    first = navs["start"].min()
    want = [(s - first).total_seconds() * 1e3 + ms
            for s, ms in zip(navs["start"], navs["load_ms"], strict=True)]
    assert list(load.x[::3]) == pytest.approx(want, abs=1e-3)
    per_nav = reqs.groupby("nav_seq").size().tolist()
    assert list(load.y[:2]) == [-0.5, per_nav[0] - 0.5] and load.x[2] is None
    assert list(load.y[3:5]) == [per_nav[0] - 0.5, per_nav[0] + per_nav[1] - 0.5]
    lcp = _trace(fig, "LCP")
    assert (lcp.line.color, lcp.line.dash) != (load.line.color, load.line.dash)
    notes = {(a.text, a.x): a for a in fig.layout.annotations if a.text in ("load", "LCP")}
    assert len(notes) == 6
    for x_load, x_lcp in zip(load.x[::3], lcp.x[::3], strict=True):
        a, b = notes[("load", x_load)], notes[("LCP", x_lcp)]
        assert a.y == b.y and a.yshift != b.yshift  # close lines: their names are stacked
    shifts = _trace(fig, "layout shift")
    assert len(shifts.x) == 3 * len(layout_shifts(session))
    assert any("not counted: recent input" in text for text in shifts.text)
    clicks, keys = _trace(fig, "click"), _trace(fig, "key")
    assert (len(clicks.x) // 3, len(keys.x) // 3) == (5, 2)
    assert any("#reviews-more" in text for text in clicks.text)
    only_two = plot_waterfall(reqs[reqs["nav_seq"] == 2], navigations=navs,
                              vitals=vitals(session))
    assert len(_trace(only_two, "LCP").x) == 3


def test_lcp_resource_row_is_starred_and_tied_to_the_lcp_line(
    session: telemetry_lab.Session, reqs: pd.DataFrame,
) -> None:
    v = vitals(session)
    fig = plot_waterfall(reqs[reqs["nav_seq"] == 2], vitals=v)
    link = _trace(fig, "LCP resource")
    row = int(link.y[0])
    label = fig.layout.yaxis.ticktext[row]
    assert label.startswith("<b>★ ") and "main_480.png" in label
    lcp_ms = v.loc[v["nav_seq"] == 2, "lcp_ms"].item()
    assert link.x[1] == pytest.approx(lcp_ms) and link.marker.symbol[1] == "star"
    assert link.line.color == _trace(fig, "LCP").line.color
    assert sum(t.startswith("<b>★") for t in fig.layout.yaxis.ticktext) == 1


def test_rows_have_unique_readable_labels_and_navigation_bands(
    session: telemetry_lab.Session, reqs: pd.DataFrame,
) -> None:
    navs = navigations(session)
    fig = plot_waterfall(reqs, navigations=navs)
    labels = list(fig.layout.yaxis.ticktext)
    assert len(labels) == len(set(labels)) == len(reqs)
    assert labels[:2] == ["127.0.0.1:36621/shop/", "127.0.0.4:36621/cdn/css/fonts.css"]
    cards = [t for t in labels if "card_570.png" in t]
    assert len(cards) == 28 and all(t.startswith("127.0.0.4:36621/cdn/img/p/NW-1") for t in cards)
    assert all(t.endswith("?…") or "?" not in t or "#" in t or "=" in t for t in labels)
    bands = [s for s in fig.layout.shapes if s.type == "rect"]
    per_nav = reqs.groupby("nav_seq").size().tolist()
    assert [b.y0 + 0.5 for b in bands] == [0, per_nav[0], per_nav[0] + per_nav[1]]
    names = [a.text for a in fig.layout.annotations if a.text.startswith("nav ")]
    assert names == ["nav 1 · /shop/", "nav 2 · /shop/product/trail-runner-2",
                     "nav 3 · /shop/cart"]
    one = plot_waterfall(reqs[reqs["nav_seq"] == 1], navigations=navs)
    assert not one.layout.shapes


def test_start_not_seen_and_empty_input() -> None:
    rec = Recording()
    rec.navigate(10, 1, url="https://a.test/", request_ms=0)
    rec.page(30, "network_response", 1, request_id="late", url="https://a.test/x.js",
             status=200, resource_type="Script")
    fig = plot_waterfall(requests(rec.session()))
    late = _trace(fig, "start not seen")
    assert list(late.x) == [30] and late.customdata[0][4] == "not seen"
    empty = plot_waterfall(requests(rec.session()).iloc[:0])
    assert empty.layout.template is not None and len(empty.data) == 0
    assert [a.text for a in empty.layout.annotations] == ["no requests"]
    assert empty.layout.xaxis.visible is False


def test_five_thousand_requests_stay_a_few_traces(reqs: pd.DataFrame) -> None:
    copies = []
    for i in range(50):
        copy = reqs.copy()
        copy["nav_seq"] = copy["nav_seq"] + 3 * i
        for column in ("start", "end", "nav_start"):
            copy[column] = copy[column] + pd.Timedelta(seconds=15 * i)
        copies.append(copy)
    many = pd.concat(copies, ignore_index=True)
    assert len(many) == 5050
    fig = plot_waterfall(many)
    assert len(fig.data) <= 12
    assert sum(len(t.y) for t in fig.data if t.type == "bar") == len(many)
    labels = list(fig.layout.yaxis.ticktext)
    assert len(labels) == len(set(labels)) == len(many)  # every row labelled, at a fixed height
    assert fig.layout.height == 18 * (len(many) + 3) + 150 + 60 + 30
    assert fig.layout.xaxis2.side == "top" and fig.layout.xaxis2.matches == "x"
