"""Interactions and the INP proxy: time from a click or key press to the next visual signal.

INP itself is not measurable from the stream (it carries no event-timing entries). The **INP
proxy** measures, per ``interaction_click`` / ``interaction_key``, the delay until the next visual
signal of the same navigation: a layout shift, an LCP candidate (their performance-timeline time)
or a screenshot (its ``ts``). A signal is only attributed to an input when it comes before the
next input, and screenshots the monitor took for a page-lifecycle event or an uncaught exception
(their ``source_event``) are not responses to input. Like web-vitals, the navigation's value is
the longest delay after dropping one outlier per 50 interactions. It is a proxy, named as such
everywhere.

Examples
--------
>>> import telemetry_lab
>>> from telemetry_lab.metrics.interactions import interactions
>>> table = interactions(telemetry_lab.load_sample())
>>> table[["nav_seq", "kind", "selector", "next_signal", "proxy_ms"]].head(3)
   nav_seq   kind       selector   next_signal  proxy_ms
0        1  click      .card-img          <NA>      <NA>
1        2  click  #reviews-more  layout_shift   126.423
2        2  click       #thumb-3          <NA>      <NA>
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from telemetry_lab.checks import require_frame, require_session
from telemetry_lab.metrics.columns import BOOL, FLOAT64, INT64, STRING, arrow, from_micros, micros
from telemetry_lab.metrics.navigations import assign_navigation, navigations

if TYPE_CHECKING:
    from telemetry_lab.session import Session

#: Interaction event types and their ``kind`` label (scrolls do not count, as in web-vitals).
INPUTS: dict[str, str] = {"interaction_click": "click", "interaction_key": "key"}

#: Visual signal event types and their label.
SIGNALS: dict[str, str] = {
    "page_layout_shift": "layout_shift",
    "page_lcp": "lcp_candidate",
    "monitor_screenshot": "screenshot",
}

#: Screenshot triggers that are not a response to input (``monitor_screenshot.source_event``).
UNPROMPTED_SCREENSHOTS = frozenset({
    "Page.loadEventFired", "Page.domContentEventFired", "Page.frameNavigated",
    "Runtime.exceptionThrown", "Target.attachedToTarget",
})

#: One outlier is dropped per this many interactions (web-vitals' p98 estimate).
OUTLIERS_PER = 50

_KEY = ["target_id", "nav_seq"]


def _owned(session: Session, types: dict[str, str], navs: pd.DataFrame) -> pd.DataFrame:
    """Events of ``types`` with their navigation key, label and time (µs, timeline first)."""
    parts = []
    for event_type, label in types.items():
        frame = session.frame(event_type, allow_missing=True)
        if event_type == "monitor_screenshot":
            frame = frame[~frame["source_event"].isin(UNPROMPTED_SCREENSHOTS).to_numpy(bool)]
        ts = micros(frame["ts"])
        timeline = micros(frame["time"]) if "time" in frame.columns else ts
        parts.append(pd.DataFrame({
            "seq": frame["seq"].to_numpy("int64"),
            "ts": from_micros(ts),
            "target_id": frame["target_id"].to_numpy(object),
            "loader_id": frame["loader_id"].to_numpy(object),
            "nav_seq": frame["nav_seq"].to_numpy("float64", na_value=np.nan),
            "label": label,
            "t": np.where(np.isnan(timeline), ts, timeline),
            "selector": frame["selector"].to_numpy(object) if "selector" in frame else None,
            "key": frame["key"].to_numpy(object) if "key" in frame else None,
        }))
    table = pd.concat(parts, ignore_index=True)
    owner = assign_navigation(table, navs)
    table = table.assign(
        target_id=owner["target_id"], nav_seq=owner["nav_seq"], start=micros(owner["nav_start"])
    )
    return table[table["nav_seq"].notna().to_numpy()].sort_values("t", kind="stable")


def interactions(session: Session, *, navs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every click and key press with its INP proxy delay.

    Parameters
    ----------
    session : telemetry_lab.Session
        A recording.
    navs : pandas.DataFrame, optional
        The session's :func:`~telemetry_lab.metrics.navigations.navigations`, when already
        computed.

    Returns
    -------
    pandas.DataFrame
        One row per interaction of a known navigation, in time order: ``seq``, ``target_id``,
        ``nav_seq``, ``kind`` (``click`` or ``key``), ``selector``, ``key``, ``at_ms`` (ms after
        the navigation start), ``next_signal`` (``layout_shift``, ``lcp_candidate`` or
        ``screenshot``; null when nothing visual followed in the navigation), ``proxy_ms``
        (the INP proxy delay), ``counted`` (the interaction that is the navigation's INP proxy)
        and ``reason`` (why not: ``no visual signal``, ``next input came first`` — the next
        signal followed a later input — or ``shorter``).

    Examples
    --------
    >>> import telemetry_lab
    >>> table = interactions(telemetry_lab.load_sample())
    >>> table.loc[table["counted"], ["nav_seq", "selector", "proxy_ms"]]
       nav_seq       selector  proxy_ms
    1        2  #reviews-more   126.423
    """
    require_session(session, function="interactions")
    if navs is not None:
        require_frame(navs, "navigations", function="interactions", argument="navs")
    navs = navigations(session) if navs is None else navs
    inputs = _owned(session, INPUTS, navs)
    signals = _owned(session, SIGNALS, navs)[[*_KEY, "t", "label"]]
    joined = pd.merge_asof(
        inputs, signals.rename(columns={"t": "signal_t", "label": "next_signal"}),
        left_on="t", right_on="signal_t", by=_KEY, direction="forward",
        allow_exact_matches=False,
    )
    next_input = joined.groupby(_KEY, sort=False, dropna=False)["t"].shift(-1).to_numpy()
    belongs = ~(joined["signal_t"].to_numpy("float64") > next_input)  # NaN: no next input
    proxy = np.where(belongs, (joined["signal_t"] - joined["t"]).to_numpy("float64") / 1e3, np.nan)
    counted = _pick(joined[_KEY], proxy)
    reason = np.full(len(proxy), None, dtype=object)
    reason[~counted] = "shorter"
    reason[np.isnan(proxy)] = "no visual signal"
    reason[~belongs] = "next input came first"
    return pd.DataFrame({
        "seq": arrow(joined["seq"], INT64),
        "target_id": arrow(joined["target_id"], STRING),
        "nav_seq": arrow(joined["nav_seq"], INT64),
        "kind": arrow(joined["label"], STRING),
        "selector": arrow(joined["selector"], STRING),
        "key": arrow(joined["key"], STRING),
        "at_ms": arrow(np.round((joined["t"] - joined["start"]).to_numpy() / 1e3, 3), FLOAT64),
        "next_signal": arrow(joined["next_signal"], STRING),
        "proxy_ms": arrow(np.round(proxy, 3), FLOAT64),
        "counted": arrow(counted, BOOL),
        "reason": arrow(reason, STRING),
    })


