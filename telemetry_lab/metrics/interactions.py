"""One row per input answering "what did this click do", and each input's response time.

Inputs and their effects are those of :mod:`telemetry_lab.metrics.effects` (same window, same
attribution rule). The **response time** (``response_ms``) of an input is the delay until the
page visibly reacted: its first visual effect inside its effects window (a navigation it caused,
a layout shift, an LCP candidate, a screenshot it triggered). It includes deliberate delays such
as a fetch or a timer, and it is **not INP**: the stream carries no event-timing entries, so INP
is not measurable from it, and this value is never rated with INP's thresholds. Per navigation,
:func:`responses` gives the worst response of its clicks and key presses, and with agent
commands present the worst **input latency** (command sent to the page's interaction event).

Examples
--------
>>> import telemetry_lab
>>> from telemetry_lab.metrics.interactions import interactions
>>> table = interactions(telemetry_lab.load_sample())
>>> clicks = table[table["kind"].eq("click").to_numpy(bool)].reset_index(drop=True)
>>> clicks[["nav_seq", "selector", "requests", "first_visual", "response_ms"]]
   nav_seq       selector  requests  first_visual  response_ms
0        1      .card-img         2    navigation       120.26
1        2  #reviews-more         1  layout_shift      126.423
2        2       #thumb-3         1          <NA>         <NA>
3        2           #qty         0          <NA>         <NA>
4        2   #add-to-cart         3    navigation      907.688
>>> clicks["navigated_to"].str.removeprefix("http://127.0.0.1:36621").tolist()
['/shop/product/trail-runner-2', <NA>, <NA>, <NA>, '/shop/cart']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from telemetry_lab.checks import require_frame
from telemetry_lab.metrics._doc import shared_params
from telemetry_lab.metrics.columns import BOOL, FLOAT64, INT64, STRING, arrow, from_micros
from telemetry_lab.metrics.effects import WINDOW_MS, attribute, candidates, inputs
from telemetry_lab.metrics.navigations import given_navs

if TYPE_CHECKING:
    from telemetry_lab.session import Session

#: Input kinds whose response counts towards a navigation's ``response_ms``.
RESPONSIVE: tuple[str, ...] = ("click", "key")
_KEY = ["target_id", "nav_seq"]
#: Summary columns: (column, effects counted).
_COUNTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("effects", ()),
    ("requests", ("request",)),
    ("failed_requests", ("request_failed",)),
    ("layout_shifts", ("layout_shift",)),
    ("console_errors", ("console_error", "exception")),
)


@shared_params
def interactions(session: Session, *, window_ms: float = WINDOW_MS,
                 navs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every input (clicks, key presses, scrolls, agent commands) with what it caused.

    Parameters
    ----------
    {session}
    window_ms : float, default 1000
        The effects window (see :func:`~telemetry_lab.metrics.effects.effects`).
    {navs}

    Returns
    -------
    pandas.DataFrame
        One row per input in time order: ``seq``, ``ts``, ``target_id``, ``nav_seq`` (null
        before the tab's first navigation), ``kind`` (``click``, ``key``, ``scroll``,
        ``command``), ``selector`` (a command's method), ``key``, ``at_ms`` (after the
        navigation start); what it caused: ``effects`` (all of them), ``requests``,
        ``failed_requests``, ``navigated_to`` (URL of the navigation it caused),
        ``tab_opened`` (id of the tab it opened), ``layout_shifts``, ``console_errors``
        (``console.error`` and uncaught exceptions), ``first_visual`` (the first visual
        effect) and ``response_ms`` (delay to it: until the page visibly reacted, including
        deliberate delays such as a fetch; not INP); the agent lane: ``command_seq`` (the
        command that produced a page input), ``produced_seq`` (the page input or navigation a
        command produced), ``input_latency_ms`` (command to page input); ``unreliable`` (the
        window overlaps a monitor disconnect: effects may be missing) and ``worst`` (the click
        or key press that is its navigation's ``response_ms``).

    Examples
    --------
    >>> import telemetry_lab
    >>> agent = interactions(telemetry_lab.load_sample("agent"))
    >>> clicks = agent[agent["kind"].eq("click").to_numpy(bool)].reset_index(drop=True)
    >>> clicks[["seq", "selector", "command_seq", "input_latency_ms"]].head(3)
       seq   selector  command_seq  input_latency_ms
    0   25  #username           24             9.864
    1   46  #password           45             2.657
    2   51   #sign-in           50              5.88
    """
    navs = given_navs(session, navs, function="interactions")
    table = inputs(session, navs, window_ms=window_ms)
    pairs = attribute(table, candidates(session, navs), window_ms=window_ms)
    return summarise(table, pairs)


