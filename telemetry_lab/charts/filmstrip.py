"""The filmstrip: each navigation's screenshots on the waterfall's time axis.

Examples
--------
>>> import telemetry_lab
>>> fig = plot_filmstrip(telemetry_lab.load_sample())
>>> len(fig.layout.images), fig.layout.xaxis.title.text
(4, 'ms after navigation start')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from telemetry_lab.charts.labels import nav_labels
from telemetry_lab.charts.theme import SEQUENCE, apply, empty_figure
from telemetry_lab.checks import require_frame, require_session
from telemetry_lab.metrics.columns import select
from telemetry_lab.metrics.navigations import navigations
from telemetry_lab.metrics.screenshots import screenshots

if TYPE_CHECKING:
    from telemetry_lab.session import Session

_NAV = ["target_id", "nav_seq"]


def plot_filmstrip(session: Session, *, navs: pd.DataFrame | None = None,
                   per_navigation: int = 12) -> go.Figure:
    """Screenshots as thumbnails, one row per navigation, at ms after its start.

    Parameters
    ----------
    session : telemetry_lab.Session
        A recording.
    navs : pandas.DataFrame, optional
        Rows of :func:`~telemetry_lab.metrics.navigations.navigations` to draw (default: all
        navigations with a screenshot).
    per_navigation : int, default 12
        At most this many thumbnails per navigation (evenly spread); every screenshot keeps
        its marker.

    Returns
    -------
    plotly.graph_objects.Figure
        x: ms after the navigation start (the waterfall's axis); y: one row per navigation
        (``nav <nav_seq> · <path>``); a thumbnail per screenshot (its PNG as a data URI) and
        one marker trace whose hover gives the trigger, size and time.
    """
    require_session(session, function="plot_filmstrip")
    if navs is not None:
        require_frame(navs, "navigations", function="plot_filmstrip", argument="navs")
    every = navigations(session)
    shots = screenshots(session, navs=every)
    rows = every if navs is None else navs
    keys = pd.MultiIndex.from_frame(rows[_NAV].astype(object))
    shot_keys = pd.MultiIndex.from_frame(shots[_NAV].astype(object))
    if navs is None:
        keys = keys[keys.isin(shot_keys)]
    shots = shots[shot_keys.isin(keys)].reset_index(drop=True)
    if not len(shots):
        return empty_figure("no screenshots", title="Filmstrip: screenshots by navigation")
    row_of = pd.Series(np.arange(len(keys)), index=keys)
    y = row_of.reindex(pd.MultiIndex.from_frame(shots[_NAV].astype(object))).to_numpy("float64")
    x = shots["at_ms"].to_numpy("float64", na_value=np.nan)
    labels = nav_labels(rows.set_index(_NAV).reindex(keys).reset_index()).tolist()
    span = float(np.nanmax(x)) if len(x) and np.isfinite(x).any() else 1000.0
    width = max(span / 4, 400.0)  # screenshots are at least 2 s apart: no overlap below 8 s
    hover = ("trigger " + shots["trigger"].fillna("?") + "<br>"
             + shots["at_ms"].round(0).astype("string").fillna("?") + " ms · "
             + shots["width"].astype("string").fillna("?") + "×"
             + shots["height"].astype("string").fillna("?") + " px, "
             + (shots["bytes"] / 1000).round(1).astype("string").fillna("?") + " kB"
             ).to_numpy(str)
    fig = go.Figure()
    fig.add_scatter(x=x, y=y - 0.48, mode="markers", name="screenshot", hovertext=hover,
                    hoverinfo="text", marker={"symbol": "triangle-up", "size": 9,
                                              "color": SEQUENCE[3]})
    fig.update_layout(images=_images(session, shots, x, y, width, per_navigation))
    fig.update_layout(
        height=int(150 + 220 * max(len(keys), 1)), showlegend=False,
        xaxis={"title": {"text": "ms after navigation start"},
               "range": [-width * 0.6, span + width * 0.6]},
        yaxis={"tickvals": np.arange(len(keys)), "ticktext": labels,
               "range": [len(keys) - 0.5, -0.6], "zeroline": False, "showgrid": False},
    )
    return apply(fig, title="Filmstrip: screenshots by navigation")


def _images(session: Session, shots: pd.DataFrame, x: np.ndarray, y: np.ndarray, width: float,
            limit: int) -> list[dict[str, object]]:
    """Thumbnails (up to ``limit`` per row, evenly spread), decoded only for those drawn."""
    rank = pd.Series(y).groupby(y).cumcount().to_numpy()
    size = pd.Series(y).groupby(y).transform("size").to_numpy()
    step = np.maximum(np.ceil(size / max(limit, 1)), 1)
    chosen = np.flatnonzero((rank % step == 0) & ~np.isnan(x) & ~np.isnan(y))
    frame = select(session, "monitor_screenshot", ("seq",))
    position = pd.Series(np.arange(len(frame)), index=frame["seq"].to_numpy())
    rows = position.reindex(shots["seq"].to_numpy()[chosen]).to_numpy("int64")
    png = session.table("monitor_screenshot")["png"].take(rows).to_pylist()
    return [{"source": "data:image/png;base64," + data, "xref": "x", "yref": "y",
             "x": float(x[i]), "y": float(y[i]), "sizex": width * 0.95, "sizey": 0.85,
             "xanchor": "center", "yanchor": "middle", "sizing": "contain", "layer": "above"}
            for i, data in zip(chosen, png, strict=True) if data]
