"""Top-level navigations of each target (tab) and the rule that assigns events to them.

A navigation is a ``page_navigation`` without ``parent_frame_id`` (an iframe navigation has one).
Everything a target emits until its next top-level navigation belongs to it. The stream carries
no navigation start time: the best estimate is the ``ts`` of the navigation's main document
``network_request`` (a ``Document`` request with the navigation's ``loader_id`` on its frame),
else the ``page_navigation`` itself, which arrives 13 to 110 ms late; ``start_source`` records
which one was used.

**The navigation key.** Every metric output joins :func:`navigations` (and ``vitals()``) on
(``target_id``, ``nav_seq``), with ``nav_seq`` as :func:`navigations` numbers it and
:func:`assign_navigation` assigns it. The raw event frames' ``nav_seq`` is the monitor's: the
navigation that was current in the tab when the event was sent. A navigation's own document
request is sent before that navigation commits, so its raw ``nav_seq`` is the *previous*
navigation's (or null for a tab's first page): join raw frames through
:func:`assign_navigation`, never on their ``nav_seq``.

**The document's first byte.** The stream never carries the main document's response. What it
does say: the parser had the document's first bytes when the document started its first
subresource request, so ``ttfb_upper_ms`` (that request's time after the navigation start) is an
**upper bound** of the time from the document request to its first byte. It is not TTFB:
web-vitals measures TTFB from the page's time origin, which the stream lacks. On real Chromium
loads the bound held against web-vitals' TTFB 27 times out of 28; it failed once, when the start
estimate itself was 91 ms late.

Examples
--------
>>> import telemetry_lab
>>> from telemetry_lab.metrics.navigations import navigations
>>> navs = navigations(telemetry_lab.load_sample())
>>> navs[["nav_seq", "start_source", "ttfb_upper_ms", "load_ms"]]
   nav_seq      start_source  ttfb_upper_ms   load_ms
0        1  document_request        105.646  1128.158
1        2  document_request        134.292   492.305
2        3  document_request         61.511   196.291
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from telemetry_lab.checks import describe, require_frame, require_session
from telemetry_lab.errors import WrongInputError
from telemetry_lab.metrics._doc import shared_params
from telemetry_lab.metrics.columns import (
    BOOL,
    FLOAT64,
    INT64,
    STRING,
    TIME,
    arrow,
    from_micros,
    micros,
)
from telemetry_lab.seqs import neighbours

if TYPE_CHECKING:
    from telemetry_lab.session import Session

#: Columns that name a navigation (the key is ``target_id`` + ``nav_seq``).
IDENTITY: tuple[str, ...] = ("target_id", "nav_seq", "url", "frame_id", "loader_id")

#: Milestone event types and the column holding their delay after the navigation start.
MILESTONES: dict[str, str] = {
    "page_dom_content_loaded": "dom_content_loaded_ms",
    "page_load": "load_ms",
    "network_idle": "network_idle_ms",
    "page_layout_settled": "layout_settled_ms",
    "page_navigation_settled": "navigation_settled_ms",
}

def _top_level(session: Session) -> pd.DataFrame:
    nav = session.frame("page_navigation", allow_missing=True)
    top = nav[nav["parent_frame_id"].fillna("").eq("").to_numpy(dtype=bool)]
    return top.sort_values(["ts", "seq"], kind="stable").reset_index(drop=True)


def _nav_seqs(top: pd.DataFrame, events: pd.DataFrame) -> np.ndarray:
    """Each navigation's ``nav_seq``: its own, else the one its loader's events carry, else counted.

    A navigation's document request carries the *previous* ``nav_seq``, so requests are left out.
    Navigations still unknown continue the count from the last known one of their target.
    """
    tagged = events[
        events["nav_seq"].notna().to_numpy(dtype=bool)
        & events["loader_id"].notna().to_numpy(dtype=bool)
        & events["type"].ne("network_request").fillna(True).to_numpy(dtype=bool)
    ]
    carried = tagged.groupby(["target_id", "loader_id"], dropna=False)["nav_seq"].max()
    keys = pd.MultiIndex.from_frame(top[["target_id", "loader_id"]])
    known = top["nav_seq"].to_numpy(dtype="float64", na_value=np.nan)
    known = np.where(np.isnan(known), carried.reindex(keys).to_numpy("float64", na_value=np.nan),
                     known)
    frame = pd.DataFrame({"target": top["target_id"].to_numpy(object), "known": known})
    block = frame["known"].notna().groupby(frame["target"], dropna=False).cumsum()
    base = frame.groupby("target", dropna=False)["known"].ffill().fillna(0).to_numpy()
    step = frame.groupby([frame["target"], block], dropna=False).cumcount().to_numpy()
    return np.where(block.to_numpy() == 0, step + 1, base + step).astype(np.int64)


def _document_bounds(session: Session, top: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``ts`` (µs) of each navigation's first main-document request and of the first other
    request its document started (same target, frame and loader, at or after it); NaN when none.
    """
    requests = session.frame("network_request", allow_missing=True)
    keys = ["target_id", "frame_id", "loader_id"]
    is_doc = requests["resource_type"].eq("Document").fillna(False).to_numpy(dtype=bool)
    stamped = requests[keys].assign(_us=micros(requests["ts"]))
    index = pd.MultiIndex.from_frame(top[keys])
    first = stamped[is_doc].groupby(keys, dropna=False)["_us"].min()
    doc = first.reindex(index).to_numpy(dtype="float64")
    subs = stamped[~is_doc]
    sub_keys = pd.MultiIndex.from_frame(subs[keys])
    doc_start = first.reindex(sub_keys).to_numpy(dtype="float64")
    after = subs[subs["_us"].to_numpy() >= doc_start]
    first_sub = after.groupby(keys, dropna=False)["_us"].min()
    return doc, first_sub.reindex(index).to_numpy(dtype="float64")


