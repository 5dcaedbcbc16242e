"""The network waterfall: one row per request hop, a bar from its start to its end.

Bars are grouped into one trace per resource type (DevTools' colours), pending requests into one
hatched trace drawn to the end of their navigation (else of the capture), failures into one
marker trace, and each kind of timeline marker (navigation start, DOMContentLoaded, load, LCP,
layout shift) into one line trace: a few traces whatever the number of requests, never one shape
per request.

Examples
--------
>>> import telemetry_lab
>>> from telemetry_lab.metrics.network import requests
>>> from telemetry_lab.metrics.navigations import navigations
>>> session = telemetry_lab.load_sample()
>>> fig = plot_waterfall(requests(session), navigations=navigations(session))
>>> [trace.name for trace in fig.data][:4]
['Document', 'Stylesheet', 'Script', 'Font']
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from telemetry_lab.charts.theme import (
    FAILURE_COLOR,
    MARKER_COLORS,
    MUTED,
    RESOURCE_TYPE_BORDER,
    RESOURCE_TYPE_COLORS,
    apply,
)
from telemetry_lab.metrics.columns import micros
from telemetry_lab.metrics.network import FAILED

_NAV = ["target_id", "nav_seq"]
_NAV_MARKERS = {"start_ms": "navigation start", "dom_content_loaded_ms": "DOMContentLoaded",
                "load_ms": "load"}
_HOVER = (
    "<b>%{customdata[0]}</b><br>%{customdata[1]}<br>%{customdata[2]} · %{customdata[3]}"
    "<br>start %{customdata[4]} · duration %{customdata[5]}<extra>%{fullData.name}</extra>"
)


def _text(values: pd.Series, missing: str) -> pd.Series:
    return values.astype("string").fillna(missing).astype(object)


def _hover(rows: pd.DataFrame, x0: np.ndarray) -> np.ndarray:
    """Per-row hover fields: url, status, mime, size, start, duration."""
    answer = (_text(rows["status"], "") + " " + _text(rows["status_text"], "")).str.strip()
    error = _text(rows["error_text"], "")
    outcome = rows["outcome"].astype(object).to_numpy()
    status = np.where(np.isin(outcome, ["failed", "canceled"]), outcome + ": " + error,
                      np.where(outcome == "pending", "pending (never finished)", answer))
    status = np.where(status == "", "redirected", status)
    size = rows["size"].to_numpy("float64", na_value=np.nan)
    size_text = np.where(np.isnan(size), "size unknown", np.char.add(
        np.char.mod("%.1f", np.nan_to_num(size) / 1000), " kB"))
    duration = rows["duration_ms"].to_numpy("float64", na_value=np.nan)
    duration_text = np.where(np.isnan(duration), "—",
                             np.char.add(np.char.mod("%.0f", np.nan_to_num(duration)), " ms"))
    start_text = np.where(np.isnan(x0), "not seen",
                          np.char.add(np.char.mod("%.0f", np.nan_to_num(x0)), " ms"))
    return np.column_stack([
        rows["url"].astype(object).to_numpy(), status,
        _text(rows["mime_type"], "no mime type").to_numpy(), size_text, start_text,
        duration_text,
    ])


def _labels(rows: pd.DataFrame) -> np.ndarray:
    """Short row names: the last path segment, else the host, else the URL (40 characters)."""
    segment = rows["path"].astype(object).fillna("").str.extract(r"([^/]*)/?$")[0]
    name = segment.where(segment != "", rows["host"].astype(object)).fillna(
        rows["url"].astype(object)).fillna("")
    return name.str.slice(0, 40).to_numpy(object)


def _nav_starts(requests: pd.DataFrame, navigations: pd.DataFrame | None) -> pd.Series:
    """Start (µs) of each navigation, by (target_id, nav_seq), from requests and navigations."""
    origin = micros(requests["start"]) - requests["start_ms"].to_numpy("float64",
                                                                     na_value=np.nan) * 1e3
    starts = pd.Series(origin, index=pd.MultiIndex.from_frame(requests[_NAV].astype(object)))
    starts = starts.dropna().groupby(level=[0, 1]).first()
    if navigations is not None and len(navigations):
        given = pd.Series(micros(navigations["start"]),
                          index=pd.MultiIndex.from_frame(navigations[_NAV].astype(object)))
        starts = given.combine_first(starts)
    return starts


def _shown(rows: pd.DataFrame) -> pd.MultiIndex:
    return pd.MultiIndex.from_frame(rows[_NAV].astype(object).drop_duplicates())


def _in(frame: pd.DataFrame, shown: pd.MultiIndex) -> np.ndarray:
    """Rows of ``frame`` whose navigation is among ``shown``."""
    return pd.MultiIndex.from_frame(frame[_NAV].astype(object)).isin(shown)


def _lines(name: str, at_ms: np.ndarray, labels: Iterable[str], rows: int) -> go.Scatter:
    """Vertical lines at ``at_ms`` spanning all rows, as one trace."""
    at_ms = np.asarray(at_ms, dtype="float64")
    x = np.repeat(at_ms, 3).astype(object)
    x[2::3] = None
    y = np.tile(np.array([-0.5, rows - 0.5, None], dtype=object), len(at_ms))
    text = np.repeat(np.asarray(list(labels), dtype=object), 3)
    return go.Scatter(
        x=x, y=y, mode="lines", name=name, text=text, hoverinfo="text",
        line={"color": MARKER_COLORS[name], "width": 1.5,
              "dash": "dot" if name in ("LCP", "layout shift") else "solid"},
    )


def _markers(
    frame: pd.DataFrame | None, columns: dict[str, str], starts: pd.Series, origin: float,
    rows: int,
) -> list[go.Scatter]:
    """One line trace per marker kind: ``columns`` maps a ms column of ``frame`` to its name."""
    if frame is None or not len(frame):
        return []
    keys = pd.MultiIndex.from_frame(frame[_NAV].astype(object))
    base = (starts.reindex(keys).to_numpy("float64") - origin) / 1e3
    detail = _detail(frame)
    traces = []
    for column, name in columns.items():
        if column not in frame:
            continue
        after = frame[column].to_numpy("float64", na_value=np.nan)
        known = ~np.isnan(base + after)
        if known.any():
            labels = (f"{name} · nav {n} · {v:.0f} ms{d}" for n, v, d in zip(
                frame["nav_seq"].to_numpy(object)[known], after[known], detail[known],
                strict=True))
            traces.append(_lines(name, np.round(base[known] + after[known], 3), labels, rows))
    return traces


def _detail(frame: pd.DataFrame) -> np.ndarray:
    """Extra hover text of layout shifts: the value, and why it does not count."""
    if "value" not in frame:
        return np.full(len(frame), "", dtype=object)
    value = np.char.mod(" · %.4f", frame["value"].to_numpy("float64", na_value=np.nan))
    reason = _text(frame.get("reason", pd.Series(pd.NA, index=frame.index)), "")
    return np.where(reason == "", value, value + " (not counted: " + reason + ")")


#: Bar thickness in rows: set, not left to Plotly, which sizes a trace's bars by the distance
#: between its rows (a trace of three far-apart pending requests would get bars dozens of rows
#: thick).
_ROW = 0.7


def plot_waterfall(
    requests: pd.DataFrame,
    *,
    navigations: pd.DataFrame | None = None,
    vitals: pd.DataFrame | None = None,
    layout_shifts: pd.DataFrame | None = None,
    capture_end: pd.Timestamp | None = None,
    max_labels: int = 60,
    title: str = "Network waterfall",
) -> go.Figure:
    """A DevTools-style waterfall of :func:`~telemetry_lab.metrics.network.requests`.

    Parameters
    ----------
    requests : pandas.DataFrame
        Output of :func:`~telemetry_lab.metrics.network.requests`, or a subset of its rows
        (e.g. one navigation).
    navigations : pandas.DataFrame, optional
        Output of :func:`~telemetry_lab.metrics.navigations.navigations`: adds the navigation
        start, DOMContentLoaded and load markers, and its last ``end`` is the end of capture.
    vitals : pandas.DataFrame, optional
        Output of :func:`~telemetry_lab.metrics.vitals.vitals`: adds an LCP marker.
    layout_shifts : pandas.DataFrame, optional
        Output of :func:`~telemetry_lab.metrics.vitals.layout_shifts`: a marker per shift.
    capture_end : pandas.Timestamp, optional
        Where pending requests end (default: the last navigation ``end``, else the last start or
        end among ``requests``).
    max_labels : int
        Up to this many rows, the y axis names each request; beyond it, hover does.
    title : str
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        x: ms from the start of the first navigation in ``requests``; y: one row per request
        hop in start order. Traces: one bar trace per resource type (finished requests),
        ``pending`` (hatched, to the end of its navigation, else of the capture),
        ``failed / HTTP error`` (a red cross at the end of the bar), ``start not seen`` (a
        response or failure whose request was never seen) and one line trace per marker kind.

    Examples
    --------
    >>> import telemetry_lab
    >>> from telemetry_lab.metrics.network import requests
    >>> reqs = requests(telemetry_lab.load_sample())
    >>> fig = plot_waterfall(reqs[reqs["nav_seq"] == 3])
    >>> fig.layout.xaxis.title.text
    'ms from navigation start'
    >>> [trace.name for trace in fig.data]
    ['Stylesheet', 'Script', 'Font', 'Image', 'Fetch', 'Ping', 'pending']
    """
    rows = requests.sort_values(["start", "end"], kind="stable", na_position="last")
    rows = rows.reset_index(drop=True)
    n = len(rows)
    shown = _shown(rows)
    navigations, vitals, layout_shifts = (
        None if f is None else f[_in(f, shown)] for f in (navigations, vitals, layout_shifts)
    )
    starts = _nav_starts(rows, navigations)
    start_us, end_us = micros(rows["start"]), micros(rows["end"])
    seen = np.concatenate([start_us, end_us])
    origin = float(np.nanmin(starts.to_numpy())) if len(starts) else (
        float(np.nanmin(seen)) if np.isfinite(seen).any() else 0.0)
    if capture_end is not None:
        last_us = pd.Timestamp(capture_end).value / 1e3
    else:
        last_us = float(np.nanmax(seen)) if np.isfinite(seen).any() else origin
    stop_us = np.full(n, last_us)
    if navigations is not None and len(navigations) and capture_end is None:
        ends = pd.Series(micros(navigations["end"]),
                         index=pd.MultiIndex.from_frame(navigations[_NAV].astype(object)))
        own = ends.reindex(pd.MultiIndex.from_frame(rows[_NAV].astype(object)))
        stop_us = own.fillna(float(ends.max())).to_numpy("float64")
    x0, x1 = (start_us - origin) / 1e3, (end_us - origin) / 1e3
    stop_ms = (stop_us - origin) / 1e3
    y = np.arange(n)
    hover = _hover(rows, x0)
    outcome = rows["outcome"].astype(object).to_numpy()
    kind = rows["resource_type"].astype(object).to_numpy()
    failed = np.isin(outcome, FAILED)
    pending = (outcome == "pending") & ~np.isnan(x0)
    finished = ~np.isnan(x0) & ~np.isnan(x1) & ~pending
    traces: list[go.BaseTraceType] = []
    order = [t for t in RESOURCE_TYPE_COLORS if t in set(kind)]
    order += sorted({k for k in kind if k not in RESOURCE_TYPE_COLORS}, key=str)
    for resource_type in order:
        pick = finished & (kind == resource_type)
        if pick.any():
            traces.append(go.Bar(
                name=str(resource_type), orientation="h", y=y[pick], base=x0[pick], width=_ROW,
                x=x1[pick] - x0[pick], customdata=hover[pick], hovertemplate=_HOVER,
                marker={"color": RESOURCE_TYPE_COLORS.get(resource_type,
                                                         RESOURCE_TYPE_COLORS["Other"]),
                        "line": {"color": RESOURCE_TYPE_BORDER, "width": 0.5}},
            ))
    if pending.any():
        traces.append(go.Bar(
            name="pending", orientation="h", y=y[pending], width=_ROW,
            base=x0[pending], x=np.maximum(stop_ms[pending] - x0[pending], 0),
            customdata=hover[pending],
            hovertemplate=_HOVER, opacity=0.6,
            marker={"color": "white", "pattern": {"shape": "/", "fgcolor": MUTED},
                    "line": {"color": MUTED, "width": 0.5}},
        ))
    for name, pick, symbol, color in (
        ("failed / HTTP error", failed & ~np.isnan(x1), "x", FAILURE_COLOR),
        ("start not seen", np.isnan(x0) & ~np.isnan(x1), "diamond-open", MUTED),
    ):
        if pick.any():
            traces.append(go.Scatter(
                name=name, x=x1[pick], y=y[pick], mode="markers", customdata=hover[pick],
                hovertemplate=_HOVER, marker={"symbol": symbol, "color": color, "size": 8},
            ))
    if navigations is not None:
        traces += _markers(navigations.assign(start_ms=0.0), _NAV_MARKERS, starts, origin, n)
    traces += _markers(vitals, {"lcp_ms": "LCP"}, starts, origin, n)
    traces += _markers(layout_shifts, {"time_ms": "layout shift"}, starts, origin, n)
    several = len(shown) > 1
    labels = _labels(rows) if n <= max_labels else None
    fig = go.Figure(data=traces, layout={
        "barmode": "overlay",
        "bargap": 0.25,
        "height": int(min(max(300, 16 * n + 160), 1800)),
        "xaxis": {"title": {"text": "ms from first navigation start" if several
                            else "ms from navigation start"}, "rangemode": "tozero"},
        "yaxis": {"range": [n - 0.5, -0.5], "showgrid": False, "zeroline": False,
                  "title": {"text": "requests, in start order", "standoff": 12},
                  **({"tickvals": y, "ticktext": labels} if labels is not None
                     else {"showticklabels": False})},
    })
    return apply(fig, title=title)
