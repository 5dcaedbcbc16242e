"""Console output over time: one row per message template, a marker per message.

Examples
--------
>>> import telemetry_lab
>>> from telemetry_lab.metrics.console import messages
>>> fig = plot_console(messages(telemetry_lab.load_sample()))
>>> [trace.name for trace in fig.data]
['console.log', 'console warning', 'console.error', 'uncaught exception']
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from telemetry_lab.charts.theme import FAILURE_COLOR, MUTED, RATING_COLORS, apply, empty_figure
from telemetry_lab.checks import require_frame

#: Message kinds drawn, in legend order: (name, colour, marker symbol).
KINDS: dict[str, tuple[str, str, str]] = {
    "log": ("console.log", MUTED, "circle"),
    "warning": ("console warning", RATING_COLORS["needs-improvement"], "circle"),
    "console": ("console.error", FAILURE_COLOR, "circle"),
    "exception": ("uncaught exception", "#a50e0e", "x"),
}
_LABEL = 70


def plot_console(messages: pd.DataFrame) -> go.Figure:
    """Each console message at its time, one row per template and location.

    Parameters
    ----------
    messages : pandas.DataFrame
        The output of :func:`telemetry_lab.metrics.console.messages` (one row per message).

    Returns
    -------
    plotly.graph_objects.Figure
        x: time (UTC); y: one row per (kind, template, location), labelled with the template
        (cut to 70 characters) and its count; one marker trace per kind (warnings apart from
        other logs), hover with the full message, location, navigation and top stack frame.
    """
    require_frame(messages, "console_messages", function="plot_console")
    if not len(messages):
        return empty_figure("no console messages", title="Console messages by template")
    rows = messages.sort_values(["ts", "seq"], kind="stable")
    warning = rows["level"].eq("warning").fillna(False).to_numpy(bool)
    kind = np.where(rows["kind"].eq("log").to_numpy(bool) & warning, "warning",
                    rows["kind"].to_numpy(object))
    template = rows["template"].fillna("").astype(str)
    location = rows["location"].fillna("?").astype(str)
    key = pd.Series(kind, index=rows.index, dtype=str) + "\x00" + template + "\x00" + location
    count = key.map(key.value_counts())
    short = template.where(template.str.len() <= _LABEL, template.str.slice(0, _LABEL - 1) + "…")
    label = short + "  ×" + count.astype(str)
    order = pd.unique(key)
    ticks = pd.Series(label.to_numpy(), index=key.to_numpy()).groupby(level=0).first()
    y = pd.Index(order).get_indexer(pd.Index(key))
    hover = (rows["text"].fillna("").astype(str).str.slice(0, 300) + "<br>" + location
             + "<br>nav " + rows["nav_seq"].astype("string").fillna("?").astype(str)
             + " · " + rows["top_frame"].fillna("").astype(str)).to_numpy(str)
    fig = go.Figure()
    for name, (legend, color, symbol) in KINDS.items():
        pick = kind == name
        fig.add_scatter(
            x=rows["ts"].to_numpy()[pick], y=y[pick], mode="markers", name=legend,
            hovertext=hover[pick], hoverinfo="text+x",
            marker={"color": color, "symbol": symbol, "size": 11,
                    "line": {"width": 1, "color": color}},
        )
    fig.update_layout(
        height=int(min(220 + 28 * len(order), 1800)),
        yaxis={"tickvals": np.arange(len(order)), "ticktext": ticks.reindex(order).tolist(),
               "range": [len(order) - 0.5, -0.5], "zeroline": False},
        xaxis={"title": {"text": "time (UTC)"}},
    )
    return apply(fig, title="Console messages by template")
