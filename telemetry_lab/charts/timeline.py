"""The interaction timeline: every tab's inputs, what they caused, and the page around them.

One shared time axis (seconds since the first event drawn), one block of lanes per tab:
``agent`` (commands, when the session has any), ``input`` (clicks, keys, scrolls, labelled by
selector or key), ``page`` (navigations, DOMContentLoaded, load, layout shifts sized by value,
recent-input ones hollow, LCP candidates), ``network`` (one segment per request hop from start
to end, coloured by resource type as the waterfall, failures crossed), ``console`` (logs,
``console.error``, uncaught exceptions) and ``screenshots`` (a thumbnail strip). Thin grey
connectors link each input to its effects (:func:`~telemetry_lab.metrics.effects.effects`);
monitor disconnect windows are shaded. Traces are grouped by kind, never one per event.

Examples
--------
>>> import telemetry_lab
>>> fig = plot_timeline(telemetry_lab.load_sample("agent"))
>>> [trace.name for trace in fig.data][:4]
['input → effect', 'agent command', 'click', 'key']
>>> len(fig.layout.images)
5
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from telemetry_lab.charts.theme import (
    FAILURE_COLOR,
    MARKER_COLORS,
    MUTED,
    RATING_COLORS,
    RESOURCE_TYPE_COLORS,
    SEQUENCE,
    apply,
    empty_figure,
)
from telemetry_lab.checks import require_frame, require_session
from telemetry_lab.metrics.columns import micros, select
from telemetry_lab.metrics.console import raw_messages
from telemetry_lab.metrics.effects import WINDOW_MS, attribute, candidates, inputs
from telemetry_lab.metrics.navigations import disconnect_windows, navigations
from telemetry_lab.metrics.network import request_spans
from telemetry_lab.metrics.screenshots import dimensions
from telemetry_lab.metrics.vitals import layout_shifts, lcp_candidates

if TYPE_CHECKING:
    from telemetry_lab.session import Session

#: Epoch µs to seconds on the figure's axis (NaN outside it).
Seconds = Callable[[np.ndarray], np.ndarray]
#: Lanes of a tab, top to bottom.
LANES: tuple[str, ...] = ("agent", "input", "page", "network", "console", "screenshots")
#: The lane each effect is drawn in.
EFFECT_LANES: dict[str, str] = {
    "interaction": "input", "request": "network", "request_failed": "network",
    "navigation": "page", "tab_opened": "page", "layout_shift": "page", "lcp_candidate": "page",
    "console_log": "console", "console_error": "console", "exception": "console",
    "screenshot": "screenshots",
}
_INPUT_SYMBOLS = {"click": "circle", "key": "diamond", "scroll": "triangle-down"}
_CONSOLE = {"log": (MUTED, "circle"), "warning": (RATING_COLORS["needs-improvement"], "circle"),
            "console": (FAILURE_COLOR, "circle"), "exception": ("#a50e0e", "x")}


#: Height of a lane in y units (the screenshot strip is taller, to show its thumbnails).
_HEIGHT = {"screenshots": 3.0}


class _Lanes:
    """y positions (top is 0): each tab a block of its lanes, one unit each, a gap between."""

    def __init__(self, tabs: list[str], agent: bool) -> None:
        self.lanes = [lane for lane in LANES if agent or lane != "agent"]
        self.tabs = tabs
        heights = np.array([_HEIGHT.get(lane, 1.0) for lane in self.lanes])
        self.centers = np.cumsum(heights) - heights / 2
        self.step = float(heights.sum()) + 1.0

    def y(self, tabs: np.ndarray, lane: str | np.ndarray) -> np.ndarray:
        index = pd.Index(self.tabs).get_indexer(pd.Index(pd.Series(tabs, dtype=object).fillna("")))
        lanes = pd.Index(self.lanes).get_indexer(pd.Index(np.broadcast_to(lane, index.shape)))
        y = index * self.step + self.centers[np.maximum(lanes, 0)]
        y[(index < 0) | (lanes < 0)] = np.nan
        return y

    def ticks(self) -> tuple[list[float], list[str]]:
        vals, text = [], []
        for i, tab in enumerate(self.tabs):
            for center, lane in zip(self.centers, self.lanes, strict=True):
                vals.append(float(i * self.step + center))
                text.append(f"{(tab or '?')[:4]} · {lane}")
        return vals, text


def _strings(values: np.ndarray) -> np.ndarray:
    """Text as a fixed-width unicode array (Plotly copies it at C speed, unlike objects)."""
    return np.asarray(pd.Series(values, dtype=object).fillna("").to_numpy(), dtype=str)


def _segments(x0: np.ndarray, x1: np.ndarray, y0: np.ndarray, y1: np.ndarray,
              text: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Line segments as one float trace, each ended by NaN (a gap, so one trace for all)."""
    keep = ~(np.isnan(x0) | np.isnan(x1) | np.isnan(y0) | np.isnan(y1))
    n = int(keep.sum())
    x = np.full(3 * n, np.nan)
    y = np.full(3 * n, np.nan)
    x[0::3], x[1::3] = x0[keep], x1[keep]
    y[0::3], y[1::3] = y0[keep], y1[keep]
    out = {"x": x, "y": y}
    if text is not None:
        out["text"] = np.repeat(_strings(np.asarray(text, dtype=object)[keep]), 3)
    return out


