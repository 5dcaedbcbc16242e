"""plot_fleet / plot_compare: what is drawn (values, p75, colours, ranges, labels)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import telemetry_lab
from telemetry_lab.charts.fleet import plot_compare, plot_fleet
from telemetry_lab.charts.theme import MUTED, RATING_COLORS
from telemetry_lab.datasets.synthetic import vary_session
from telemetry_lab.errors import TelemetryLabError
from telemetry_lab.fleet.batch import sessions_vitals
from telemetry_lab.fleet.compare import compare


@pytest.fixture(scope="module")
def arms() -> tuple[pd.DataFrame, pd.DataFrame]:
    sample = telemetry_lab.load_sample()
    a = sessions_vitals({f"a{i}": vary_session(sample, seed=i, repeats=2) for i in range(6)})
    b = sessions_vitals({f"b{i}": vary_session(sample, seed=60 + i, repeats=2, lcp_factor=2.0)
                         for i in range(6)})
    return a, b


def test_plot_fleet_draws_each_group_with_its_p75(arms: tuple[pd.DataFrame, pd.DataFrame]
                                                  ) -> None:
    a, _ = arms
    fig = plot_fleet(a)
    box, p75 = fig.data[0], fig.data[1]
    assert box.type == "box" and box.orientation == "h" and len(box.x) == len(a)
    assert list(p75.y) == ["/shop/  (n=12)", "/shop/cart  (n=12)",
                           "/shop/product/trail-runner-2  (n=12)"]
    expected = [np.percentile(g.to_numpy("float64"), 75)
                for _, g in a.groupby("url")["lcp_ms"]]  # one host: sorted URLs = sorted paths
    assert list(p75.x) == pytest.approx(expected)
    for x, color in zip(p75.x, p75.marker.color, strict=True):
        assert color == RATING_COLORS["good" if x <= 2500 else
                                      "needs-improvement" if x <= 4000 else "poor"]
    assert fig.layout.xaxis.range[1] >= 4000 * 1.1  # the poor threshold is on the axis
    assert {s.x0 for s in fig.layout.shapes if s.type == "line"} >= {2500, 4000, 0.1, 0.25}
    assert fig.layout.annotations[0].text == "LCP (ms)"


def test_plot_fleet_response_time_has_no_thresholds() -> None:
    rows = pd.DataFrame({"url": ["https://a.test/x", "https://b.test/y"] * 3,
                         "lcp_ms": [1.0] * 6, "cls": [0.0] * 6,
                         "response_ms": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0]})
    fig = plot_fleet(rows, metrics=["response_ms"])
    assert fig.layout.annotations[0].text == "Input response (not INP) (ms)"
    assert not fig.layout.shapes
    assert list(fig.data[1].y) == ["a.test/x  (n=3)", "b.test/y  (n=3)"]  # two hosts: kept
    assert set(fig.data[1].marker.color) == {MUTED}
    with pytest.raises(TelemetryLabError, match="unknown metric"):
        plot_fleet(rows, metrics=["fcp_ms"])


def test_plot_compare_colours_by_the_interval(arms: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    a, b = arms
    comparison = pd.concat([compare(a, b, by="url"), compare(a, a, metric="cls", by="url")],
                           ignore_index=True)
    fig = plot_compare(comparison)
    lcp, cls = fig.data
    lcp_rows = comparison[comparison["metric"] == "lcp_ms"]
    assert list(lcp.x) == lcp_rows["p75_delta"].tolist()
    assert list(np.asarray(lcp.x) + np.asarray(lcp.error_x.array)) == pytest.approx(
        lcp_rows["p75_delta_ci_high"].tolist())
    for low, color in zip(lcp_rows["p75_delta_ci_low"], lcp.marker.color, strict=True):
        assert color == (RATING_COLORS["poor"] if low > 0 else MUTED)
    assert set(cls.marker.color) == {MUTED} and list(cls.x) == [0.0, 0.0, 0.0]
    assert "p=" in lcp.text[0] and "δ=" in lcp.text[0]
    assert fig.layout.xaxis.range[0] < 0 < fig.layout.xaxis.range[1]
    with pytest.raises(TelemetryLabError, match="output of compare"):
        plot_compare(a)
