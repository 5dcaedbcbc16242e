"""The network waterfall: one row per request hop, a bar from its start to its end.

Rows are grouped by navigation (a shaded band and a label per navigation when several are
drawn), in start order within each, labelled ``host/path`` (see
:func:`~telemetry_lab.charts.labels.request_labels`) at a fixed row height, so every row keeps
its label however many there are. Bars are grouped into one trace per resource type (DevTools'
colours); a main document, whose response the stream never carries, is drawn to its estimated
end (DOMContentLoaded, an upper bound) in its own pale dotted trace, with a tick where its first
byte had arrived by; requests still pending at the end of the capture are hatched; failures are
red crosses. Each kind of timeline marker (navigation start, DOMContentLoaded, load, LCP, layout
shift, click, key) is one line trace spanning its navigation's rows and is named at the top of
its band; the LCP resource's row is starred and linked to its LCP line. A few traces whatever the
number of requests, never one shape per request.

Examples
--------
>>> import telemetry_lab
>>> from telemetry_lab.metrics.network import requests
>>> from telemetry_lab.metrics.navigations import navigations
>>> session = telemetry_lab.load_sample()
>>> navs = navigations(session)
>>> fig = plot_waterfall(requests(session, navs=navs), navigations=navs)
>>> [trace.name for trace in fig.data][:4]
['Document', 'Stylesheet', 'Script', 'Font']
>>> list(fig.layout.yaxis.ticktext[:2])
['127.0.0.1:36621/shop/', '127.0.0.4:36621/cdn/css/fonts.css']
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from telemetry_lab.charts.labels import nav_labels, request_labels
from telemetry_lab.charts.theme import (
    BAND_COLOR,
    FAILURE_COLOR,
    MARKER_COLORS,
    MARKER_DASH,
    MUTED,
    RESOURCE_TYPE_BORDER,
    RESOURCE_TYPE_COLORS,
    apply,
    empty_figure,
)
from telemetry_lab.checks import require_frame
from telemetry_lab.metrics.columns import micros
from telemetry_lab.metrics.network import ESTIMATED, FAILED

_NAV = ["target_id", "nav_seq"]
_NAV_MARKERS = {"start_ms": "navigation start", "dom_content_loaded_ms": "DOMContentLoaded",
                "load_ms": "load"}
_SHORT = {"navigation start": "start", "DOMContentLoaded": "DCL", "load": "load", "LCP": "LCP"}
_HOVER = (
    "<b>%{customdata[0]}</b><br>%{customdata[1]}<br>%{customdata[2]} · %{customdata[3]}"
    "<br>start %{customdata[4]} · duration %{customdata[5]}<extra>%{fullData.name}</extra>"
)
#: Row height in pixels: the figure grows with the rows, so every row keeps its label.
ROW_PX = 18
#: Rows of room above the first request for the marker names; margins (px) for title, legend
#: and axis; above this many rows the time axis is repeated on top.
_HEAD_ROWS, _TOP_PX, _BOTTOM_PX, _TOP_AXIS_ROWS = 3, 150, 60, 40
#: Bar thickness in rows: set, not left to Plotly, which sizes a trace's bars by the distance
#: between its rows.
_ROW = 0.7


def _text(values: pd.Series, missing: str) -> pd.Series:
    return values.astype("string").fillna(missing).astype(object)


def _ms_text(values: np.ndarray, missing: str, prefix: str | np.ndarray = "") -> np.ndarray:
    text = np.char.add(np.char.mod("%.0f", np.nan_to_num(values)), " ms")
    return np.where(np.isnan(values), missing, np.char.add(prefix, text))


def _hover(rows: pd.DataFrame, x0: np.ndarray, first_byte: np.ndarray) -> np.ndarray:
    """Per-row hover fields: url, status, mime, size, start, duration."""
    answer = (_text(rows["status"], "") + " " + _text(rows["status_text"], "")).str.strip()
    error = _text(rows["error_text"], "")
    outcome = rows["outcome"].astype(object).to_numpy()
    source = rows["end_source"].astype(object).fillna("").to_numpy()
    estimated = np.isin(source, ESTIMATED)
    bound = np.where(source == "estimated_dcl", "ends at DOMContentLoaded (parsed by then)",
                     "ends at its first subresource request")
    first = np.where(np.isnan(first_byte), "", np.char.add(np.char.add(
        "; first byte within ", _ms_text(first_byte, "")), " of the request"))
    status = np.where(np.isin(outcome, ["failed", "canceled"]), outcome + ": " + error,
                      np.where(outcome == "pending", "pending (never finished)", answer))
    status = np.where(estimated, "estimated: no response in the stream; " + bound + first,
                      np.where(status == "", "redirected", status))
    size = rows["size"].to_numpy("float64", na_value=np.nan)
    size_text = np.where(np.isnan(size), "size unknown", np.char.add(
        np.char.mod("%.1f", np.nan_to_num(size) / 1000), " kB"))
    duration = rows["duration_ms"].to_numpy("float64", na_value=np.nan)
    return np.column_stack([
        rows["url"].astype(object).to_numpy(), status,
        _text(rows["mime_type"], "no mime type").to_numpy(), size_text,
        _ms_text(x0, "not seen"), _ms_text(duration, "—", np.where(estimated, "≤ ", "")),
    ])


def _by_nav(frame: pd.DataFrame | None, rows: pd.DataFrame) -> pd.DataFrame | None:
    """Rows of ``frame`` whose navigation is drawn."""
    if frame is None:
        return None
    shown = pd.MultiIndex.from_frame(rows[_NAV].astype(object).drop_duplicates())
    return frame[pd.MultiIndex.from_frame(frame[_NAV].astype(object)).isin(shown)]


def _order(requests: pd.DataFrame) -> pd.DataFrame:
    """Rows grouped by navigation (in navigation start order), in start order within each."""
    rows = requests.assign(_nav_us=micros(requests["nav_start"]), _us=micros(requests["start"]),
                           _end=micros(requests["end"]))
    rows = rows.sort_values(["_nav_us", "target_id", "nav_seq", "_us", "_end"], kind="stable",
                            na_position="last")
    return rows.drop(columns=["_nav_us", "_us", "_end"]).reset_index(drop=True)


def _spans(rows: pd.DataFrame, origin: float) -> pd.DataFrame:
    """Per navigation drawn: first and last row and start (ms on the axis), by (target, nav)."""
    spans = pd.DataFrame({
        "target_id": rows["target_id"].astype(object), "nav_seq": rows["nav_seq"].astype(object),
        "row": np.arange(len(rows)), "base": (micros(rows["nav_start"]) - origin) / 1e3,
    }).groupby(_NAV, dropna=False, sort=False).agg(
        first=("row", "min"), last=("row", "max"), base=("base", "first"))
    return spans


def _lines(name: str, x: np.ndarray, y0: np.ndarray, y1: np.ndarray,
           labels: np.ndarray) -> go.Scatter:
    """Vertical lines at ``x`` from row ``y0`` to ``y1``, as one trace."""
    xs = np.repeat(np.asarray(x, dtype="float64"), 3).astype(object)
    xs[2::3] = None
    ys = np.column_stack([y0 - 0.5, y1 + 0.5, np.full(len(x), np.nan)]).ravel().astype(object)
    ys[2::3] = None
    return go.Scatter(
        x=xs, y=ys, mode="lines", name=name, text=np.repeat(labels, 3), hoverinfo="text",
        line={"color": MARKER_COLORS[name], "width": 2 if name in ("load", "LCP") else 1.5,
              "dash": MARKER_DASH.get(name, "solid")},
    )


def _markers(frame: pd.DataFrame | None, columns: dict[str, str], spans: pd.DataFrame,
             ) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """``(name, x, first row, last row, hover)`` per marker kind; ``columns``: ms column → name."""
    if frame is None or not len(frame):
        return []
    own = spans.reindex(pd.MultiIndex.from_frame(frame[_NAV].astype(object)))
    base = own["base"].to_numpy("float64")
    detail = _detail(frame)
    out = []
    for column, name in columns.items():
        if column not in frame:
            continue
        after = frame[column].to_numpy("float64", na_value=np.nan)
        known = ~np.isnan(base + after)
        if known.any():
            nav = frame["nav_seq"].astype(object).to_numpy()[known]
            text = np.char.add(np.char.add(np.char.add(f"{name} · nav ", nav.astype(str)),
                                           np.char.add(" · ", _ms_text(after[known], ""))),
                               detail[known].astype(str))
            out.append((name, np.round(base[known] + after[known], 3),
                        own["first"].to_numpy()[known], own["last"].to_numpy()[known], text))
    return out


def _detail(frame: pd.DataFrame) -> np.ndarray:
    """Extra hover text: a shift's value and why it does not count; an input's target."""
    if "value" in frame:
        value = np.char.mod(" · %.4f", frame["value"].to_numpy("float64", na_value=np.nan))
        reason = _text(frame.get("reason", pd.Series(pd.NA, index=frame.index)), "").to_numpy()
        return np.where(reason == "", value, value + " (not counted: " + reason + ")")
    if "selector" in frame:
        what = _text(frame["selector"], "").to_numpy()
        if "key" in frame:
            key = _text(frame["key"], "").to_numpy()
            what = np.where(key != "", "key " + key, what)
        return np.where(what == "", "", " · " + what)
    return np.full(len(frame), "", dtype=object)


def _names(marks: list[tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
           span_ms: float) -> list[dict[str, object]]:
    """A short name at the top of each milestone line; close ones stacked, never overlapping."""
    notes = [(x, first, name) for name, xs, firsts, _, _ in marks if name in _SHORT
             for x, first in zip(xs, firsts, strict=True)]
    notes.sort(key=lambda n: (n[1], n[0]))
    out: list[dict[str, object]] = []
    level, last_x, last_row = 0, -np.inf, -1
    for x, first, name in notes:
        level = level + 1 if first == last_row and x - last_x < span_ms * 0.04 else 0
        last_x, last_row = x, first
        out.append({"x": x, "y": first - 0.5, "text": _SHORT[name], "showarrow": False,
                    "yanchor": "bottom", "yshift": 2 + 13 * level, "font": {
                        "size": 10, "color": MARKER_COLORS[name]}})
    return out


def _bands(spans: pd.DataFrame, navigations: pd.DataFrame | None, rows: pd.DataFrame,
           ) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """A shaded band and a label per navigation drawn (none for a single navigation)."""
    if len(spans) < 2:
        return [], []
    urls = rows.drop_duplicates(_NAV).set_index(_NAV)["document_url"].astype(object)
    if navigations is not None and len(navigations):
        urls = navigations.drop_duplicates(_NAV).set_index(_NAV)["url"].astype(object)
    keys = spans.index
    frame = pd.DataFrame({"url": urls.reindex(keys).to_numpy(object),
                          "nav_seq": [k[1] for k in keys]})
    labels = nav_labels(frame).fillna("no navigation").tolist()
    several_tabs = len({k[0] for k in keys}) > 1
    shapes, notes = [], []
    rows_of = zip(keys, spans["first"].to_numpy("float64"), spans["last"].to_numpy("float64"),
                  strict=True)
    for i, (key, first, last) in enumerate(rows_of):
        label = labels[i] + (f" · tab {str(key[0])[:6]}" if several_tabs else "")
        shapes.append({"type": "rect", "xref": "paper", "x0": 0, "x1": 1, "layer": "below",
                       "y0": first - 0.5, "y1": last + 0.5,
                       "line": {"color": MUTED, "width": 1},
                       "fillcolor": BAND_COLOR if i % 2 == 0 else "rgba(0,0,0,0)"})
        notes.append({"xref": "paper", "x": 1, "xanchor": "right", "y": first - 0.5,
                      "yanchor": "top", "text": label, "showarrow": False,
                      "font": {"size": 11, "color": "#3c4043"}, "bgcolor": "rgba(255,255,255,0.8)"})
    return shapes, notes


def _lcp_resource(rows: pd.DataFrame, vitals: pd.DataFrame | None, spans: pd.DataFrame,
                  x1: np.ndarray) -> tuple[list[go.Scatter], np.ndarray]:
    """The LCP resource's row of each navigation: a star at the LCP, a link from its bar."""
    hit = np.zeros(len(rows), dtype=bool)
    if vitals is None or not len(vitals) or "lcp_url" not in vitals:
        return [], hit
    lcp = vitals.dropna(subset=["lcp_url", "lcp_ms"])
    want = lcp.set_index(pd.MultiIndex.from_frame(lcp[_NAV].astype(object)))
    own = want.reindex(pd.MultiIndex.from_frame(rows[_NAV].astype(object)))
    match = rows["url"].astype(object).to_numpy() == own["lcp_url"].astype(object).to_numpy()
    first = pd.Series(match).groupby([rows["target_id"].astype(object),
                                      rows["nav_seq"].astype(object)], dropna=False).cumsum()
    hit = match & (first.to_numpy() == 1)
    if not hit.any():
        return [], hit
    y = np.flatnonzero(hit)
    base = spans.reindex(pd.MultiIndex.from_frame(rows.loc[hit, _NAV].astype(object)))["base"]
    at = base.to_numpy("float64") + own["lcp_ms"].to_numpy("float64", na_value=np.nan)[hit]
    xs = np.column_stack([x1[hit], at, np.full(len(y), np.nan)]).ravel().astype(object)
    xs[2::3] = None
    ys = np.repeat(y, 3).astype(object)
    ys[2::3] = None
    return [go.Scatter(
        x=xs, y=ys, mode="lines+markers", name="LCP resource",
        line={"color": MARKER_COLORS["LCP"], "width": 1.5, "dash": "dot"},
        marker={"symbol": np.tile(["circle", "star", "circle"], len(y)).tolist(),
                "size": np.tile([4, 14, 0], len(y)).tolist(), "color": MARKER_COLORS["LCP"]},
        text=np.repeat([f"LCP element's resource · LCP {v:.0f} ms" for v in
                        own["lcp_ms"].to_numpy("float64")[hit]], 3), hoverinfo="text",
    )], hit


