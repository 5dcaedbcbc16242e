"""Charts of telemetry_lab.charts.vitals, tested by their data."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest
from envelopes import Recording

import telemetry_lab
from telemetry_lab.charts.theme import MUTED, RATING_COLORS, SEQUENCE, UNRATED
from telemetry_lab.charts.vitals import plot_layout_shifts, plot_lcp_candidates, plot_vitals
from telemetry_lab.metrics.vitals import layout_shifts, lcp_candidates, vitals


@pytest.fixture(scope="module")
def shop() -> telemetry_lab.Session:
    return telemetry_lab.load_sample()


def test_scorecards_colour_each_metric_by_rating(shop: telemetry_lab.Session) -> None:
    fig = plot_vitals(vitals(shop))
    assert isinstance(fig, go.Figure)
    assert list(fig.layout.template.layout.colorway) == list(SEQUENCE)
    heat = fig.data[0]
    assert list(heat.x) == ["LCP", "CLS", "Response (not INP)"]
    assert len(heat.y) == 3 and heat.y[1].endswith("#2 /shop/product/trail-runner-2")
    # LCP and CLS good; the response is shown but never rated; the cart page has no input
    assert heat.z.tolist() == [[0, 0, 4], [0, 0, 4], [0, 0, 3]]
    assert heat.text[1].tolist() == ["513 ms", "0.054", "908 ms"]
    assert heat.text[2][2] == "n/a"
    legend = {t.name: t.marker.color for t in fig.data[1:]}
    assert legend == {**RATING_COLORS, "not measured": MUTED, "not rated": UNRATED}
    assert "INP" not in fig.layout.title.text
    assert fig.layout.yaxis.type == "category"


def test_layout_shift_bars_by_window_with_excluded_and_winner(
    shop: telemetry_lab.Session,
) -> None:
    fig = plot_layout_shifts(layout_shifts(shop))
    names = [t.name for t in fig.data]
    assert names == ["#1 window 1", "#2 window 1", "excluded: recent input"]
    assert all(isinstance(t, go.Bar) for t in fig.data)
    excluded = fig.data[2]
    assert excluded.marker.color == MUTED and excluded.marker.pattern.shape == "/"
    assert list(fig.data[1].y) == pytest.approx([0.05412019570668538])
    shaded = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(shaded) == 2
    assert any("CLS #2: 0.0541" in a.text for a in fig.layout.annotations)
    assert fig.layout.xaxis.title.text == "ms after navigation start"


def test_lcp_candidates_mark_final_and_first_input(shop: telemetry_lab.Session) -> None:
    candidates = lcp_candidates(shop)
    fig = plot_lcp_candidates(candidates)
    by_name = {t.name: t for t in fig.data}
    assert list(by_name) == ["#1", "#2", "#3", "LCP", "not counted"]
    assert list(by_name["LCP"].text) == ["#hero", "#main-image", candidates["element"].iloc[4]]
    assert by_name["LCP"].marker.symbol == "star"
    assert list(by_name["not counted"].text) == ["superseded", "superseded"]
    assert by_name["#1"].line.shape == "hv"
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert sorted(round(s.x0) for s in lines) == [1423, 4800]  # nav 3 has no input


def test_charts_accept_empty_frames() -> None:
    rec = Recording()
    rec.navigate(0, 1, request_ms=0)
    session = rec.session()
    assert [t.name for t in plot_layout_shifts(layout_shifts(session)).data] == []
    assert plot_lcp_candidates(lcp_candidates(session)).data[0].name == "LCP"
    fig = plot_vitals(vitals(session))
    assert fig.data[0].z.tolist() == [[3, 0, 3]]
    assert list(fig.layout.template.layout.colorway) == list(SEQUENCE)