def _points(name: str, x: np.ndarray, y: np.ndarray, text: np.ndarray, *,
            symbol: str = "circle", color: str = MUTED, size: float | np.ndarray = 9,
            labels: np.ndarray | None = None) -> go.Scatter | None:
    keep = ~(np.isnan(x) | np.isnan(y))
    if not keep.any():
        return None
    sizes = size[keep] if isinstance(size, np.ndarray) else size
    return go.Scatter(
        name=name, x=x[keep], y=y[keep], hovertext=_strings(np.asarray(text, dtype=object)[keep]),
        hoverinfo="text+x", mode="markers+text" if labels is not None else "markers",
        text=None if labels is None else _strings(np.asarray(labels, dtype=object)[keep]),
        textposition="top center", textfont={"size": 10},
        marker={"symbol": symbol, "color": color, "size": sizes,
                "line": {"width": 1, "color": color}},
    )


def _darker(color: str) -> str:
    """The waterfall's pale fill at line strength (same hue)."""
    return color.replace("80%)", "50%)").replace("95%)", "60%)")


def plot_timeline(session: Session, *, navs: pd.DataFrame | None = None,
                  window_ms: float = WINDOW_MS, thumbnails: int = 24) -> go.Figure:
    """The interaction timeline of a session (see the module docstring for what is drawn).

    Parameters
    ----------
    session : telemetry_lab.Session
        A recording.
    navs : pandas.DataFrame, optional
        Rows of :func:`~telemetry_lab.metrics.navigations.navigations`: draw only their tabs
        and the time from the first one's start to the last one's end (default: everything).
    window_ms : float, default 1000
        The effects window of the input → effect links.
    thumbnails : int, default 24
        At most this many screenshots get a thumbnail (evenly spread); every screenshot has a
        marker.

    Returns
    -------
    plotly.graph_objects.Figure
        x: seconds since the first event drawn; y: one lane per tab and kind (tick labels
        ``<tab 4 chars> · <lane>``).
    """
    require_session(session, function="plot_timeline")
    if navs is not None:
        require_frame(navs, "navigations", function="plot_timeline", argument="navs")
    title = "Interaction timeline: inputs, commands and what they caused"
    if not len(session):
        return empty_figure("no events", title=title)
    every = navigations(session)
    chosen = every if navs is None else navs
    table = inputs(session, every, window_ms=window_ms)
    shifts = layout_shifts(session, navs=every)
    lcp = lcp_candidates(session, navs=every)
    pairs = attribute(table, candidates(session, every, shifts=shifts, lcp=lcp),
                      window_ms=window_ms)
    reqs = request_spans(session)
    events = session.events
    lo, hi = micros(events["ts"]).min() if len(events) else 0.0, np.inf
    if navs is not None and len(navs):
        lo, hi = float(micros(navs["start"]).min()), float(micros(navs["end"]).max())
    tabs = list(pd.unique(pd.concat([chosen["target_id"].astype(object),
                                     table["target_id"].astype(object)]).dropna()))
    if navs is not None:
        tabs = list(pd.unique(navs["target_id"].astype(object).dropna()))
    agent = table["kind"].eq("command").any()
    if agent and table["target_id"].isna().any():
        tabs.append("")
    lanes = _Lanes(tabs, bool(agent))

    def sec(us: np.ndarray) -> np.ndarray:
        us = np.asarray(us, dtype="float64")
        return np.where((us >= lo) & (us <= hi), (us - lo) / 1e6, np.nan)

    traces: list[go.Scatter | None] = []
    t_in = sec(pairs["input_t"].to_numpy("float64"))
    who = table.set_index("seq").reindex(pairs["input_seq"].to_numpy())
    from_lane = np.where(who["kind"].eq("command").to_numpy(bool), "agent", "input")
    to_lane = pairs["effect"].map(EFFECT_LANES).fillna("page").to_numpy(object)
    tab_of = who["target_id"].to_numpy(object)
    traces.append(go.Scatter(
        name="input → effect", mode="lines", hoverinfo="skip",
        line={"color": "rgba(95, 99, 104, 0.45)", "width": 1},
        **_segments(t_in, sec(pairs["t"].to_numpy("float64")), lanes.y(tab_of, from_lane),
                    lanes.y(tab_of, to_lane)),
    ))
    traces += _input_traces(table, lanes, sec)
    traces += _page_traces(every, shifts, lcp, lanes, sec)
    traces += _network_traces(reqs, every, lanes, sec)
    traces += _console_traces(session, lanes, sec)
    shots = select(session, "monitor_screenshot", ("seq", "ts", "target_id", "source_event"))
    shots = shots.sort_values(["ts", "seq"], kind="stable")
    shot_x = sec(micros(shots["ts"]))
    shot_y = lanes.y(shots["target_id"].to_numpy(object), "screenshots")
    traces.append(_points("screenshot", shot_x, shot_y,
                          ("screenshot · " + shots["source_event"].fillna("?")).to_numpy(object),
                          symbol="square", color=SEQUENCE[3]))
    fig = go.Figure()
    fig.add_traces([t for t in traces if t is not None])
    fig.update_layout(images=_thumbnails(session, shot_x, shot_y, thumbnails))
    for down, up, _ in disconnect_windows(session):
        x0, x1 = (max(down, lo) - lo) / 1e6, (min(up, hi, micros(events["ts"]).max()) - lo) / 1e6
        if x1 > x0:
            fig.add_vrect(x0=x0, x1=x1, fillcolor=MUTED, opacity=0.2, line_width=0,
                          annotation_text="monitor disconnected", annotation_position="top left")
    vals, text = lanes.ticks()
    origin = pd.Timestamp(lo * 1e3, tz="UTC") if np.isfinite(lo) else None
    fig.update_layout(
        height=int(min(260 + 30 * len(tabs) * lanes.step, 2600)),
        xaxis={"title": {"text": f"s since {origin:%Y-%m-%d %H:%M:%S} UTC" if origin is not None
                         else "s"}, "rangemode": "tozero"},
        yaxis={"tickvals": vals, "ticktext": text, "range": [len(tabs) * lanes.step - 0.8, -0.8],
               "showgrid": True, "zeroline": False},
        margin={"t": 150},
    )
    return apply(fig, title=title)