def _positions(frame: pd.DataFrame, navs: pd.DataFrame) -> np.ndarray:
    """Row position in ``navs`` of the navigation each row of ``frame`` belongs to (-1: none)."""
    n = len(frame)
    if n == 0 or len(navs) == 0:
        return np.full(n, -1, dtype=np.int64)
    table = pd.DataFrame({
        "target_id": navs["target_id"].to_numpy(object),
        "nav_seq": navs["nav_seq"].to_numpy("float64", na_value=np.nan),
        "loader_id": navs["loader_id"].to_numpy(object),
        "commit": micros(navs["committed"]),
        "pos": np.arange(len(navs), dtype=np.int64),
    })
    target = frame["target_id"].to_numpy(object)
    seq = frame["nav_seq"].to_numpy("float64", na_value=np.nan)
    loader = frame["loader_id"].to_numpy(object)
    by_seq = table.drop_duplicates(["target_id", "nav_seq"]).set_index(["target_id", "nav_seq"])
    at_seq = by_seq["pos"].reindex(pd.MultiIndex.from_arrays([target, seq])).to_numpy("float64")
    by_loader = table.drop_duplicates(["target_id", "loader_id"], keep="last").set_index(
        ["target_id", "loader_id"]
    )
    at_loader = (
        by_loader["pos"].reindex(pd.MultiIndex.from_arrays([target, loader])).to_numpy("float64")
    )
    at_time = _by_time(target, micros(frame["ts"]), table)
    has_loader = ~np.isnan(at_loader)
    by_loader_wins = has_loader & (np.isnan(at_seq) | (at_loader != at_seq))
    chosen = np.where(
        by_loader_wins, at_loader, np.where(np.isnan(seq), at_time, at_seq)
    )
    return np.where(np.isnan(chosen), -1, chosen).astype(np.int64)


def _by_time(target: np.ndarray, ts: np.ndarray, table: pd.DataFrame) -> np.ndarray:
    """Position of the last navigation of the same target committed at or before ``ts``."""
    left = pd.DataFrame({"target_id": arrow(target, STRING), "ts": ts, "row": np.arange(len(ts))})
    left = left[~np.isnan(ts)].sort_values("ts", kind="stable")
    right = table.sort_values("commit", kind="stable")[["target_id", "commit", "pos"]]
    right["target_id"] = arrow(right["target_id"].to_numpy(object), STRING).set_axis(right.index)
    joined = pd.merge_asof(
        left, right, left_on="ts", right_on="commit", by="target_id", direction="backward"
    )
    out = np.full(len(ts), np.nan)
    out[joined["row"].to_numpy()] = joined["pos"].to_numpy("float64", na_value=np.nan)
    return out


