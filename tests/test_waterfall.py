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
    assert list(fig.layout.yaxis.range) == [len(reqs) - 0.5, -0.5]  # first request on top
    assert all(t.width == 0.7 for t in fig.data if t.type == "bar")  # one row thick, always
    bars = [t for t in fig.data if t.type == "bar" and t.name != "pending"]
    assert [t.name for t in bars] == ["Document", "Stylesheet", "Script", "Font", "Image",
                                      "Fetch", "Ping"]
    assert bars[2].marker.color == RESOURCE_TYPE_COLORS["Script"]
    assert bars[-1].marker.color == RESOURCE_TYPE_COLORS["Other"]
    finished = reqs[reqs["end"].notna() & reqs["start"].notna()]
    assert sum(len(t.y) for t in bars) == len(finished)
    rows = np.concatenate([t.y for t in fig.data if t.type == "bar"])
    assert sorted(rows.tolist()) == list(range(len(reqs)))


def test_bars_run_from_start_to_end_on_one_time_axis(reqs: pd.DataFrame) -> None:
    fig = plot_waterfall(reqs)
    assert fig.layout.xaxis.title.text == "ms from first navigation start"
    image = _trace(fig, "Image")
    ordered = reqs.sort_values(["start", "end"], kind="stable").reset_index(drop=True)
    row = ordered.iloc[int(image.y[0])]
    nav_offset = (row["start"] - ordered["start"].iloc[0]).total_seconds() * 1e3 - row[
        "start_ms"]
    assert image.base[0] == pytest.approx(row["start_ms"] + nav_offset, abs=1e-3)
    assert image.x[0] == pytest.approx(row["duration_ms"], abs=1e-3)
    assert image.customdata[0][0] == row["url"]


def test_pending_requests_are_hatched_to_the_end_of_their_navigation(
    session: telemetry_lab.Session, reqs: pd.DataFrame,
) -> None:
    navs = navigations(session)
    one = reqs[reqs["nav_seq"] == 2]
    fig = plot_waterfall(one, navigations=navs)
    assert fig.layout.xaxis.title.text == "ms from navigation start"
    pending = _trace(fig, "pending")
    assert pending.marker.pattern.shape == "/"
    nav = navs[navs["nav_seq"] == 2].iloc[0]
    doc = one[one["outcome"] == "pending"].iloc[0]
    assert len(pending.y) == 1 and pending.base[0] == pytest.approx(doc["start_ms"])
    end_ms = (nav["end"] - nav["start"]).total_seconds() * 1e3
    assert pending.base[0] + pending.x[0] == pytest.approx(end_ms, abs=1e-3)
    assert "pending" in pending.customdata[0][1]
    whole = plot_waterfall(reqs, capture_end=nav["end"] + pd.Timedelta(seconds=10))
    stop = (nav["end"] + pd.Timedelta(seconds=10) - navs["start"].min()).total_seconds() * 1e3
    ends = _trace(whole, "pending").base + _trace(whole, "pending").x
    assert np.allclose(ends, stop)


def test_failures_are_marked_with_their_reason(reqs: pd.DataFrame) -> None:
    fig = plot_waterfall(reqs)
    marks = _trace(fig, "failed / HTTP error")
    assert marks.marker.color == FAILURE_COLOR and marks.marker.symbol == "x"
    reasons = sorted(row[1] for row in marks.customdata)
    assert reasons == ["404 Not Found", "canceled: net::ERR_ABORTED",
                       "failed: net::ERR_BLOCKED_BY_ORB"]


def test_markers_for_milestones_lcp_and_layout_shifts(
    session: telemetry_lab.Session, reqs: pd.DataFrame,
) -> None:
    navs = navigations(session)
    fig = plot_waterfall(reqs, navigations=navs, vitals=vitals(session),
                         layout_shifts=layout_shifts(session))
    names = [t.name for t in fig.data if t.type == "scatter" and t.mode == "lines"]
    assert names == ["navigation start", "DOMContentLoaded", "load", "LCP", "layout shift"]
    load = _trace(fig, "load")
    first = navs["start"].min()
    want = [(s - first).total_seconds() * 1e3 + ms
            for s, ms in zip(navs["start"], navs["load_ms"], strict=True)]
    assert list(load.x[::3]) == pytest.approx(want, abs=1e-3)
    assert list(load.y[:2]) == [-0.5, len(reqs) - 0.5] and load.x[2] is None
    shifts = _trace(fig, "layout shift")
    assert len(shifts.x) == 3 * len(layout_shifts(session))
    assert any("not counted: recent input" in text for text in shifts.text)
    only_two = plot_waterfall(reqs[reqs["nav_seq"] == 2], navigations=navs,
                              vitals=vitals(session))
    assert len(_trace(only_two, "LCP").x) == 3


def test_labels_only_for_small_waterfalls(reqs: pd.DataFrame) -> None:
    small = plot_waterfall(reqs.head(10))
    assert list(small.layout.yaxis.ticktext)[:3] == ["shop", "fonts.css", "app.css"]
    big = plot_waterfall(reqs, max_labels=50)
    assert big.layout.yaxis.showticklabels is False


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


def test_five_thousand_requests_stay_a_few_traces(reqs: pd.DataFrame) -> None:
    copies = []
    for i in range(50):
        copy = reqs.copy()
        copy["nav_seq"] = copy["nav_seq"] + 3 * i
        for column in ("start", "end"):
            copy[column] = copy[column] + pd.Timedelta(seconds=15 * i)
        copies.append(copy)
    many = pd.concat(copies, ignore_index=True)
    assert len(many) == 5050
    fig = plot_waterfall(many)
    assert len(fig.data) <= 12
    assert sum(len(t.y) for t in fig.data if t.type == "bar") == len(many)
    assert fig.layout.yaxis.showticklabels is False
