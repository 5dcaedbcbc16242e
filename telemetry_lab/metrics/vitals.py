"""Core Web Vitals per navigation (web-vitals 6 semantics) and the audit of what counted.

- **CLS**: main-frame ``page_layout_shift`` entries without ``had_recent_input``, sorted by their
  timeline time; a shift joins the current session window when it is < 1000 ms after the
  previous shift and < 5000 ms after the window's first shift, else it opens a new window. CLS is
  the largest window sum (0 without shifts; on a tie the earliest window wins).
- **LCP**: main-frame ``page_lcp`` candidates; the last one (stream order) whose time is before
  the navigation's first ``interaction_click`` / ``interaction_key``. Its time is ``render_time``,
  else ``load_time`` (e.g. cross-origin images without ``Timing-Allow-Origin``), minus the
  navigation start (see :mod:`telemetry_lab.metrics.navigations`: a few ms late, so LCP reads
  a few ms low).
- **Response** (``response_ms``): the worst delay, over the navigation's clicks and key
  presses, until the page visibly reacted (see :mod:`telemetry_lab.metrics.interactions`). It
  includes deliberate delays such as a fetch; it is not INP (not measurable from the stream) and
  is never rated. ``input_latency_ms``: the worst delay from an agent command to the page's
  interaction event (null without agent commands).

A value equal to a rating boundary gets the better rating.

Examples
--------
>>> import telemetry_lab
>>> from telemetry_lab.metrics.vitals import vitals
>>> v = vitals(telemetry_lab.load_sample())
>>> v[["nav_seq", "lcp_ms", "cls", "cls_rating"]].round(4)
   nav_seq   lcp_ms     cls cls_rating
0        1   1133.2  0.0333       good
1        2  512.681  0.0541       good
2        3  153.364     0.0       good
>>> v["lcp_element"].tolist()[:2]
['#hero', '#main-image']
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from telemetry_lab.metrics._doc import shared_params
from telemetry_lab.metrics.columns import BOOL, FLOAT64, INT64, STRING, arrow, from_micros, micros
from telemetry_lab.metrics.navigations import assign_navigation, given_navs

if TYPE_CHECKING:
    from telemetry_lab.session import Session

#: (good, poor) boundaries: good <= first, poor > second (web-vitals 6).
THRESHOLDS: dict[str, tuple[float, float]] = {
    "lcp": (2500.0, 4000.0),
    "cls": (0.1, 0.25),
    "inp": (200.0, 500.0),
    "fcp": (1800.0, 3000.0),
    "ttfb": (800.0, 1800.0),
}



class AuditReason(StrEnum):
    """Why a layout shift or LCP candidate did not count (the ``reason`` column; null: it counted).

    ==================  =======================================  ==========================
    reason              meaning                                  in
    ==================  =======================================  ==========================
    ``iframe``          reported by a frame other than the       shifts, LCP candidates
                        navigation's main frame
    ``no navigation``   before any navigation of its tab         shifts, LCP candidates
    ``recent input``    ``had_recent_input``: within 500 ms of   shifts
                        a click or key press
    ``after input``     at or after the navigation's first       LCP candidates
                        click or key press
    ``superseded``      a later candidate became the LCP         LCP candidates
    ==================  =======================================  ==========================

    Members are strings: ``frame["reason"] == AuditReason.IFRAME`` and ``== "iframe"`` agree.
    """

    IFRAME = "iframe"
    NO_NAVIGATION = "no navigation"
    RECENT_INPUT = "recent input"
    AFTER_INPUT = "after input"
    SUPERSEDED = "superseded"


#: A shift joins a session window when closer than this to the previous shift (µs) ...
WINDOW_GAP_US = 1_000_000
#: ... and closer than this to the window's first shift (µs).
WINDOW_SPAN_US = 5_000_000

_KEY = ["target_id", "nav_seq"]


def rate(values: pd.Series | np.ndarray, metric: str) -> pd.Series:
    """web-vitals rating (``good``, ``needs-improvement``, ``poor``; null for null values).

    Examples
    --------
    >>> rate(pd.Series([2500, 2500.1, 4000.1, None]), "lcp").tolist()
    ['good', 'needs-improvement', 'poor', <NA>]
    """
    good, poor = THRESHOLDS[metric]
    v = np.asarray(pd.Series(values).to_numpy("float64", na_value=np.nan))
    out = np.full(len(v), None, dtype=object)
    out[v > poor] = "poor"
    out[(v > good) & (v <= poor)] = "needs-improvement"
    out[v <= good] = "good"
    return arrow(out, STRING)


def _owned(session: Session, event_type: str, navs: pd.DataFrame) -> tuple[pd.DataFrame, ...]:
    """The events of ``event_type``, their navigation, and whether they are main-frame entries."""
    frame = session.frame(event_type, allow_missing=True)
    owner = assign_navigation(frame, navs)
    source = frame["source_frame_id"].fillna(frame["frame_id"])
    main = source.eq(owner["nav_frame_id"]).fillna(False).to_numpy(dtype=bool)
    return frame, owner, pd.DataFrame({"main": main, "source_frame_id": source})


def _reasons(owner: pd.DataFrame, main: np.ndarray) -> np.ndarray:
    reason = np.full(len(owner), None, dtype=object)
    reason[~main] = AuditReason.IFRAME.value
    reason[owner["nav_seq"].isna().to_numpy()] = AuditReason.NO_NAVIGATION.value
    return reason


def _windows(group: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Session-window label (row index of its first shift) of shifts sorted by (group, t)."""
    n = len(t)
    first = np.ones(n, dtype=bool)
    first[1:] = (group[1:] != group[:-1]) | (np.diff(t) >= WINDOW_GAP_US)
    block = np.cumsum(first) - 1
    label = np.full(n, -1, dtype=np.int64)
    remaining = np.ones(n, dtype=bool)
    rows = np.arange(n)
    while remaining.any():
        head = remaining & (first | ~np.roll(remaining, 1))
        opener = np.full(block[-1] + 1, -1, dtype=np.int64)
        opener[block[head]] = rows[head]
        take = remaining & (t - t[opener[block]] < WINDOW_SPAN_US)
        label[take] = opener[block][take]
        remaining &= ~take
    return label