def _input_traces(table: pd.DataFrame, lanes: _Lanes, sec: Seconds) -> list[go.Scatter | None]:
    x = sec(table["t"].to_numpy("float64"))
    label = table["selector"].fillna(table["key"]).fillna("").astype(str).str.slice(0, 24)
    hover = (table["kind"] + " " + label).to_numpy(object)
    tab = table["target_id"].astype(object).fillna("")
    page = table["kind"].ne("command")
    shown = label.where(page).groupby(tab.where(page)).shift(1)
    written = label.where(label.ne(shown), "")  # repeated labels (typing) are written once
    out = []
    command = table["kind"].eq("command").to_numpy(bool)
    latency = table["input_latency_ms"].to_numpy("float64")
    note = np.where(np.isnan(latency), "", np.char.mod(" → %.1f ms", np.nan_to_num(latency)))
    out.append(_points("agent command", x[command],
                       lanes.y(table["target_id"].to_numpy(object)[command], "agent"),
                       (hover[command] + note[command]), symbol="triangle-right",
                       color=SEQUENCE[4], size=8))
    for kind, symbol in _INPUT_SYMBOLS.items():
        pick = table["kind"].eq(kind).to_numpy(bool)
        out.append(_points(kind, x[pick], lanes.y(table["target_id"].to_numpy(object)[pick],
                                                   "input"),
                           hover[pick], symbol=symbol, color=SEQUENCE[0], size=11,
                           labels=written.to_numpy(object)[pick]))
    return out