def _pick(keys: pd.DataFrame, proxy: np.ndarray) -> np.ndarray:
    """The interaction web-vitals would report per navigation: longest after dropping outliers."""
    frame = keys.assign(proxy=proxy)
    groups = frame.groupby(_KEY, sort=False, dropna=False)
    rank = groups["proxy"].rank(method="first", ascending=False).to_numpy() - 1
    measured = groups["proxy"].transform("count").to_numpy()
    total = groups["proxy"].transform("size").to_numpy()
    index = np.minimum(measured - 1, total // OUTLIERS_PER)
    return np.asarray(rank == index)


def inp_proxy(table: pd.DataFrame) -> pd.DataFrame:
    """Per navigation: ``inp_proxy_ms`` (the counted interaction's delay) and ``interactions``.

    Parameters
    ----------
    table : pandas.DataFrame
        The output of :func:`interactions`.

    Returns
    -------
    pandas.DataFrame
        One row per ``(target_id, nav_seq)`` with at least one interaction.

    Examples
    --------
    >>> import telemetry_lab
    >>> inp_proxy(interactions(telemetry_lab.load_sample()))
                              target_id  nav_seq  inp_proxy_ms  interactions
    0  854EADA1AAF6D55D74FA4B5C32D6EE27        1          <NA>             1
    1  854EADA1AAF6D55D74FA4B5C32D6EE27        2       126.423             6
    """
    groups = table.groupby(_KEY, sort=True, dropna=False)
    counted = table[table["counted"].to_numpy(dtype=bool)].set_index(_KEY)["proxy_ms"]
    out = groups.size().rename("interactions").to_frame()
    out.insert(0, "inp_proxy_ms", counted.reindex(out.index).astype(FLOAT64))
    out["interactions"] = out["interactions"].astype(INT64)
    return out.reset_index()