@shared_params
def layout_shifts(session: Session, *, navs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every layout shift with its session window and whether it counted towards CLS.

    Parameters
    ----------
    {session}
    {navs}

    Returns
    -------
    pandas.DataFrame
        One row per ``page_layout_shift`` sorted by navigation and time: ``seq``, ``target_id``,
        ``nav_seq``, ``time`` (timeline time, else ``ts``), ``at_ms`` (after the navigation
        start), ``value``, ``had_recent_input``, ``source_frame_id``, ``window`` (1-based session
        window within the navigation), ``window_sum`` (running sum of the window),
        ``in_cls_window`` (the shift is in the window that is the CLS), ``counted`` and
        ``reason`` (see :class:`AuditReason`: ``iframe``, ``recent input`` or
        ``no navigation``).

    Examples
    --------
    >>> import telemetry_lab
    >>> shifts = layout_shifts(telemetry_lab.load_sample())
    >>> shifts[["nav_seq", "at_ms", "value", "window", "counted", "reason"]].round(4)
       nav_seq     at_ms   value  window counted        reason
    0        1    1635.8  0.0333       1    True          <NA>
    1        2   961.681  0.0541       1    True          <NA>
    2        2  1549.181  0.0089    <NA>   False  recent input
    """
    navs = given_navs(session, navs, function="layout_shifts")
    frame, owner, where = _owned(session, "page_layout_shift", navs)
    ts = micros(frame["ts"])
    t = micros(frame["time"])
    t = np.where(np.isnan(t), ts, t)
    recent = frame["layout_shift_had_recent_input"].fillna(False).to_numpy(dtype=bool)
    reason = _reasons(owner, where["main"].to_numpy())
    reason[recent & pd.isna(reason)] = AuditReason.RECENT_INPUT.value
    table = pd.DataFrame({
        "seq": frame["seq"].to_numpy("int64"),
        "target_id": owner["target_id"].to_numpy(object),
        "nav_seq": owner["nav_seq"].to_numpy("float64", na_value=np.nan),
        "t": t,
        "at_ms": np.round((t - micros(owner["nav_start"])) / 1e3, 3),
        "value": frame["layout_shift_value"].to_numpy("float64", na_value=np.nan),
        "had_recent_input": recent,
        "source_frame_id": where["source_frame_id"].to_numpy(object),
        "reason": reason,
    }).sort_values([*_KEY, "t", "seq"], kind="stable", na_position="last")
    counted = table["reason"].isna().to_numpy()
    live = table[counted]
    group = live.groupby(_KEY, sort=False).ngroup().to_numpy()
    label = _windows(group, live["t"].to_numpy())
    windows = live[_KEY].assign(label=label, value=live["value"].to_numpy())
    total = windows.groupby("label")["value"].transform("sum").to_numpy()
    best = pd.Series(total).groupby(group).transform("max").to_numpy()
    candidate = pd.Series(np.where(total == best, label, len(label)))
    winner = candidate.groupby(group).transform("min").to_numpy()
    number = pd.Series(label).groupby(group).rank(method="dense").to_numpy()
    in_cls = np.zeros(len(table), dtype=bool)
    in_cls[counted] = label == winner
    window = np.full(len(table), np.nan)
    window[counted] = number
    running = np.full(len(table), np.nan)
    running[counted] = windows.groupby("label")["value"].cumsum().to_numpy()
    return pd.DataFrame({
        "seq": arrow(table["seq"], INT64),
        "target_id": arrow(table["target_id"], STRING),
        "nav_seq": arrow(table["nav_seq"], INT64),
        "time": from_micros(table["t"].to_numpy()),
        "at_ms": arrow(table["at_ms"], FLOAT64),
        "value": arrow(table["value"], FLOAT64),
        "had_recent_input": arrow(table["had_recent_input"], BOOL),
        "source_frame_id": arrow(table["source_frame_id"], STRING),
        "window": arrow(window, INT64),
        "window_sum": arrow(running, FLOAT64),
        "in_cls_window": arrow(in_cls, BOOL),
        "counted": arrow(counted, BOOL),
        "reason": arrow(table["reason"], STRING),
    })


def _first_input(session: Session, navs: pd.DataFrame) -> pd.Series:
    """Time (µs) of each navigation's first click or key press, indexed by (target_id, nav_seq)."""
    inputs = pd.concat(
        [session.frame(t, allow_missing=True)[["ts", "target_id", "loader_id", "nav_seq"]]
         for t in ("interaction_click", "interaction_key")],
        ignore_index=True,
    )
    owner = assign_navigation(inputs, navs)
    firsts = pd.DataFrame({
        "target_id": owner["target_id"].to_numpy(object),
        "nav_seq": owner["nav_seq"].to_numpy("float64", na_value=np.nan),
        "t": micros(inputs["ts"]),
    }).dropna(subset=["nav_seq"])
    return firsts.groupby(_KEY)["t"].min()


@shared_params
def lcp_candidates(session: Session, *, navs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every LCP candidate, and which one is each navigation's LCP.

    Parameters
    ----------
    {session}
    {navs}

    Returns
    -------
    pandas.DataFrame
        One row per ``page_lcp`` in stream order: ``seq``, ``target_id``, ``nav_seq``, ``time``
        (``render_time``, else ``load_time``, else the entry time, else ``ts``), ``time_source``,
        ``at_ms`` (after the navigation start), ``size``, ``element`` (``#<element_id>``, else
        the resource URL, else ``node <node_id>``), ``element_id``, ``url``, ``node_id``,
        ``source_frame_id``, ``first_input_ms`` (the navigation's first click or key press, null
        when none), ``counted`` (this candidate is the LCP) and ``reason`` (see
        :class:`AuditReason`: ``iframe``, ``after input``, ``superseded`` or ``no navigation``).

    Examples
    --------
    >>> import telemetry_lab
    >>> candidates = lcp_candidates(telemetry_lab.load_sample())
    >>> candidates[["nav_seq", "at_ms", "size", "time_source", "counted", "reason"]]
       nav_seq    at_ms      size  time_source counted      reason
    0        1    241.2   24300.0  render_time   False  superseded
    1        1   1133.2  408000.0  render_time    True        <NA>
    2        2  252.681   17748.0  render_time   False  superseded
    3        2  512.681  230400.0  render_time    True        <NA>
    4        3  153.364   14362.0  render_time    True        <NA>
    """
    navs = given_navs(session, navs, function="lcp_candidates")
    frame, owner, where = _owned(session, "page_lcp", navs)
    sources = {
        "render_time": micros(frame["lcp_render_time"]),
        "load_time": micros(frame["lcp_load_time"]),
        "time": micros(frame["time"]),
        "ts": micros(frame["ts"]),
    }
    t = np.full(len(frame), np.nan)
    source = np.full(len(frame), None, dtype=object)
    for name, values in reversed(sources.items()):
        usable = ~np.isnan(values)
        t[usable] = values[usable]
        source[usable] = name
    start = micros(owner["nav_start"])
    keys = pd.MultiIndex.from_arrays(
        [owner["target_id"].to_numpy(object), owner["nav_seq"].to_numpy("float64", na_value=np.nan)]
    )
    first_input = _first_input(session, navs).reindex(keys).to_numpy("float64")
    reason = _reasons(owner, where["main"].to_numpy())
    reason[pd.isna(reason) & (t >= first_input)] = AuditReason.AFTER_INPUT.value
    eligible = pd.isna(reason)
    order = pd.Series(np.where(eligible, frame["seq"].to_numpy("int64"), -1))
    last = order.groupby(keys.to_flat_index()).transform("max").to_numpy()
    counted = eligible & (order.to_numpy() == last)
    reason[eligible & ~counted] = AuditReason.SUPERSEDED.value
    element_id = frame["lcp_element_id"].fillna("").to_numpy(object)
    url = frame["lcp_url"].fillna("").to_numpy(object)
    node = frame["lcp_node_id"].astype(STRING).fillna("?").to_numpy(object)
    element = np.where(element_id != "", "#" + element_id,
                       np.where(url != "", url, "node " + node))
    return pd.DataFrame({
        "seq": arrow(frame["seq"], INT64),
        "target_id": arrow(owner["target_id"], STRING),
        "nav_seq": arrow(owner["nav_seq"], INT64),
        "time": from_micros(t),
        "time_source": arrow(source, STRING),
        "at_ms": arrow(np.round((t - start) / 1e3, 3), FLOAT64),
        "size": arrow(frame["lcp_size"], FLOAT64),
        "element": arrow(element, STRING),
        "element_id": arrow(frame["lcp_element_id"], STRING),
        "url": arrow(frame["lcp_url"], STRING),
        "node_id": arrow(frame["lcp_node_id"], INT64),
        "source_frame_id": arrow(where["source_frame_id"], STRING),
        "first_input_ms": arrow(np.round((first_input - start) / 1e3, 3), FLOAT64),
        "counted": arrow(counted, BOOL),
        "reason": arrow(reason, STRING),
    }).sort_values("seq", kind="stable", ignore_index=True)


@shared_params
def vitals(session: Session, *, navs: pd.DataFrame | None = None) -> pd.DataFrame:
    """LCP and CLS of every navigation, rated as web-vitals rates them, and its worst response.

    Parameters
    ----------
    {session}
    navs : pandas.DataFrame, optional
        The session's :func:`~telemetry_lab.metrics.navigations.navigations`, if computed
        (used as given, never recomputed).

    Returns
    -------
    pandas.DataFrame
        One row per navigation (as :func:`~telemetry_lab.metrics.navigations.navigations`,
        keyed by ``target_id`` and ``nav_seq``): ``target_id``, ``nav_seq``, ``url``,
        ``frame_id``, ``loader_id``, ``start``, ``start_source``, ``unreliable``,
        ``unreliable_reason``; ``ttfb_upper_ms`` (an upper bound of the time from the
        document request to its first byte, not TTFB: see
        :mod:`telemetry_lab.metrics.navigations`); ``lcp_ms``, ``lcp_element``,
        ``lcp_url``, ``lcp_size``, ``lcp_rating`` (null when no candidate counted); ``cls``,
        ``cls_rating``, ``cls_window_start_ms`` and ``cls_window_end_ms`` (first and last shift
        of the winning session window), ``cls_shifts`` (shifts in that window);
        ``response_ms`` (the worst response of its clicks and key presses: until the page
        visibly reacted, including deliberate delays such as a fetch; not INP, never rated),
        ``input_latency_ms`` (worst agent command to interaction delay; null without agent
        commands) and ``interactions`` (clicks and key presses).

    Examples
    --------
    >>> import telemetry_lab
    >>> v = vitals(telemetry_lab.load_sample())
    >>> v[["nav_seq", "lcp_rating", "cls_shifts", "response_ms", "interactions"]]
       nav_seq lcp_rating  cls_shifts  response_ms  interactions
    0        1       good           1       120.26             1
    1        2       good           1      907.688             6
    2        3       good           0         <NA>             0
    """
    navs = given_navs(session, navs, function="vitals")
    identity = ["target_id", "nav_seq", "url", "frame_id", "loader_id", "start", "start_source",
                "unreliable", "unreliable_reason", "ttfb_upper_ms"]
    out = navs[identity].set_index(_KEY)
    lcp = lcp_candidates(session, navs=navs)
    final = lcp[lcp["counted"].to_numpy(dtype=bool)].set_index(_KEY)
    for column, name in (("at_ms", "lcp_ms"), ("element", "lcp_element"), ("url", "lcp_url"),
                         ("size", "lcp_size")):
        out[name] = final[column].reindex(out.index)
    out["lcp_rating"] = rate(out["lcp_ms"], "lcp").set_axis(out.index)
    shifts = layout_shifts(session, navs=navs)
    window = shifts[shifts["in_cls_window"].to_numpy(dtype=bool)].groupby(_KEY)
    cls = window["value"].sum().reindex(out.index).fillna(0.0)
    out["cls"] = cls.astype(FLOAT64)
    out["cls_rating"] = rate(cls, "cls").set_axis(out.index)
    out["cls_window_start_ms"] = window["at_ms"].min().reindex(out.index)
    out["cls_window_end_ms"] = window["at_ms"].max().reindex(out.index)
    out["cls_shifts"] = window.size().reindex(out.index).fillna(0).astype(INT64)
    # effects attributes shifts and LCP candidates with this module's functions
    from telemetry_lab.metrics.effects import WINDOW_MS, attribute, candidates, inputs
    from telemetry_lab.metrics.interactions import responses, summarise

    table = inputs(session, navs, window_ms=WINDOW_MS)
    pairs = attribute(table, candidates(session, navs, shifts=shifts, lcp=lcp,
                                        visual_only=True), window_ms=WINDOW_MS)
    worst = responses(summarise(table, pairs)).set_index(_KEY)
    out["response_ms"] = worst["response_ms"].reindex(out.index)
    out["input_latency_ms"] = worst["input_latency_ms"].reindex(out.index)
    out["interactions"] = worst["interactions"].reindex(out.index).fillna(0).astype(INT64)
    return out.reset_index()