def summarise(table: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """The frame of :func:`interactions` from effects' ``inputs`` and ``attribute`` (pure)."""
    seqs = pd.Index(table["seq"].to_numpy("int64"))
    out = pd.DataFrame({
        "seq": arrow(table["seq"], INT64),
        "ts": from_micros(table["t"].to_numpy("float64")),
        "target_id": arrow(table["target_id"], STRING),
        "nav_seq": arrow(table["nav_seq"], INT64),
        "kind": arrow(table["kind"], STRING),
        "selector": arrow(table["selector"], STRING),
        "key": arrow(table["key"], STRING),
        "at_ms": arrow(np.round((table["t"] - table["nav_start"]).to_numpy("float64") / 1e3, 3),
                       FLOAT64),
    })
    caused = pairs[pairs["effect"].ne("interaction").to_numpy(bool)]
    for column, kinds in _COUNTS:
        hit = caused if not kinds else caused[caused["effect"].isin(kinds).to_numpy(bool)]
        counts = hit.groupby("input_seq").size().reindex(seqs).fillna(0)
        out[column] = arrow(counts.to_numpy("int64"), INT64)
    for column, effect, field in (("navigated_to", "navigation", "url"),
                                  ("tab_opened", "tab_opened", "detail")):
        hit = pairs[pairs["effect"].eq(effect).to_numpy(bool)].drop_duplicates("input_seq")
        values = hit.set_index("input_seq")[field].reindex(seqs).to_numpy(object)
        if field == "detail":
            values = pd.Series(values).str.removeprefix("tab ").to_numpy(object)
        out[column] = arrow(values, STRING)
    visual = pairs[pairs["visual"].to_numpy(bool)].sort_values("delay_us", kind="stable")
    first = visual.drop_duplicates("input_seq").set_index("input_seq").reindex(seqs)
    out["first_visual"] = arrow(first["effect"].to_numpy(object), STRING)
    response = np.round(first["delay_us"].to_numpy("float64") / 1e3, 3)
    out["response_ms"] = arrow(response, FLOAT64)
    out["command_seq"] = arrow(table["command_seq"], INT64)
    out["produced_seq"] = arrow(table["produced_seq"], INT64)
    out["input_latency_ms"] = arrow(table["input_latency_ms"], FLOAT64)
    out["unreliable"] = arrow(table["unreliable"], BOOL)
    out["worst"] = arrow(_worst(table, response), BOOL)
    return out


def _worst(table: pd.DataFrame, response: np.ndarray) -> np.ndarray:
    """The responsive input with the longest response of each navigation (the first on ties)."""
    eligible = table["kind"].isin(RESPONSIVE).to_numpy(bool) & ~np.isnan(response)
    frame = pd.DataFrame({"target_id": table["target_id"].to_numpy(object),
                          "nav_seq": table["nav_seq"].to_numpy("float64"),
                          "response": np.where(eligible, response, np.nan)})
    rank = frame.groupby(_KEY, dropna=False)["response"].rank(method="first", ascending=False)
    return np.asarray(eligible & (rank.to_numpy() == 1))


def responses(table: pd.DataFrame) -> pd.DataFrame:
    """Per navigation: the worst response and input latency of its clicks and key presses.

    Parameters
    ----------
    table : pandas.DataFrame
        The output of :func:`interactions`.

    Returns
    -------
    pandas.DataFrame
        One row per ``(target_id, nav_seq)`` with inputs: ``response_ms`` (the longest
        ``response_ms`` of its clicks and key presses: until the page visibly reacted; not
        INP, never rated), ``input_latency_ms`` (the longest agent command to page input
        delay; null without agent commands) and ``interactions`` (clicks and key presses).

    Examples
    --------
    >>> import telemetry_lab
    >>> worst = responses(interactions(telemetry_lab.load_sample("agent")))
    >>> worst[["nav_seq", "response_ms", "input_latency_ms", "interactions"]]
       nav_seq  response_ms  input_latency_ms  interactions
    0        1       282.46            27.262             8
    1        2       90.065            34.914             7
    2        3      209.524             5.108             3
    """
    require_frame(table, "interactions", function="responses", argument="table")
    mine = table[table["kind"].isin(RESPONSIVE).to_numpy(bool) & table["nav_seq"].notna()
                 .to_numpy(bool)]
    groups = mine.groupby(_KEY, sort=True)
    out = pd.DataFrame({
        "response_ms": groups["response_ms"].max(),
        "input_latency_ms": groups["input_latency_ms"].max(),
        "interactions": groups.size(),
    })
    out["response_ms"] = out["response_ms"].astype(FLOAT64)
    out["input_latency_ms"] = out["input_latency_ms"].astype(FLOAT64)
    out["interactions"] = out["interactions"].astype(INT64)
    return out.reset_index()