def _page_traces(navs: pd.DataFrame, shifts: pd.DataFrame, lcp: pd.DataFrame, lanes: _Lanes,
                 sec: Seconds) -> list[go.Scatter | None]:
    tab = navs["target_id"].to_numpy(object)
    y = lanes.y(tab, "page")
    start = micros(navs["start"])
    out = [_points("navigation", sec(start), y,
                   ("navigation #" + navs["nav_seq"].astype(str) + " " + navs["url"].fillna("")
                    ).to_numpy(object), symbol="line-ns-open", color=MARKER_COLORS[
                        "navigation start"], size=18)]
    for column, name in (("dom_content_loaded_ms", "DOMContentLoaded"), ("load_ms", "load")):
        at = start + navs[column].to_numpy("float64", na_value=np.nan) * 1e3
        out.append(_points(name, sec(at), y, np.full(len(navs), name, dtype=object),
                           symbol="line-ns-open", color=MARKER_COLORS[name], size=14))
    value = shifts["value"].to_numpy("float64", na_value=np.nan)
    recent = shifts["had_recent_input"].fillna(False).to_numpy(bool)
    sx, sy = sec(micros(shifts["time"])), lanes.y(shifts["target_id"].to_numpy(object), "page")
    text = np.char.mod("layout shift %.4f", value).astype(object)
    size = 7 + 60 * np.sqrt(np.nan_to_num(value))
    color = MARKER_COLORS["layout shift"]
    out.append(_points("layout shift", sx[~recent], sy[~recent], text[~recent], color=color,
                       size=size[~recent]))
    out.append(_points("layout shift (recent input)", sx[recent], sy[recent],
                       text[recent] + " (had_recent_input)", symbol="circle-open", color=color,
                       size=size[recent]))
    out.append(_points("LCP candidate", sec(micros(lcp["time"])),
                       lanes.y(lcp["target_id"].to_numpy(object), "page"),
                       ("LCP candidate " + lcp["element"].fillna("")).to_numpy(object),
                       symbol="star", color=MARKER_COLORS["LCP"], size=12))
    return out


