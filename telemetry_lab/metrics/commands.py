"""The agent lane: the automation client's commands, their tab and the page input they produced.

Two event types carry the agent's own actions: ``cdp_command`` (a CDP command sent through
Kernel's CDP proxy: ``data.method``, for input commands ``data.event_type``) and ``api_call``
(a call to the in-VM API, named by ``data.operation_id``). Each command has a **role**:

- ``gesture``: the page reports it as its own input (``Input.dispatchMouseEvent``,
  ``Input.dispatchKeyEvent``, touch, drag and synthesized gestures; the API's click, type, key,
  scroll, move and drag operations). It opens no effects window: the page input it produced
  does.
- ``acting``: it changes the page without a page input (``Input.insertText``, ``Page.navigate``,
  ``Page.reload``, ``Runtime``-free commands such as ``DOM.setFileInputFiles``, any method this
  module does not know): it opens an effects window of its own unless it produced a key press.
- ``observing``: it only looks (``Page.captureScreenshot``, ``Page.printToPDF``, screencasts, the
  API's screenshot, recording, process and file operations): no window, no effects.

**Link.** ``mousePressed`` / ``mouseReleased`` (and taps) produce the next ``interaction_click``
on their tab, ``keyDown`` / ``rawKeyDown`` / ``char`` / ``Input.insertText`` the next
``interaction_key``, ``mouseWheel`` / scroll gestures the next ``interaction_scroll_settled``,
``Page.navigate`` / ``Page.reload`` / ``Page.navigateToHistoryEntry`` the next top-level
``page_navigation``. An input is linked within ``window_ms`` of its command (navigations at any
delay), and a page input takes only the latest command of each kind before it (two ``keyDown``
before one ``interaction_key``: the second). The delay is the agent's **input latency**.

**Tab.** Commands carry no target: a command with a ``target_id`` keeps it; a ``Page.navigate``
whose ``frame_id`` is a tab's main frame takes that tab; with a single tab in the session, that
tab; else the tab of the first page input or navigation that follows within ``window_ms``; else
the tab of the other commands of its CDP session. An ``api_call`` is placed at its handler's
start (``ts`` minus ``duration_ms``).

Examples
--------
>>> import telemetry_lab
>>> from telemetry_lab.metrics.commands import commands
>>> session = telemetry_lab.load_sample("agent")
>>> agent = commands(session)
>>> agent[["seq", "role", "produces", "linked_seq", "input_latency_ms"]].iloc[:4]
   seq     role    produces  linked_seq  input_latency_ms
0    3   acting  navigation           5            80.159
1   22  gesture        <NA>        <NA>              <NA>
2   23  gesture       click          25            15.901
3   24  gesture       click          25             9.864
>>> agent["label"].iloc[2]
'Input.dispatchMouseEvent:mousePressed'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from telemetry_lab.checks import require_session
from telemetry_lab.metrics._doc import shared_params
from telemetry_lab.metrics.columns import FLOAT64, INT64, STRING, arrow, from_micros, micros

if TYPE_CHECKING:
    from telemetry_lab.session import Session

#: The default window (ms): of an input's effects, and of a command's page input.
WINDOW_MS = 1000.0
#: What a CDP command produces on the page, by ``method`` or ``method:event_type``.
CDP_PRODUCES: dict[str, str] = {
    "Input.dispatchMouseEvent:mousePressed": "click",
    "Input.dispatchMouseEvent:mouseReleased": "click",
    "Input.dispatchMouseEvent:mouseWheel": "scroll",
    "Input.dispatchKeyEvent:keyDown": "key",
    "Input.dispatchKeyEvent:rawKeyDown": "key",
    "Input.dispatchKeyEvent:char": "key",
    "Input.insertText": "key",
    "Input.imeSetComposition": "key",
    "Input.synthesizeTapGesture": "click",
    "Input.dispatchTouchEvent:touchEnd": "click",
    "Input.synthesizeScrollGesture": "scroll",
    "Page.navigate": "navigation",
    "Page.reload": "navigation",
    "Page.navigateToHistoryEntry": "navigation",
}
#: CDP methods that only look at the page.
CDP_OBSERVING = frozenset({
    "Page.captureScreenshot", "Page.captureSnapshot", "Page.printToPDF", "Page.startScreencast",
    "Page.stopScreencast", "Target.openDevTools", "Browser.cancelDownload",
})
#: CDP methods (besides the ``Input.dispatch*`` family) the page reports as its own input.
CDP_GESTURES = frozenset({
    "Input.synthesizeTapGesture", "Input.synthesizeScrollGesture",
    "Input.synthesizePinchGesture", "Input.emulateTouchFromMouseEvent", "Input.cancelDragging",
})
#: ``api_call`` operations: (substring of the lower-case ``operation_id``, role, produces).
API_OPERATIONS: tuple[tuple[str, str, str | None], ...] = (
    ("screenshot", "observing", None), ("record", "observing", None),
    ("process", "observing", None), ("file", "observing", None), ("log", "observing", None),
    ("click", "gesture", "click"), ("type", "gesture", "key"), ("presskey", "gesture", "key"),
    ("key", "gesture", "key"), ("scroll", "gesture", "scroll"), ("drag", "gesture", None),
    ("mouse", "gesture", None), ("navigate", "acting", "navigation"),
)
#: Page input event types by what a command produces.
PAGE_INPUTS: dict[str, str] = {
    "interaction_click": "click", "interaction_key": "key", "interaction_scroll_settled": "scroll",
}


def _cdp(frame: pd.DataFrame) -> pd.DataFrame:
    method = frame["method"].astype(object).fillna("?").to_numpy(object)
    phase = frame["event_type"].astype(object).to_numpy(object)
    label = np.where(pd.isna(phase), method, method + ":" + phase.astype(str))
    produces = pd.Series(label).map(CDP_PRODUCES).fillna(pd.Series(method).map(CDP_PRODUCES))
    input_dispatch = pd.Series(method).str.startswith("Input.dispatch").to_numpy(bool)
    gesture = input_dispatch | np.isin(method, list(CDP_GESTURES))
    role = np.where(gesture, "gesture", np.where(np.isin(method, list(CDP_OBSERVING)),
                                                 "observing", "acting"))
    return pd.DataFrame({
        "seq": frame["seq"].to_numpy("int64"),
        "t": micros(frame["ts"]),
        "type": "cdp_command",
        "target_id": frame["target_id"].to_numpy(object),
        "frame_id": frame["frame_id"].to_numpy(object),
        "session_id": frame["session_id"].to_numpy(object),
        "label": label,
        "role": role,
        "produces": produces.to_numpy(object),
    })


def _api(frame: pd.DataFrame) -> pd.DataFrame:
    operation = frame["operation_id"].astype(object).fillna("?").to_numpy(object)
    lower = pd.Series(operation).str.lower()
    role = np.full(len(frame), "acting", dtype=object)
    produces = np.full(len(frame), None, dtype=object)
    known = np.zeros(len(frame), dtype=bool)
    for needle, kind, effect in API_OPERATIONS:
        hit = lower.str.contains(needle, regex=False).to_numpy(bool) & ~known
        role[hit], produces[hit] = kind, effect
        known |= hit
    duration = frame["duration_ms"].to_numpy("float64", na_value=np.nan)
    return pd.DataFrame({
        "seq": frame["seq"].to_numpy("int64"),
        "t": micros(frame["ts"]) - np.nan_to_num(duration) * 1e3,
        "type": "api_call",
        "target_id": frame["target_id"].to_numpy(object),
        "frame_id": frame["frame_id"].to_numpy(object),
        "session_id": frame["session_id"].to_numpy(object),
        "label": operation,
        "role": role,
        "produces": produces,
    })


def _next_of(left: pd.DataFrame, right: pd.DataFrame, *, by: str | None,
             tolerance: float | None) -> pd.DataFrame:
    """For each row of ``left`` (t), the first row of ``right`` (t, seq, target_id) after it."""
    rows = pd.DataFrame({"t": left["t"].to_numpy("float64"), "row": np.arange(len(left))})
    keys = [by] if by else []
    for key in keys:
        rows[key] = arrow(left[key].to_numpy(object), STRING)
    rows = rows[np.isfinite(rows["t"].to_numpy())]
    if by:
        rows = rows[rows[by].notna().to_numpy(bool)]
    other = pd.DataFrame({
        "t_next": right["t"].to_numpy("float64"),
        "seq_next": right["seq"].to_numpy("float64"),
        "target_next": right["target_id"].to_numpy(object),
    })
    if by:
        other[by] = arrow(right["target_id"].to_numpy(object), STRING)
    joined = pd.merge_asof(
        rows.sort_values("t", kind="stable"), other.sort_values("t_next", kind="stable"),
        left_on="t", right_on="t_next", by=by, direction="forward",
        tolerance=None if tolerance is None else int(tolerance),
    )
    out = pd.DataFrame({"t_next": np.nan, "seq_next": np.nan, "target_next": None},
                       index=np.arange(len(left)))
    rows_at = joined["row"].to_numpy()
    out.loc[rows_at, "t_next"] = joined["t_next"].to_numpy("float64")
    out.loc[rows_at, "seq_next"] = joined["seq_next"].to_numpy("float64")
    out.loc[rows_at, "target_next"] = joined["target_next"].to_numpy(object)
    return out


def _resolve_tabs(table: pd.DataFrame, targets: pd.DataFrame, frames: pd.Series,
                  window_us: float) -> np.ndarray:
    """The tab of each command (see the module docstring for the order of the rules)."""
    tab = table["target_id"].to_numpy(object).copy()
    missing = pd.isna(tab)
    by_frame = table["frame_id"].map(frames).to_numpy(object)
    tab[missing] = by_frame[missing]
    tabs = pd.unique(targets["target_id"].dropna().to_numpy(object))
    if len(tabs) == 1:
        tab[pd.isna(tab)] = tabs[0]
    following = _next_of(table, targets, by=None, tolerance=window_us)["target_next"]
    missing = pd.isna(tab)
    tab[missing] = following.to_numpy(object)[missing]
    session = pd.Series(tab).groupby(table["session_id"].fillna("").to_numpy(object))
    spread = session.transform(lambda s: s.ffill().bfill()).to_numpy(object)
    missing = pd.isna(tab)
    tab[missing] = spread[missing]
    return tab


def link(table: pd.DataFrame, page: pd.DataFrame, *, window_ms: float) -> pd.DataFrame:
    """Each command's tab and the page input or navigation it produced (pure).

    Parameters
    ----------
    table : pandas.DataFrame
        Commands: ``seq``, ``t`` (µs), ``target_id``, ``frame_id``, ``session_id``, ``label``,
        ``role``, ``produces``.
    page : pandas.DataFrame
        Page inputs and top-level navigations: ``seq``, ``t``, ``target_id``, ``kind`` (``click``,
        ``key``, ``scroll``, ``navigation``) and ``frame_id`` (a navigation's main frame).
    window_ms : float
        Longest input latency for a click, key or scroll.

    Returns
    -------
    pandas.DataFrame
        ``table`` with ``target_id`` resolved, ``linked_seq``, ``linked_t`` and
        ``input_latency_ms`` (null when the command produced nothing).
    """
    window_us = window_ms * 1e3
    navs = page[page["kind"].eq("navigation").to_numpy(bool)]
    mains = navs.dropna(subset=["frame_id"]).drop_duplicates("frame_id", keep="last")
    frames = mains.set_index("frame_id")["target_id"]
    out = table.assign(target_id=_resolve_tabs(table, page, frames, window_us))
    linked_seq = np.full(len(out), np.nan)
    linked_t = np.full(len(out), np.nan)
    for kind in ("click", "key", "scroll", "navigation"):
        mine = out["produces"].eq(kind).fillna(False).to_numpy(bool)
        if not mine.any():
            continue
        found = _next_of(out[mine], page[page["kind"].eq(kind).to_numpy(bool)], by="target_id",
                         tolerance=None if kind == "navigation" else window_us)
        linked_seq[mine] = found["seq_next"].to_numpy("float64")
        linked_t[mine] = found["t_next"].to_numpy("float64")
    claims = pd.DataFrame({"linked": linked_seq, "label": out["label"].to_numpy(object),
                           "t": out["t"].to_numpy("float64")})
    latest = claims["t"].groupby([claims["linked"], claims["label"]]).transform("max")
    stale = ~np.isnan(linked_seq) & (claims["t"].to_numpy() < latest.to_numpy("float64"))
    linked_seq[stale] = np.nan
    linked_t[stale] = np.nan
    out["linked_seq"] = linked_seq
    out["linked_t"] = linked_t
    out["input_latency_ms"] = np.round((linked_t - out["t"].to_numpy("float64")) / 1e3, 3)
    return out


def page_inputs(session: Session) -> pd.DataFrame:
    """Page inputs and top-level navigations, the events commands produce.

    Returns
    -------
    pandas.DataFrame
        ``seq``, ``t`` (µs), ``target_id``, ``loader_id``, ``nav_seq``, ``frame_id``,
        ``kind`` (``click``, ``key``, ``scroll``, ``navigation``), ``selector`` (a scroll's
        ``target_selector``), ``key`` and ``url``, in time order.
    """
    parts = []
    for event_type, kind in (*PAGE_INPUTS.items(), ("page_navigation", "navigation")):
        frame = session.frame(event_type, allow_missing=True)
        if kind == "navigation":
            frame = frame[frame["parent_frame_id"].fillna("").eq("").to_numpy(bool)]
        selector = "target_selector" if kind == "scroll" else "selector"
        parts.append(pd.DataFrame({
            "seq": frame["seq"].to_numpy("int64"),
            "t": micros(frame["ts"]),
            "target_id": frame["target_id"].to_numpy(object),
            "loader_id": frame["loader_id"].to_numpy(object),
            "nav_seq": frame["nav_seq"].to_numpy("float64", na_value=np.nan),
            "frame_id": frame["frame_id"].to_numpy(object),
            "kind": kind,
            "selector": frame[selector].to_numpy(object) if selector in frame else None,
            "key": frame["key"].to_numpy(object) if "key" in frame else None,
            "url": frame["url"].to_numpy(object),
        }))
    return pd.concat(parts, ignore_index=True).sort_values(["t", "seq"], kind="stable",
                                                            ignore_index=True)


def command_table(session: Session) -> pd.DataFrame:
    """The session's ``cdp_command`` and ``api_call`` events as one unlinked command table."""
    parts = [_cdp(session.frame("cdp_command", allow_missing=True)),
             _api(session.frame("api_call", allow_missing=True))]
    return pd.concat(parts, ignore_index=True).sort_values(["t", "seq"], kind="stable",
                                                            ignore_index=True)


@shared_params
def commands(session: Session, *, window_ms: float = WINDOW_MS) -> pd.DataFrame:
    """Every agent command with its role, tab, the page input it produced and its latency.

    Parameters
    ----------
    {session}
    window_ms : float, default 1000
        Longest delay from a command to the click, key press or scroll it produced.

    Returns
    -------
    pandas.DataFrame
        In time order: ``seq``, ``ts`` (an ``api_call``'s handler start), ``type``
        (``cdp_command`` or ``api_call``), ``target_id`` (resolved as the module docstring
        says; null when nothing tells), ``label`` (``method`` or ``method:event_type``, the
        ``operation_id`` of an API call), ``role`` (``gesture``, ``acting``, ``observing``),
        ``produces`` (``click``, ``key``, ``scroll``, ``navigation`` or null), ``linked_seq``
        (the seq of the ``interaction_*`` or ``page_navigation`` it produced) and
        ``input_latency_ms`` (command to that event).
    """
    require_session(session, function="commands")
    linked = link(command_table(session), page_inputs(session), window_ms=window_ms)
    return pd.DataFrame({
        "seq": arrow(linked["seq"], INT64),
        "ts": from_micros(linked["t"].to_numpy("float64")),
        "type": arrow(linked["type"], STRING),
        "target_id": arrow(linked["target_id"], STRING),
        "label": arrow(linked["label"], STRING),
        "role": arrow(linked["role"], STRING),
        "produces": arrow(linked["produces"], STRING),
        "linked_seq": arrow(linked["linked_seq"], INT64),
        "input_latency_ms": arrow(linked["input_latency_ms"], FLOAT64),
    })
