"""Core Web Vitals charts: per-navigation scorecards, layout shifts, LCP candidates.

Each function takes the tidy frame of :mod:`telemetry_lab.metrics.vitals` and returns a
``go.Figure`` in the shared template. The scorecards also show each navigation's worst input
response ("Response (not INP)"): it is never rated, so its cell has the neutral "not rated" colour.
Scorecard rows are labelled so they stay unique when vitals of several sessions or runs are
drawn together (the ``session`` column when there is one, the navigation, its path, the tab,
then its start time); the layout-shift and LCP-candidate charts draw one subplot per
navigation.

Examples
--------
>>> import telemetry_lab
>>> from telemetry_lab.metrics.vitals import vitals
>>> from telemetry_lab.charts.vitals import plot_vitals
>>> fig = plot_vitals(vitals(telemetry_lab.load_sample()))
>>> [x.split("<br>")[0] for x in fig.data[0].x]
['LCP', 'CLS', 'Response (not INP)']
>>> list(fig.data[0].y)
['nav 1 · /shop/', 'nav 2 · /shop/product/trail-runner-2', 'nav 3 · /shop/cart']
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from telemetry_lab.charts.labels import nav_labels
from telemetry_lab.charts.theme import (
    MUTED,
    RATING_COLORS,
    SEQUENCE,
    UNRATED,
    apply,
    empty_figure,
)
from telemetry_lab.checks import require_frame
from telemetry_lab.metrics.vitals import THRESHOLDS

#: Scorecard columns: (label, value column, rating column, number format).
CARDS: tuple[tuple[str, str, str, str], ...] = (
    ("LCP", "lcp_ms", "lcp_rating", "{:,.0f} ms"),
    ("CLS", "cls", "cls_rating", "{:.3f}"),
    ("Response (not INP)", "response_ms", "", "{:,.0f} ms"),
)
#: The web-vitals thresholds each rated card is judged by (a card not listed is not rated).
RATED: dict[str, str] = {"LCP": "lcp", "CLS": "cls"}
_RATINGS = ("good", "needs-improvement", "poor")
#: Subplot height per navigation (px) in the layout-shift and LCP-candidate charts.
_NAV_PX = 230


def _threshold_text(card: str, fmt: str) -> str:
    """``good ≤ 2,500 ms · poor > 4,000 ms`` for a rated card, ``not rated`` otherwise."""
    if card not in RATED:
        return "not rated"
    good, poor = THRESHOLDS[RATED[card]]
    return f"good ≤ {fmt.format(good)} · poor > {fmt.format(poor)}"


def row_labels(vitals: pd.DataFrame) -> list[str]:
    """One unique label per navigation row: [session ·] nav · path [· tab] [· start time].

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"target_id": ["AB12CD", "AB12EF"], "nav_seq": [1, 1],
    ...                      "url": ["https://a.test/x", "https://a.test/x"],
    ...                      "start": pd.to_datetime(["2026-01-01 10:00:00"] * 2, utc=True)})
    >>> row_labels(rows)
    ['nav 1 · /x · tab AB12CD', 'nav 1 · /x · tab AB12EF']
    """
    label = nav_labels(vitals).astype(object)
    if "session" in vitals:
        label = vitals["session"].astype("string").fillna("?").astype(object) + " · " + label
    targets = vitals["target_id"].astype("string").fillna("?").astype(object)
    if label.duplicated(keep=False).any() and targets.nunique() > 1:
        label = label + " · tab " + targets.str.slice(0, 6)
    if label.duplicated(keep=False).any() and "start" in vitals:
        label = label + " · " + vitals["start"].dt.strftime("%H:%M:%S").fillna("?").astype(
            object)
    number = label.groupby(label).cumcount().to_numpy() + 1
    label = label + np.where(number > 1, np.char.add(" #", number.astype(str)), "")
    return [str(x) for x in label]


def plot_vitals(vitals: pd.DataFrame) -> go.Figure:
    """Scorecards: one row per navigation, one card per metric, coloured by rating.

    Parameters
    ----------
    vitals : pandas.DataFrame
        The output of :func:`telemetry_lab.metrics.vitals.vitals` (of one session, or several
        concatenated, with a ``session`` column naming each).

    Returns
    -------
    plotly.graph_objects.Figure
        A heatmap of rating codes (0 good, 1 needs improvement, 2 poor, 3 not measured, 4 not
        rated: a value deliberately without a rating, the response) with the values written in
        the cells; column headers carry each metric's thresholds, the hover
        explains each rating, and a legend entry per rating. Rows: :func:`row_labels`.
    """
    require_frame(vitals, "vitals", function="plot_vitals")
    if not len(vitals):
        return empty_figure("no navigations", title="Core Web Vitals per navigation")
    code = {rating: i for i, rating in enumerate(_RATINGS)}
    labels = row_labels(vitals)
    z, text, explain = [], [], []
    for card, value_col, rating_col, fmt in CARDS:
        rated = rating_col in vitals and card in RATED
        ratings = (vitals[rating_col].astype(object) if rated
                   else pd.Series([None] * len(vitals), index=vitals.index, dtype=object))
        values = vitals[value_col].astype(object)
        z.append([code.get(r, 3) if isinstance(r, str) else 3 if pd.isna(v) or rated else 4
                  for r, v in zip(ratings, values, strict=True)])
        shown = [fmt.format(v) if not pd.isna(v) else "n/a" for v in values]
        text.append(shown)
        rule = _threshold_text(card, fmt)
        explain.append([
            (f"{s}: {r} ({rule})" if isinstance(r, str)
             else f"{s}: not rated ({rule})" if not pd.isna(v) else "not measured in this "
             "navigation")
            for s, r, v in zip(shown, ratings, values, strict=True)])
    headers = [f"{card}<br><sub>{_threshold_text(card, fmt)}</sub>"
               for card, _, _, fmt in CARDS]
    colors = [RATING_COLORS[r] for r in _RATINGS] + [MUTED, UNRATED]
    scale = [[round(i / 5 + edge, 9), colors[i]] for i in range(5) for edge in (0.0, 0.2)]
    fig = go.Figure(go.Heatmap(
        x=headers, y=labels, z=np.array(z).T, text=np.array(text).T,
        customdata=np.array(explain, dtype=object).T,
        texttemplate="%{text}", zmin=-0.5, zmax=4.5, colorscale=scale, showscale=False,
        xgap=4, ygap=4, hovertemplate="%{y}<br>%{customdata}<extra></extra>",
    ))
    for rating, color in zip((*_RATINGS, "not measured", "not rated"), colors, strict=True):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=rating,
                                 marker={"color": color, "symbol": "square", "size": 12}))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(side="top", type="category")
    fig.update_layout(height=230 + 48 * len(labels), font={"size": 14},
                      legend={"y": -0.05, "yanchor": "top"}, margin={"t": 150})
    return apply(fig, title="Core Web Vitals per navigation, and the worst input response")


def _per_nav(frame: pd.DataFrame) -> tuple[list[tuple[object, object]], list[str]]:
    """The navigations of ``frame`` (target, nav_seq) in order, and a title for each."""
    keys = frame[["target_id", "nav_seq"]].astype(object).drop_duplicates()
    keys = keys.sort_values(["target_id", "nav_seq"], kind="stable")
    several = keys["target_id"].nunique() > 1
    titles = [f"nav {n}" + (f" · tab {str(t)[:6]}" if several else "")
              for t, n in keys.itertuples(index=False)]
    return list(keys.itertuples(index=False, name=None)), titles


def _subplots(count: int, titles: list[str]) -> go.Figure:
    fig = make_subplots(rows=count, cols=1, subplot_titles=titles, shared_xaxes=False,
                        vertical_spacing=min(0.12, 0.5 / max(count, 1)))
    fig.update_layout(height=160 + _NAV_PX * count, barmode="overlay")
    return fig


def _axes(fig: go.Figure, row: int, count: int, *, x_max: float, y_title: str) -> None:
    """Axis titles once (x on the last subplot only) and room to the right of the last mark."""
    fig.update_xaxes(title_text="ms after navigation start" if row == count else None,
                     range=[0, max(x_max, 1.0) * 1.12], row=row, col=1)
    fig.update_yaxes(title_text=y_title, rangemode="tozero", row=row, col=1)


def _rows(frame: pd.DataFrame, key: tuple[object, object]) -> np.ndarray:
    target = frame["target_id"].astype(object).to_numpy()
    nav = frame["nav_seq"].astype(object).to_numpy()
    return np.asarray((target == key[0]) & (nav == key[1]), dtype=bool)


def plot_layout_shifts(shifts: pd.DataFrame) -> go.Figure:
    """Layout shifts on a time axis, one subplot per navigation, the CLS window shaded.

    Parameters
    ----------
    shifts : pandas.DataFrame
        The output of :func:`telemetry_lab.metrics.vitals.layout_shifts` (of one or more
        navigations).

    Returns
    -------
    plotly.graph_objects.Figure
        One subplot per navigation: bars at ``at_ms`` (ms after that navigation's start) of
        height ``value``, one colour per session window; excluded shifts are grey and hatched
        with their reason; the winning window is shaded and labelled with the CLS.

    Examples
    --------
    >>> import telemetry_lab
    >>> from telemetry_lab.metrics.vitals import layout_shifts
    >>> fig = plot_layout_shifts(layout_shifts(telemetry_lab.load_sample()))
    >>> [trace.name for trace in fig.data]
    ['#1 window 1', '#2 window 1', 'excluded: recent input']
    >>> [a.text for a in fig.layout.annotations][:2]
    ['nav 1', 'nav 2']
    """
    require_frame(shifts, "layout_shifts", function="plot_layout_shifts")
    title = "Layout shifts by session window"
    shifts = shifts[shifts["nav_seq"].notna().to_numpy(bool)]
    if not len(shifts):
        return empty_figure("no layout shifts", title=title)
    keys, titles = _per_nav(shifts)
    fig = _subplots(len(keys), titles)
    width = max(float(shifts["at_ms"].max() or 0) / 150, 8.0)
    colour, legend = 0, set()
    for row, key in enumerate(keys, start=1):
        mine = shifts[_rows(shifts, key)]
        counted = mine[mine["counted"].fillna(False).to_numpy(dtype=bool)]
        for window, part in counted.groupby("window", sort=True):
            fig.add_trace(go.Bar(
                x=part["at_ms"], y=part["value"], width=width, name=f"#{key[1]} window {window}",
                marker={"color": SEQUENCE[colour % len(SEQUENCE)]},
                customdata=part[["window_sum"]].to_numpy(),
                hovertemplate="%{x:.0f} ms: %{y:.4f} (window sum %{customdata[0]:.4f})"
                              "<extra></extra>",
            ), row=row, col=1)
            colour += 1
        excluded = mine[~mine["counted"].fillna(False).to_numpy(dtype=bool)]
        for reason, part in excluded.groupby("reason", sort=True):
            name = f"excluded: {reason}"
            fig.add_trace(go.Bar(
                x=part["at_ms"], y=part["value"], width=width, name=name, legendgroup=name,
                showlegend=name not in legend, opacity=0.6,
                marker={"color": MUTED, "pattern": {"shape": "/"}},
                hovertemplate=f"%{{x:.0f}} ms: %{{y:.4f}} ({name})<extra></extra>",
            ), row=row, col=1)
            legend.add(name)
        winning = counted[counted["in_cls_window"].fillna(False).to_numpy(dtype=bool)]
        if len(winning):
            fig.add_vrect(
                x0=float(winning["at_ms"].min()) - width,
                x1=float(winning["at_ms"].max()) + width,
                fillcolor=RATING_COLORS["needs-improvement"], opacity=0.12, line_width=0,
                annotation_text=f"CLS #{key[1]!s}: {winning['value'].sum():.4f}",
                annotation_position="top left", row=row, col=1,
            )
        _axes(fig, row, len(keys), x_max=float(mine["at_ms"].max()) + width,
              y_title="shift value")
    return apply(fig, title=title)


def plot_lcp_candidates(candidates: pd.DataFrame) -> go.Figure:
    """LCP candidate sizes over time, one subplot per navigation, the LCP and first input marked.

    Parameters
    ----------
    candidates : pandas.DataFrame
        The output of :func:`telemetry_lab.metrics.vitals.lcp_candidates`.

    Returns
    -------
    plotly.graph_objects.Figure
        One subplot per navigation: a step line (``size`` against ``at_ms``); the counted
        candidate is a star, excluded ones are open grey circles with their reason; a dashed
        line marks the navigation's first input.

    Examples
    --------
    >>> import telemetry_lab
    >>> from telemetry_lab.metrics.vitals import lcp_candidates
    >>> fig = plot_lcp_candidates(lcp_candidates(telemetry_lab.load_sample()))
    >>> [trace.name for trace in fig.data]
    ['#1', 'LCP', 'not counted', '#2', 'LCP', 'not counted', '#3', 'LCP']
    """
    require_frame(candidates, "lcp_candidates", function="plot_lcp_candidates")
    title = "LCP candidates"
    candidates = candidates[candidates["nav_seq"].notna().to_numpy(bool)]
    if not len(candidates):
        return empty_figure("no LCP candidates", title=title)
    keys, titles = _per_nav(candidates)
    fig = _subplots(len(keys), titles)
    for row, key in enumerate(keys, start=1):
        part = candidates[_rows(candidates, key)]
        color = SEQUENCE[(row - 1) % len(SEQUENCE)]
        fig.add_trace(go.Scatter(
            x=part["at_ms"], y=part["size"], name=f"#{key[1]}", mode="lines+markers",
            line={"shape": "hv", "color": color}, text=part["element"],
            hovertemplate="%{text}<br>%{x:.0f} ms, %{y:,.0f} px²<extra></extra>",
        ), row=row, col=1)
        counted = part["counted"].fillna(False).to_numpy(dtype=bool)
        final, other = part[counted], part[~counted]
        fig.add_trace(go.Scatter(
            x=final["at_ms"], y=final["size"], mode="markers", name="LCP", legendgroup="LCP",
            showlegend=row == 1, text=final["element"],
            marker={"symbol": "star", "size": 16, "color": RATING_COLORS["good"],
                    "line": {"color": "black", "width": 1}},
            hovertemplate="LCP %{text}<br>%{x:.0f} ms<extra></extra>",
        ), row=row, col=1)
        if len(other):
            fig.add_trace(go.Scatter(
                x=other["at_ms"], y=other["size"], mode="markers", name="not counted",
                legendgroup="not counted", showlegend="not counted" not in {
                    t.name for t in fig.data[:-1]},
                text=other["reason"], marker={"symbol": "circle-open", "size": 11,
                                              "color": MUTED},
                hovertemplate="%{text}<extra></extra>",
            ), row=row, col=1)
        first_input = part["first_input_ms"].dropna()
        if len(first_input):
            fig.add_vline(x=float(first_input.iloc[0]), line_dash="dash", line_color=color,
                          annotation_text="first input", row=row, col=1)
        x_max = np.nanmax([float(part["at_ms"].max()),
                           float(first_input.iloc[0]) if len(first_input) else np.nan])
        _axes(fig, row, len(keys), x_max=float(x_max), y_title="size (px²)")
    return apply(fig, title=title)
