"""Core Web Vitals charts: per-navigation scorecards, layout shifts, LCP candidates.

Each function takes the tidy frame of :mod:`telemetry_lab.metrics.vitals` and returns a
``go.Figure`` in the shared template. The scorecards show each navigation's worst input
response ("Response (not INP)"): it is never rated, so its cell has the neutral "not rated"
colour.

Examples
--------
>>> import telemetry_lab
>>> from telemetry_lab.metrics.vitals import vitals
>>> from telemetry_lab.charts.vitals import plot_vitals
>>> fig = plot_vitals(vitals(telemetry_lab.load_sample()))
>>> list(fig.data[0].x)
['LCP', 'CLS', 'Response (not INP)']
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from telemetry_lab.charts.theme import MUTED, RATING_COLORS, SEQUENCE, UNRATED, apply

#: Scorecard columns: (label, value column, rating column or None when never rated, format).
CARDS: tuple[tuple[str, str, str | None, str], ...] = (
    ("LCP", "lcp_ms", "lcp_rating", "{:,.0f} ms"),
    ("CLS", "cls", "cls_rating", "{:.3f}"),
    ("Response (not INP)", "response_ms", None, "{:,.0f} ms"),
)
_RATINGS = ("good", "needs-improvement", "poor")


def _nav_label(frame: pd.DataFrame) -> pd.Series:
    """``<tab 4 chars> #<nav_seq> <path>`` for each navigation row."""
    path = frame["url"].fillna("").str.replace(r"^[a-z]+://[^/]+", "", regex=True)
    tab = frame["target_id"].fillna("?").str.slice(0, 4)
    return tab + " #" + frame["nav_seq"].astype("string").fillna("?") + " " + path


def plot_vitals(vitals: pd.DataFrame) -> go.Figure:
    """Scorecards: one row per navigation, one card per metric, coloured by rating.

    Parameters
    ----------
    vitals : pandas.DataFrame
        The output of :func:`telemetry_lab.metrics.vitals.vitals`.

    Returns
    -------
    plotly.graph_objects.Figure
        A heatmap of rating codes (0 good, 1 needs improvement, 2 poor, 3 not measured, 4 not
        rated: a value without a rating, the response) with the values written in the cells,
        and a legend entry per code.
    """
    code = {rating: i for i, rating in enumerate(_RATINGS)}
    labels = _nav_label(vitals).tolist()
    z, text = [], []
    for _, value_col, rating_col, fmt in CARDS:
        values = vitals[value_col].astype(object)
        if rating_col is None:
            z.append([3 if pd.isna(v) else 4 for v in values])
        else:
            ratings = vitals[rating_col].astype(object)
            z.append([code.get(r, 3) if isinstance(r, str) else 3 for r in ratings])
        text.append([fmt.format(v) if not pd.isna(v) else "n/a" for v in values])
    colors = [RATING_COLORS[r] for r in _RATINGS] + [MUTED, UNRATED]
    scale = [[i / 5 + edge, colors[i]] for i in range(5) for edge in (0.0, 0.2)]
    fig = go.Figure(go.Heatmap(
        x=[card[0] for card in CARDS], y=labels, z=np.array(z).T, text=np.array(text).T,
        texttemplate="%{text}", zmin=-0.5, zmax=4.5, colorscale=scale, showscale=False,
        xgap=4, ygap=4, hovertemplate="%{y}<br>%{x}: %{text}<extra></extra>",
    ))
    for rating, color in zip((*_RATINGS, "not measured", "not rated"), colors, strict=True):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=rating,
                                 marker={"color": color, "symbol": "square", "size": 12}))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(side="top", type="category")
    fig.update_layout(height=200 + 48 * len(labels), font={"size": 14},
                      legend={"y": -0.05, "yanchor": "top"})
    return apply(fig, title="Core Web Vitals per navigation, and the worst input response")