def assign_navigation(frame: pd.DataFrame, navs: pd.DataFrame) -> pd.DataFrame:
    """The navigation each event of ``frame`` belongs to.

    Rule, in order: a ``loader_id`` equal to a navigation's of the same target (so a
    navigation's own document request, which carries the previous ``nav_seq``, joins the new
    navigation); else ``(target_id, nav_seq)``; else, for events without ``nav_seq``, the last
    navigation of the target that committed (``page_navigation.ts``) at or before the event's
    ``ts``. Events carrying a ``nav_seq`` whose navigation is not in the stream get none.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any event table (needs ``ts``, ``target_id``, ``loader_id``, ``nav_seq``).
    navs : pandas.DataFrame
        The output of :func:`navigations`.

    Returns
    -------
    pandas.DataFrame
        Same index as ``frame``; columns ``target_id``, ``nav_seq``, ``nav_url``,
        ``nav_frame_id`` and ``nav_start`` of the navigation (all null when the event belongs to
        none).

    Examples
    --------
    >>> import telemetry_lab
    >>> session = telemetry_lab.load_sample()
    >>> requests = session.frame("network_request")
    >>> owner = assign_navigation(requests, navigations(session))
    >>> owner["nav_seq"].value_counts().sort_index().tolist()
    [54, 31, 16]
    """
    require_frame(navs, "navigations", function="assign_navigation", argument="navs")
    if not isinstance(frame, pd.DataFrame) or not {"ts", "target_id", "loader_id",
                                                    "nav_seq"} <= set(frame.columns):
        raise WrongInputError(
            f"assign_navigation expected an event frame (session.frame(...), with ts, "
            f"target_id, loader_id and nav_seq), got {describe(frame)}. Pass "
            "session.frame(event_type)."
        )
    pos = _positions(frame, navs)
    found = pos >= 0
    take = np.where(found, pos, 0)
    out = pd.DataFrame(index=frame.index)
    for column, name, dtype in (("target_id", "target_id", STRING), ("nav_seq", "nav_seq", INT64),
                                ("url", "nav_url", STRING), ("frame_id", "nav_frame_id", STRING),
                                ("start", "nav_start", TIME)):
        values = (navs[column].to_numpy(object)[take] if len(navs)
                  else np.full(len(pos), None, dtype=object))
        values[~found] = None
        out[name] = arrow(values, dtype).set_axis(frame.index)
    return out


def _unreliable(session: Session, start: np.ndarray, end: np.ndarray) -> pd.Series:
    """Why each navigation may be missing events (null when nothing overlaps it)."""
    windows = disconnect_windows(session) + _seq_gaps(session)
    reasons = np.full(len(start), "", dtype=object)
    for lo, hi, text in windows:
        hit = (lo < end) & (hi > start)
        reasons = np.where(hit, np.where(reasons == "", text, reasons + "; " + text), reasons)
    reasons[reasons == ""] = None
    return arrow(reasons, STRING)


def disconnect_windows(session: Session) -> list[tuple[float, float, str]]:
    """Monitor disconnect windows: from ``monitor_disconnected`` to the next reconnect (or ever).

    Each window is ``(start, end, "monitor disconnected")``, in microseconds since the epoch
    (``end`` is infinite when no reconnect followed): CDP events may be missing inside it.

    Examples
    --------
    >>> import telemetry_lab
    >>> disconnect_windows(telemetry_lab.load_sample())
    []
    """
    down = micros(session.frame("monitor_disconnected", allow_missing=True)["ts"])
    up = np.sort(micros(session.frame("monitor_reconnected", allow_missing=True)["ts"]))
    after = np.searchsorted(up, down, side="left")
    ends = np.append(up, np.inf)[after]
    return [(lo, hi, "monitor disconnected") for lo, hi in zip(down, ends, strict=True)]


def _seq_gaps(session: Session) -> list[tuple[float, float, str]]:
    """Seq gaps as time windows between the events on either side of the gap."""
    gaps = session.gaps
    if len(gaps) == 0:
        return []
    events = session.events.sort_values("seq", kind="stable")
    seqs = events["seq"].to_numpy("int64")
    times = micros(events["ts"])
    before, after = neighbours(seqs, gaps["start"].to_numpy("int64"))
    out = []
    for b, a, (first, last, missing) in zip(
        before.tolist(), after.tolist(),
        gaps[["start", "end", "missing"]].itertuples(index=False), strict=True,
    ):
        lo = times[b] if b >= 0 else -np.inf
        hi = times[a] if a < len(seqs) else np.inf
        out.append((lo, hi, f"seq gap: {missing} events missing (seq {first}-{last})"))
    return out


