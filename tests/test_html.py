"""The HTML building blocks: escaping, number formats, capped tables, figures without plotly.js."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from telemetry_lab.export.html import MAX_TEXT, cell, figure, number, plotly_js, rating, table


def test_text_from_data_is_escaped_everywhere() -> None:
    hostile = '<img src=x onerror="alert(1)">'
    out = table(pd.DataFrame({hostile: [hostile], "url": ["x" * (MAX_TEXT + 10) + hostile]}))
    assert "<img" not in out and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in out
    assert 'title="' in out and "…" in out  # the cut cell keeps its full text as a tooltip


def test_numbers_nulls_booleans_times_and_ratings() -> None:
    assert [number(v) for v in (1133.2, 0.0333333, 24300.0, 55.966, float("nan"))] == [
        "1,133", "0.03333", "24,300", "55.97", "—"]
    assert cell(None) == cell(pd.NA) == '<td class="null">—</td>'
    assert cell(True) == "<td>yes</td>" and cell(7) == '<td class="num">7</td>'
    assert cell(pd.Timestamp("2026-11-30 05:53:53.868025", tz="UTC")) == "<td>05:53:53.868</td>"
    assert rating("poor") == '<span class="rating poor">poor</span>'
    assert "not measured" in rating(None) and "not measured" in cell(pd.NA, "lcp_rating")


def test_long_tables_show_the_first_rows_and_say_how_many_there_are() -> None:
    out = table(pd.DataFrame({"n": range(120)}), limit=50, what="requests")
    assert '<p class="note">showing 50 of 120 requests</p>' in out
    assert out.count("<tr>") == 51  # header + 50 rows
    assert "showing" not in table(pd.DataFrame({"n": range(3)}))
    assert table(pd.DataFrame({"n": []}), what="failures") == '<p class="empty">No failures.</p>'


def test_figures_leave_plotly_js_to_the_page() -> None:
    out = figure(go.Figure(go.Bar(x=[1], y=[2])), "figure-9")
    assert 'id="figure-9"' in out and "Plotly.newPlot" in out
    assert "<script src" not in out and len(out) < 10_000
    js = plotly_js()
    assert js.startswith('<script type="text/javascript">') and len(js) > 1_000_000