def plot_waterfall(
    requests: pd.DataFrame,
    *,
    navigations: pd.DataFrame | None = None,
    vitals: pd.DataFrame | None = None,
    layout_shifts: pd.DataFrame | None = None,
    interactions: pd.DataFrame | None = None,
    capture_end: pd.Timestamp | None = None,
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
        start, DOMContentLoaded and load markers, the first-byte bound of each main document,
        the navigation bands' URLs, and its ``end`` is where pending requests stop.
    vitals : pandas.DataFrame, optional
        Output of :func:`~telemetry_lab.metrics.vitals.vitals`: an LCP marker, and the LCP
        resource's row starred and linked to it.
    layout_shifts : pandas.DataFrame, optional
        Output of :func:`~telemetry_lab.metrics.vitals.layout_shifts`: a marker per shift.
    interactions : pandas.DataFrame, optional
        Output of :func:`~telemetry_lab.metrics.interactions.interactions`: a marker per click
        and key press.
    capture_end : pandas.Timestamp, optional
        Where pending requests end (default: their navigation's ``end``, else the last start or
        end among ``requests``).
    title : str
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        x: ms from the start of the first navigation in ``requests``; y: one labelled row per
        request hop ``ROW_PX`` pixels high. Traces: one bar trace per resource type (finished
        requests), ``document (estimated)`` (a main document to its estimated end),
        ``first byte by`` (the document's first-byte upper bound), ``pending`` (hatched),
        ``failed / HTTP error`` (a red cross at the end of the bar), ``start not seen``,
        ``LCP resource`` and one line trace per marker kind. An empty ``requests`` gives a
        figure saying "no requests".

    Examples
    --------
    >>> import telemetry_lab
    >>> from telemetry_lab.metrics.network import requests
    >>> reqs = requests(telemetry_lab.load_sample())
    >>> fig = plot_waterfall(reqs[reqs["nav_seq"] == 3])
    >>> fig.layout.xaxis.title.text
    'ms from navigation start'
    >>> [trace.name for trace in fig.data]
    ['Stylesheet', 'Script', 'Font', 'Image', 'Fetch', 'Ping', 'document (estimated)']
    """
    require_frame(requests, "requests", function="plot_waterfall")
    for name, frame in (("navigations", navigations), ("vitals", vitals),
                        ("layout_shifts", layout_shifts), ("interactions", interactions)):
        if frame is not None:
            require_frame(frame, name, function="plot_waterfall", argument=name)
    if not len(requests):
        return empty_figure("no requests", title=title)
    rows = _order(requests)
    n = len(rows)
    navigations, vitals, layout_shifts, interactions = (
        _by_nav(f, rows) for f in (navigations, vitals, layout_shifts, interactions))
    start_us, end_us = micros(rows["start"]), micros(rows["end"])
    nav_us = micros(rows["nav_start"])
    seen = np.concatenate([start_us, end_us])
    origin = float(np.nanmin(nav_us)) if np.isfinite(nav_us).any() else float(np.nanmin(seen))
    last_us = (pd.Timestamp(capture_end).value / 1e3 if capture_end is not None
               else float(np.nanmax(seen)))
    stop_us = np.full(n, last_us)
    if navigations is not None and len(navigations) and capture_end is None:
        ends = pd.Series(micros(navigations["end"]),
                         index=pd.MultiIndex.from_frame(navigations[_NAV].astype(object)))
        own = ends.reindex(pd.MultiIndex.from_frame(rows[_NAV].astype(object)))
        stop_us = own.fillna(float(ends.max())).to_numpy("float64")
    spans = _spans(rows, origin)
    x0, x1 = (start_us - origin) / 1e3, (end_us - origin) / 1e3
    stop_ms = (stop_us - origin) / 1e3
    y = np.arange(n)
    outcome = rows["outcome"].astype(object).to_numpy()
    kind = rows["resource_type"].astype(object).to_numpy()
    estimated = rows["end_source"].isin(ESTIMATED).to_numpy(bool) & ~np.isnan(x0)
    first_byte = np.full(n, np.nan)
    if navigations is not None and len(navigations):
        bound = navigations.set_index(pd.MultiIndex.from_frame(
            navigations[_NAV].astype(object)))["ttfb_upper_ms"]
        at = bound.reindex(pd.MultiIndex.from_frame(rows[_NAV].astype(object)))
        first_byte = np.where(estimated, (nav_us - origin) / 1e3
                              + at.to_numpy("float64", na_value=np.nan) - x0, np.nan)
    hover = _hover(rows, x0, first_byte)
    failed = np.isin(outcome, FAILED)
    pending = (outcome == "pending") & ~np.isnan(x0)
    finished = ~np.isnan(x0) & ~np.isnan(x1) & ~pending & ~estimated
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
    for name, pick, stop, style in (
        ("document (estimated)", estimated, x1, {
            "color": RESOURCE_TYPE_COLORS["Document"], "opacity": 0.5,
            "pattern": {"shape": ".", "fgcolor": MARKER_COLORS["DOMContentLoaded"], "size": 6},
            "line": {"color": MARKER_COLORS["DOMContentLoaded"], "width": 1}}),
        ("pending", pending, stop_ms, {
            "color": "white", "pattern": {"shape": "/", "fgcolor": MUTED},
            "line": {"color": MUTED, "width": 0.5}}),
    ):
        if pick.any():
            traces.append(go.Bar(
                name=name, orientation="h", y=y[pick], width=_ROW, base=x0[pick],
                x=np.maximum(stop[pick] - x0[pick], 0), customdata=hover[pick],
                hovertemplate=_HOVER, marker=style,
            ))
    byte = ~np.isnan(first_byte)
    for name, pick, xs, symbol, color in (
        ("first byte by", byte, x0 + first_byte, "line-ns", MARKER_COLORS["DOMContentLoaded"]),
        ("failed / HTTP error", failed & ~np.isnan(x1), x1, "x", FAILURE_COLOR),
        ("start not seen", np.isnan(x0) & ~np.isnan(x1), x1, "diamond-open", MUTED),
    ):
        if pick.any():
            traces.append(go.Scatter(
                name=name, x=xs[pick], y=y[pick], mode="markers", customdata=hover[pick],
                hovertemplate=_HOVER, marker={"symbol": symbol, "color": color, "size": 8,
                                              "line": {"color": color, "width": 2}},
            ))
    marks = []
    if navigations is not None:
        marks += _markers(navigations.assign(start_ms=0.0), _NAV_MARKERS, spans)
    marks += _markers(vitals, {"lcp_ms": "LCP"}, spans)
    marks += _markers(layout_shifts, {"at_ms": "layout shift"}, spans)
    if interactions is not None and "kind" in interactions:
        for kind_name in ("click", "key"):
            marks += _markers(interactions[interactions["kind"].eq(kind_name).fillna(False)
                                           .to_numpy(bool)], {"at_ms": kind_name}, spans)
    traces += [_lines(*mark) for mark in marks]
    lcp_traces, lcp_rows = _lcp_resource(rows, vitals, spans, np.where(np.isnan(x1), x0, x1))
    traces += lcp_traces
    labels = request_labels(rows["url"])
    labels = np.where(lcp_rows, "<b>★ " + labels.astype(str) + "</b>", labels)
    shapes, notes = _bands(spans, navigations, rows)
    span_ms = float(np.nanmax(np.concatenate([x1, stop_ms, x0]))) or 1.0
    axis = "ms from first navigation start" if len(spans) > 1 else "ms from navigation start"
    height = int(ROW_PX * (n + _HEAD_ROWS) + _TOP_PX + _BOTTOM_PX + 30 * (n > _TOP_AXIS_ROWS))
    fig = go.Figure(data=traces, layout={
        "barmode": "overlay",
        "height": height,
        "margin": {"t": _TOP_PX, "b": _BOTTOM_PX},
        "shapes": shapes,
        "annotations": notes + _names(marks, span_ms),
        "xaxis": {"title": {"text": axis}, "rangemode": "tozero"},
        "yaxis": {"range": [n - 0.5, -0.5 - _HEAD_ROWS], "showgrid": False,
                  "zeroline": False, "title": {"text": "requests, in start order", "standoff": 12},
                  "tickvals": y, "ticktext": labels, "tickfont": {"size": 11}},
        # in pixels, not fractions of a figure that grows with its rows
        "legend": {"y": 1 + (34 if n > _TOP_AXIS_ROWS else 6) / (ROW_PX * (n + _HEAD_ROWS)),
                   "yanchor": "bottom"},
    })
    if n > _TOP_AXIS_ROWS:  # a tall waterfall gets the time axis on top too
        fig.update_layout(xaxis2={"matches": "x", "overlaying": "x", "side": "top",
                                  "showgrid": False}, margin={"t": _TOP_PX + 30})
        fig.add_trace(go.Scatter(x=[0], y=[None], xaxis="x2", showlegend=False,
                                 hoverinfo="skip", name="top axis"))
    apply(fig, title=title)
    return fig.update_layout(title_y=1 - 12 / height, title_yanchor="top")
