"""Charts of telemetry_lab.charts.vitals, tested by their data."""

from __future__ import annotations

import pandas as pd
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
    assert [x.split("<br>")[0] for x in heat.x] == ["LCP", "CLS", "Response (not INP)"]
    assert heat.x[0].endswith("good ≤ 2,500 ms · poor > 4,000 ms</sub>")
    assert "good ≤ 0.100 · poor > 0.250" in heat.x[1]
    assert heat.x[2].endswith("not rated</sub>")
    assert list(heat.y) == ["nav 1 · /shop/", "nav 2 · /shop/product/trail-runner-2",
                            "nav 3 · /shop/cart"]
    # LCP and CLS good; the response is shown but never rated; the cart page has no input
    assert heat.z.tolist() == [[0, 0, 4], [0, 0, 4], [0, 0, 3]]
    assert heat.text[1].tolist() == ["513 ms", "0.054", "908 ms"]
    assert heat.text[2][2] == "n/a"
    assert heat.customdata[0][0] == "1,133 ms: good (good ≤ 2,500 ms · poor > 4,000 ms)"
    assert heat.customdata[1][2] == "908 ms: not rated (not rated)"
    assert heat.customdata[2][2] == "not measured in this navigation"
    assert "%{customdata}" in heat.hovertemplate
    legend = {t.name: t.marker.color for t in fig.data[1:]}
    assert legend == {**RATING_COLORS, "not measured": MUTED, "not rated": UNRATED}
    assert "INP" not in fig.layout.title.text
    assert fig.layout.yaxis.type == "category"


def test_scorecard_rows_stay_unique_across_sessions_and_runs(
    shop: telemetry_lab.Session,
) -> None:
    one = vitals(shop)
    again = one.assign(start=one["start"] + pd.Timedelta(minutes=5))
    same_browser = plot_vitals(pd.concat([one, again], ignore_index=True))
    labels = list(same_browser.data[0].y)
    assert len(set(labels)) == 6
    assert labels[0].startswith("nav 1 · /shop/ · ") and labels[0] != labels[3]
    other_tab = one.assign(target_id="AAAA0000" + one["target_id"].str.slice(8))
    tabs = list(plot_vitals(pd.concat([one, other_tab], ignore_index=True)).data[0].y)
    assert (tabs[0], tabs[3]) == ("nav 1 · /shop/ · tab 854EAD", "nav 1 · /shop/ · tab AAAA00")
    assert len(set(tabs)) == 6
    named = pd.concat([one.assign(session="run-a"), one.assign(session="run-b")],
                      ignore_index=True)
    assert list(plot_vitals(named).data[0].y)[::3] == ["run-a · nav 1 · /shop/",
                                                      "run-b · nav 1 · /shop/"]


def test_layout_shifts_one_subplot_per_navigation(shop: telemetry_lab.Session) -> None:
    fig = plot_layout_shifts(layout_shifts(shop))
    names = [t.name for t in fig.data]
    assert names == ["#1 window 1", "#2 window 1", "excluded: recent input"]
    assert all(isinstance(t, go.Bar) for t in fig.data)
    assert [t.xaxis for t in fig.data] == ["x", "x2", "x2"]
    assert [a.text for a in fig.layout.annotations][:2] == ["nav 1", "nav 2"]
    excluded = fig.data[2]
    assert excluded.marker.color == MUTED and excluded.marker.pattern.shape == "/"
    assert list(fig.data[1].y) == pytest.approx([0.05412019570668538])
    shaded = [s for s in fig.layout.shapes if s.type == "rect"]
    assert [s.xref for s in shaded] == ["x", "x2"]
    assert any("CLS #2: 0.0541" in a.text for a in fig.layout.annotations)
    assert fig.layout.xaxis.title.text is None
    assert fig.layout.xaxis2.title.text == "ms after navigation start"
    assert fig.layout.xaxis.range[1] > max(fig.data[0].x)  # the last bar is not cut


def test_lcp_candidates_one_subplot_per_navigation(shop: telemetry_lab.Session) -> None:
    candidates = lcp_candidates(shop)
    fig = plot_lcp_candidates(candidates)
    assert [t.name for t in fig.data] == ["#1", "LCP", "not counted", "#2", "LCP",
                                          "not counted", "#3", "LCP"]
    stars = [t for t in fig.data if t.name == "LCP"]
    assert [list(t.text) for t in stars] == [["#hero"], ["#main-image"],
                                             [candidates["element"].iloc[4]]]
    assert [t.xaxis for t in stars] == ["x", "x2", "x3"]
    assert [t.showlegend for t in stars] == [True, False, False]
    assert stars[0].marker.symbol == "star"
    assert fig.data[0].line.shape == "hv"
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert [(round(s.x0), s.xref) for s in lines] == [(4800, "x"), (1423, "x2")]  # nav 3: none
    assert fig.layout.xaxis.range[1] > 4800


def test_charts_accept_empty_frames() -> None:
    rec = Recording()
    rec.navigate(0, 1, request_ms=0)
    session = rec.session()
    for fig, text in ((plot_layout_shifts(layout_shifts(session)), "no layout shifts"),
                      (plot_lcp_candidates(lcp_candidates(session)), "no LCP candidates"),
                      (plot_vitals(vitals(session).iloc[:0]), "no navigations")):
        assert list(fig.data) == [] and [a.text for a in fig.layout.annotations] == [text]
    fig = plot_vitals(vitals(session))
    assert fig.data[0].z.tolist() == [[3, 0, 3]]
    assert list(fig.layout.template.layout.colorway) == list(SEQUENCE)