def _network_traces(reqs: pd.DataFrame, navs: pd.DataFrame, lanes: _Lanes, sec: Seconds
                    ) -> list[go.Scatter | None]:
    start, end = reqs["start_us"].to_numpy("float64"), reqs["end_us"].to_numpy("float64")
    rank = reqs.groupby(reqs["target_id"].astype(object).fillna("")).cumcount().to_numpy()
    y = lanes.y(reqs["target_id"].to_numpy(object), "network") + (rank % 5 - 2) * 0.12
    kind = reqs["resource_type"].astype(object).fillna("Other").to_numpy(object)
    family = np.where(np.isin(kind, list(RESOURCE_TYPE_COLORS)), kind, "Other")
    outcome = np.where(reqs["failed"].to_numpy(bool), "failed",
                       np.where(np.isnan(end), "pending", "finished"))
    text: np.ndarray = (reqs["method"].fillna("") + " " + reqs["url"].fillna("") + " · "
                        + outcome).to_numpy(object)
    x0, x1 = sec(start), sec(end)
    out: list[go.Scatter | None] = []
    for name in [t for t in RESOURCE_TYPE_COLORS if t in set(family)]:
        pick = family == name
        out.append(go.Scatter(name=name, mode="lines", hoverinfo="text",
                              line={"color": _darker(RESOURCE_TYPE_COLORS[name]), "width": 3},
                              **_segments(x0[pick], x1[pick], y[pick], y[pick], text[pick])))
    failed = reqs["failed"].to_numpy(bool)
    out.append(_points("failed request", x1[failed], y[failed], text[failed], symbol="x",
                       color=FAILURE_COLOR, size=9))
    pending = np.isnan(end)
    out.append(_points("pending (never finished)", x0[pending], y[pending], text[pending],
                       symbol="line-ew-open", color=MUTED, size=9))
    return out


def _console_traces(session: Session, lanes: _Lanes, sec: Seconds) -> list[go.Scatter | None]:
    rows, kinds = raw_messages(session)
    x = sec(micros(rows["ts"]))
    y = lanes.y(rows["target_id"].to_numpy(object), "console")
    warning = rows["level"].eq("warning").fillna(False).to_numpy(bool)
    kind = np.where((kinds == "log") & warning, "warning", kinds)
    text = (rows["level"].fillna("") + ": " + rows["text"].fillna("").str.slice(0, 160)
            ).to_numpy(object)
    names = {"log": "console.log", "warning": "console warning", "console": "console.error",
             "exception": "uncaught exception"}
    return [_points(names[k], x[kind == k], y[kind == k], text[kind == k], symbol=symbol,
                    color=color, size=10) for k, (color, symbol) in _CONSOLE.items()]


def _thumbnails(session: Session, x: np.ndarray, y: np.ndarray, limit: int
                ) -> list[dict[str, object]]:
    """Up to ``limit`` screenshots (evenly spread) as images on their lane; only real PNGs."""
    usable = np.flatnonzero(~(np.isnan(x) | np.isnan(y)))
    if not len(usable) or limit <= 0:
        return []
    chosen = usable[np.unique(np.linspace(0, len(usable) - 1, min(limit, len(usable))).round()
                              .astype(int))]
    frame = select(session, "monitor_screenshot", ("ts", "seq"))
    order = frame.assign(row=np.arange(len(frame))).sort_values(["ts", "seq"], kind="stable")
    rows = order["row"].to_numpy()[chosen]
    taken = session.table("monitor_screenshot")["png"].take(rows)
    drawable = ~np.isnan(dimensions(taken)[0])  # a PNG, not garbage the browser cannot show
    png = [data if ok else None for data, ok in zip(taken.to_pylist(), drawable, strict=True)]
    span = float(np.nanmax(x) - np.nanmin(x)) if len(usable) > 1 else 2.0
    width = max(min(1.9, span / max(len(chosen), 1)), span / 30, 0.05)
    return [{"source": "data:image/png;base64," + data, "xref": "x", "yref": "y",
             "x": float(x[i]), "y": float(y[i]), "sizex": width,
             "sizey": _HEIGHT["screenshots"] * 0.9, "xanchor": "center", "yanchor": "middle",
             "sizing": "contain", "layer": "above"}
            for i, data in zip(chosen, png, strict=True) if data]