def plot_layout_shifts(shifts: pd.DataFrame) -> go.Figure:
    """Layout shifts on a time axis, coloured by session window, the CLS window shaded.

    Parameters
    ----------
    shifts : pandas.DataFrame
        The output of :func:`telemetry_lab.metrics.vitals.layout_shifts` (of one or more
        navigations: bars are grouped by navigation, one colour per window).

    Returns
    -------
    plotly.graph_objects.Figure
        Bars at ``time_ms`` (ms after navigation start) of height ``value``; excluded shifts
        are grey and hatched with their reason; the winning window is shaded.

    Examples
    --------
    >>> import telemetry_lab
    >>> from telemetry_lab.metrics.vitals import layout_shifts
    >>> fig = plot_layout_shifts(layout_shifts(telemetry_lab.load_sample()))
    >>> [trace.name for trace in fig.data]
    ['#1 window 1', '#2 window 1', 'excluded: recent input']
    """
    fig = go.Figure()
    counted = shifts[shifts["counted"].fillna(False).to_numpy(dtype=bool)]
    width = max(float(shifts["time_ms"].max() or 0) / 150, 8.0) if len(shifts) else 8.0
    for i, ((nav, window), part) in enumerate(counted.groupby(["nav_seq", "window"], sort=True)):
        fig.add_trace(go.Bar(
            x=part["time_ms"], y=part["value"], width=width, name=f"#{nav} window {window}",
            marker={"color": SEQUENCE[i % len(SEQUENCE)]},
            customdata=part[["window_sum"]].to_numpy(),
            hovertemplate="%{x:.0f} ms: %{y:.4f} (window sum %{customdata[0]:.4f})<extra></extra>",
        ))
    for reason, part in shifts[~shifts["counted"].fillna(False).to_numpy(dtype=bool)].groupby(
        "reason", sort=True
    ):
        fig.add_trace(go.Bar(
            x=part["time_ms"], y=part["value"], width=width, name=f"excluded: {reason}",
            marker={"color": MUTED, "pattern": {"shape": "/"}}, opacity=0.6,
        ))
    winning = counted[counted["in_cls_window"].fillna(False).to_numpy(dtype=bool)]
    for nav, part in winning.groupby("nav_seq", sort=True):
        fig.add_vrect(
            x0=float(part["time_ms"].min()) - width, x1=float(part["time_ms"].max()) + width,
            fillcolor=RATING_COLORS["needs-improvement"], opacity=0.12, line_width=0,
            annotation_text=f"CLS #{nav!s}: {part['value'].sum():.4f}",
            annotation_position="top left",
        )
    fig.update_layout(barmode="overlay", xaxis_title="ms after navigation start",
                      yaxis_title="layout shift value")
    return apply(fig, title="Layout shifts by session window")


def plot_lcp_candidates(candidates: pd.DataFrame) -> go.Figure:
    """LCP candidate sizes over time per navigation, the LCP and the first input marked.

    Parameters
    ----------
    candidates : pandas.DataFrame
        The output of :func:`telemetry_lab.metrics.vitals.lcp_candidates`.

    Returns
    -------
    plotly.graph_objects.Figure
        One step line per navigation (``size`` against ``time_ms``); the counted candidate is
        a star, excluded ones are open grey circles; a dashed line marks each first input.

    Examples
    --------
    >>> import telemetry_lab
    >>> from telemetry_lab.metrics.vitals import lcp_candidates
    >>> fig = plot_lcp_candidates(lcp_candidates(telemetry_lab.load_sample()))
    >>> [trace.name for trace in fig.data]
    ['#1', '#2', '#3', 'LCP', 'not counted']
    """
    fig = go.Figure()
    for i, (nav, part) in enumerate(candidates.groupby("nav_seq", sort=True)):
        fig.add_trace(go.Scatter(
            x=part["time_ms"], y=part["size"], name=f"#{nav}", mode="lines+markers",
            line={"shape": "hv", "color": SEQUENCE[i % len(SEQUENCE)]},
            text=part["element"], hovertemplate="%{text}<br>%{x:.0f} ms, %{y:,.0f} px²",
        ))
        first_input = part["first_input_ms"].dropna()
        if len(first_input):
            fig.add_vline(x=float(first_input.iloc[0]), line_dash="dash",
                          line_color=SEQUENCE[i % len(SEQUENCE)],
                          annotation_text=f"first input #{nav}")
    counted = candidates["counted"].fillna(False).to_numpy(dtype=bool)
    final, other = candidates[counted], candidates[~counted]
    fig.add_trace(go.Scatter(
        x=final["time_ms"], y=final["size"], mode="markers", name="LCP", text=final["element"],
        marker={"symbol": "star", "size": 16, "color": RATING_COLORS["good"],
                "line": {"color": "black", "width": 1}},
        hovertemplate="LCP %{text}<br>%{x:.0f} ms<extra></extra>",
    ))
    fig.add_trace(go.Scatter(
        x=other["time_ms"], y=other["size"], mode="markers", name="not counted",
        text=other["reason"], marker={"symbol": "circle-open", "size": 11, "color": MUTED},
        hovertemplate="%{text}<extra></extra>",
    ))
    fig.update_layout(xaxis_title="ms after navigation start", yaxis_title="size (px²)")
    return apply(fig, title="LCP candidates")