def given_navs(session: Session, navs: pd.DataFrame | None, *, function: str) -> pd.DataFrame:
    """``navs`` checked as ``session``'s :func:`navigations` (used as given), else computed.

    Every metric taking ``navs=`` starts with this: a wrong ``session`` or ``navs`` raises
    :class:`~telemetry_lab.errors.WrongInputError` naming ``function``.
    """
    require_session(session, function=function)
    if navs is None:
        return navigations(session)
    require_frame(navs, "navigations", function=function, argument="navs")
    return navs


@shared_params
def navigations(session: Session) -> pd.DataFrame:
    """One row per top-level navigation of each target, with its start and milestones.

    Parameters
    ----------
    {session}

    Returns
    -------
    pandas.DataFrame
        Sorted by ``start``. Columns: ``target_id``, ``nav_seq``, ``url``, ``frame_id``,
        ``loader_id``; ``start`` (timestamp) and ``start_source`` (``document_request`` or
        ``page_navigation``); ``committed`` (the ``page_navigation`` ts); ``ttfb_upper_ms``
        (an upper bound, not TTFB: ms from the document request to the first subresource
        request its document started, by which the first byte had arrived; null without a
        document request or subresource);
        ``dom_content_loaded_ms``, ``load_ms``, ``network_idle_ms``, ``layout_settled_ms``,
        ``navigation_settled_ms`` (first such event of the navigation, ms after ``start``; null
        when it never came); ``end`` (the next navigation's start in the same target, else the
        last event of the session); ``unreliable`` and ``unreliable_reason`` (a monitor
        disconnect or a seq gap overlaps ``start`` to ``end``: events may be missing).

    Examples
    --------
    >>> import telemetry_lab
    >>> navs = navigations(telemetry_lab.load_sample())
    >>> navs["url"].str.removeprefix("http://127.0.0.1:36621").tolist()
    ['/shop/', '/shop/product/trail-runner-2', '/shop/cart']
    >>> bool(navs["unreliable"].any())
    False
    """
    require_session(session, function="navigations")
    top = _top_level(session)
    events = session.events
    committed = micros(top["ts"])
    document, first_sub = _document_bounds(session, top)
    start = np.where(np.isnan(document), committed, document)
    navs = pd.DataFrame({
        "target_id": top["target_id"].astype(STRING),
        "nav_seq": arrow(_nav_seqs(top, events), INT64),
        "url": top["url"].astype(STRING),
        "frame_id": top["frame_id"].astype(STRING),
        "loader_id": top["loader_id"].astype(STRING),
        "start": from_micros(start),
        "start_source": arrow(
            np.where(np.isnan(document), "page_navigation", "document_request"), STRING
        ),
        "committed": from_micros(committed),
        "ttfb_upper_ms": arrow(np.round((first_sub - document) / 1e3, 3), FLOAT64),
    })
    milestones = events[events["type"].isin(list(MILESTONES)).to_numpy(dtype=bool)]
    pos = _positions(milestones, navs)
    owned = pd.DataFrame({"type": milestones["type"].to_numpy(object), "pos": pos,
                          "ts": micros(milestones["ts"])})[pos >= 0]
    first = owned.groupby(["type", "pos"])["ts"].min()
    for event_type, column in MILESTONES.items():
        at = first.get(event_type, pd.Series(dtype="float64")).reindex(np.arange(len(navs)))
        navs[column] = arrow(np.round((at.to_numpy("float64") - start) / 1e3, 3), FLOAT64)
    last = micros(events["ts"]).max() if len(events) else np.nan
    following = pd.Series(start).groupby(navs["target_id"].to_numpy(object), dropna=False)
    end = following.shift(-1).fillna(last).to_numpy("float64")
    navs["end"] = from_micros(end)
    reason = _unreliable(session, start, end)
    navs["unreliable"] = reason.notna().astype(BOOL)
    navs["unreliable_reason"] = reason
    order = np.argsort(start, kind="stable")
    return navs.iloc[order].reset_index(drop=True)
