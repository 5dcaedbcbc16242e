"""What each input caused: one row per (input, effect), by a documented attribution rule.

The stream carries no causal links, so attribution is a rule:

- **Inputs** are the page's own ``interaction_click``, ``interaction_key`` and
  ``interaction_scroll_settled``, and the agent's commands (``cdp_command``, ``api_call``; see
  :mod:`telemetry_lab.metrics.commands`). A command the page reports as its own input (a
  dispatched mouse or key event) opens no window: the page input it produced does, and the
  command's effect is that ``interaction``. Commands that act without a page input
  (``Page.navigate``, ``Input.insertText`` with no key event, …) open a window; commands that
  only look (``Page.captureScreenshot``) open none.
- **An effect belongs to the latest input before it on the same tab** (``target_id``; an input
  at the same instant counts as before), if it comes at most ``window_ms`` after that input:
  so it also comes before the next input on that tab, which starts a window of its own.
- **Effects**: a request (``network_request``, by its start; each redirect hop), a failed
  request (``network_loading_failed``, or a response with status ≥ 400, by its time), a
  top-level navigation of the tab, a tab it opened (``page_tab_opened`` whose ``opener_id`` is
  the input's tab), a layout shift or LCP candidate (by its performance-timeline time), a
  console log, ``console.error`` or uncaught exception (``console_error`` from
  ``Runtime.exceptionThrown``), a screenshot.
- **A navigation the input caused closes its window**: the navigation and its document request
  are effects, what the new document then loads belongs to that navigation's waterfall.

Times: the input's ``ts``; a command's as :func:`~telemetry_lab.metrics.commands.commands`
gives it. ``delay_ms`` is never negative.

Examples
--------
>>> import telemetry_lab
>>> from telemetry_lab.metrics.effects import effects
>>> table = effects(telemetry_lab.load_sample())
>>> clicked = table[table["input_selector"].eq("#reviews-more").to_numpy(bool)]
>>> clicked[["effect", "delay_ms", "detail"]].reset_index(drop=True)
         effect  delay_ms                     detail
0       request     2.258                  GET Fetch
1  layout_shift   126.423  0.0089 (had_recent_input)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from telemetry_lab.metrics._doc import shared_params
from telemetry_lab.metrics.columns import (
    FLOAT64,
    INT64,
    STRING,
    arrow,
    from_micros,
    micros,
    select,
)
from telemetry_lab.metrics.commands import WINDOW_MS, command_table, link, page_inputs
from telemetry_lab.metrics.navigations import (
    assign_navigation,
    disconnect_windows,
    given_navs,
)
from telemetry_lab.metrics.vitals import layout_shifts, lcp_candidates

if TYPE_CHECKING:
    from telemetry_lab.session import Session

#: Every value of ``effect``, in the order a person reads them.
EFFECTS: tuple[str, ...] = (
    "interaction", "request", "request_failed", "navigation", "tab_opened", "layout_shift",
    "lcp_candidate", "console_log", "console_error", "exception", "screenshot",
)
#: Effects that show the page visibly reacted (a screenshot only when the input triggered it).
VISUAL: tuple[str, ...] = ("navigation", "layout_shift", "lcp_candidate", "screenshot")
#: Screenshot triggers (``source_event``) that are not a response to input.
UNPROMPTED_SCREENSHOTS = frozenset({
    "Page.loadEventFired", "Page.domContentEventFired", "Page.frameNavigated",
    "Runtime.exceptionThrown", "Target.attachedToTarget",
})
_EXCEPTION = "Runtime.exceptionThrown"


def _text(values: pd.Series | np.ndarray) -> pd.Series:
    """Arrow strings with null as ``""`` (so ``+`` joins them in C++)."""
    return pd.Series(values).astype(STRING).fillna("")


def _rows(effect: str | np.ndarray, frame: pd.DataFrame, t: np.ndarray, target: object,
          url: object, detail: object, visual: object = False) -> pd.DataFrame:
    return pd.DataFrame({
        "effect": effect, "effect_seq": frame["seq"].to_numpy("int64"), "t": t,
        "target_id": target, "url": url, "detail": detail, "visual": visual,
    })


def _network(session: Session) -> list[pd.DataFrame]:
    keys = ("seq", "ts", "target_id", "request_id", "url")
    sent = select(session, "network_request", (*keys, "method", "resource_type"))
    requests = _rows("request", sent, micros(sent["ts"]), sent["target_id"].to_numpy(object),
                     sent["url"].to_numpy(object),
                     (_text(sent["method"]) + " " + _text(sent["resource_type"])).to_numpy())
    failed = select(session, "network_loading_failed", (*keys, "error_text", "canceled"))
    answered = select(session, "network_response", (*keys, "status", "status_text"))
    answered = answered[answered["status"].fillna(0).to_numpy("int64") >= 400]
    out = [requests]
    for frame, detail in (
        (failed, _text(failed["error_text"]).replace("", "unknown error")
         + np.where(failed["canceled"].fillna(False).to_numpy(bool), " (canceled)", "")),
        (answered, "HTTP " + _text(answered["status"]) + " " + _text(answered["status_text"])),
    ):
        asked = sent[sent["request_id"].isin(frame["request_id"]).to_numpy(bool)]
        urls = asked.drop_duplicates(["target_id", "request_id"], keep="last").set_index(
            ["target_id", "request_id"])["url"]
        where = pd.MultiIndex.from_frame(frame[["target_id", "request_id"]])
        url = frame["url"].fillna(pd.Series(urls.reindex(where).to_numpy(), index=frame.index))
        out.append(_rows("request_failed", frame, micros(frame["ts"]),
                         frame["target_id"].to_numpy(object), url.to_numpy(object),
                         pd.Series(detail).str.strip().to_numpy()))
    return out


def _page(session: Session, navs: pd.DataFrame, shifts: pd.DataFrame | None,
          lcp: pd.DataFrame | None) -> list[pd.DataFrame]:
    nav = session.frame("page_navigation", allow_missing=True)
    nav = nav[nav["parent_frame_id"].fillna("").eq("").to_numpy(bool)]
    own = navs.drop_duplicates(["target_id", "loader_id"], keep="last").set_index(
        ["target_id", "loader_id"])["nav_seq"]
    nav_seq = own.reindex(pd.MultiIndex.from_frame(nav[["target_id", "loader_id"]])).to_numpy(
        "float64", na_value=np.nan)
    tabs = session.frame("page_tab_opened", allow_missing=True)
    tabs = tabs[tabs["opener_id"].notna().to_numpy(bool)]
    shifts = layout_shifts(session, navs=navs) if shifts is None else shifts
    recent = np.where(shifts["had_recent_input"].fillna(False).to_numpy(bool),
                      " (had_recent_input)", "")
    lcp = lcp_candidates(session, navs=navs) if lcp is None else lcp
    size = lcp["size"].to_numpy("float64", na_value=np.nan)
    return [
        _rows("navigation", nav, micros(nav["ts"]), nav["target_id"].to_numpy(object),
              nav["url"].to_numpy(object), ("nav_seq " + _text(arrow(nav_seq, INT64))).to_numpy(),
              True),
        _rows("tab_opened", tabs, micros(tabs["ts"]), tabs["opener_id"].to_numpy(object),
              tabs["url"].to_numpy(object), ("tab " + _text(tabs["target_id"])).to_numpy()),
        _rows("layout_shift", shifts, micros(shifts["time"]),
              shifts["target_id"].to_numpy(object), None,
              np.char.add(np.char.mod("%.4f", shifts["value"].to_numpy("float64",
                                                                    na_value=np.nan)), recent),
              True),
        _rows("lcp_candidate", lcp, micros(lcp["time"]), lcp["target_id"].to_numpy(object),
              lcp["url"].to_numpy(object),
              (_text(lcp["element"]) + " (" + pd.Series(np.char.mod("%.0f", size)) + " px²)"
               ).to_numpy(), True),
    ]


def _console(session: Session) -> list[pd.DataFrame]:
    logs = session.frame("console_log", allow_missing=True)
    errors = session.frame("console_error", allow_missing=True)
    thrown = errors["source_event"].eq(_EXCEPTION).fillna(False).to_numpy(bool)
    return [
        _rows("console_log", logs, micros(logs["ts"]), logs["target_id"].to_numpy(object),
              logs["url"].to_numpy(object),
              (_text(logs["level"]) + ": " + _text(logs["text"])).to_numpy()),
        _rows(np.where(thrown, "exception", "console_error"), errors, micros(errors["ts"]),
              errors["target_id"].to_numpy(object), errors["url"].to_numpy(object),
              _text(errors["text"]).to_numpy()),
    ]


def _screens(session: Session) -> list[pd.DataFrame]:
    shots = select(session, "monitor_screenshot", ("seq", "ts", "target_id", "source_event"))
    trigger = shots["source_event"].astype(object)
    prompted = ~trigger.isin(UNPROMPTED_SCREENSHOTS).to_numpy(bool)
    return [_rows("screenshot", shots, micros(shots["ts"]), shots["target_id"].to_numpy(object),
                  None, ("trigger " + _text(trigger).replace("", "unknown")).to_numpy(),
                  prompted)]


def candidates(session: Session, navs: pd.DataFrame, *, shifts: pd.DataFrame | None = None,
               lcp: pd.DataFrame | None = None, visual_only: bool = False) -> pd.DataFrame:
    """Every event that can be an effect: ``effect``, ``effect_seq``, ``t`` (µs), ``target_id``
    (a popup's opener for ``tab_opened``), ``url``, ``detail``, ``visual``; in time order.

    ``shifts`` and ``lcp`` are the session's ``layout_shifts`` and ``lcp_candidates`` when
    already computed. ``visual_only`` leaves out requests and console output: attribution
    pairs each effect on its own, so the visual pairs (and responses) are the same."""
    parts = [*_page(session, navs, shifts, lcp), *_screens(session)]
    if not visual_only:
        parts = [*_network(session), *parts, *_console(session)]
    table = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)
    return table.sort_values(["t", "effect_seq"], kind="stable", ignore_index=True)


def inputs(session: Session, navs: pd.DataFrame, *, window_ms: float) -> pd.DataFrame:
    """Page inputs and agent commands in time order, with tab, navigation and links.

    Columns: ``seq``, ``t`` (µs), ``target_id``, ``nav_seq``, ``nav_start`` (µs), ``kind``
    (``click``, ``key``, ``scroll``, ``command``), ``selector`` (a command's label), ``key``,
    ``opens`` (the input opens an effects window), ``command_seq`` (a page input's command),
    ``produced_seq`` (the event a command produced), ``input_latency_ms``, ``unreliable`` (its
    window overlaps a monitor disconnect).
    """
    page = page_inputs(session)
    commands = link(command_table(session), page, window_ms=window_ms)
    page = page[page["kind"].ne("navigation").to_numpy(bool)]
    produced = commands.dropna(subset=["linked_seq"]).sort_values("t", kind="stable")
    produced = produced[produced["produces"].ne("navigation").to_numpy(bool)]
    last = produced.drop_duplicates("linked_seq", keep="last").set_index("linked_seq")
    by_seq = pd.Index(page["seq"].to_numpy("float64"))
    command_seq = last["seq"].reindex(by_seq).to_numpy("float64")
    latency = (page["t"].to_numpy() - last["t"].reindex(by_seq).to_numpy("float64")) / 1e3
    linked = commands["linked_seq"].notna().to_numpy(bool)
    table = pd.concat([
        page.assign(opens=True, command_seq=command_seq, produced_seq=np.nan,
                    input_latency_ms=np.round(latency, 3)),
        pd.DataFrame({
            "seq": commands["seq"].to_numpy("int64"), "t": commands["t"].to_numpy("float64"),
            "target_id": commands["target_id"].to_numpy(object), "loader_id": None,
            "nav_seq": np.nan, "kind": "command", "selector": commands["label"].to_numpy(object),
            "key": None,
            "opens": commands["role"].eq("acting").to_numpy(bool)
            & ~(linked & commands["produces"].ne("navigation").to_numpy(bool)),
            "command_seq": np.nan, "produced_seq": commands["linked_seq"].to_numpy("float64"),
            "input_latency_ms": commands["input_latency_ms"].to_numpy("float64"),
        }),
    ], ignore_index=True).sort_values(["t", "seq"], kind="stable", ignore_index=True)
    table = table[np.isfinite(table["t"].to_numpy("float64"))].reset_index(drop=True)
    owner = assign_navigation(table.assign(ts=from_micros(table["t"].to_numpy("float64"))), navs)
    table["nav_seq"] = owner["nav_seq"].to_numpy("float64", na_value=np.nan)
    table["nav_start"] = micros(owner["nav_start"])
    t = table["t"].to_numpy("float64")
    unreliable = np.zeros(len(table), dtype=bool)
    for lo, hi, _ in disconnect_windows(session):
        unreliable |= (t < hi) & (t + window_ms * 1e3 > lo)
    table["unreliable"] = unreliable
    return table.drop(columns=["loader_id", "frame_id", "url"], errors="ignore")


def attribute(inputs: pd.DataFrame, candidates: pd.DataFrame, *, window_ms: float
              ) -> pd.DataFrame:
    """Pair effects with inputs by the module's rule (pure).

    Returns one row per (input, effect): ``input_seq``, ``input_t``, ``effect``, ``effect_seq``,
    ``t``, ``url``, ``detail``, ``visual``, ``delay_us``.
    """
    openers = inputs[inputs["opens"].to_numpy(bool) & inputs["target_id"].notna().to_numpy(bool)]
    left = candidates[candidates["target_id"].notna().to_numpy(bool)
                      & np.isfinite(candidates["t"].to_numpy("float64"))].copy()
    left["target_id"] = arrow(left["target_id"].to_numpy(object), STRING).array
    right = pd.DataFrame({"input_t": openers["t"].to_numpy("float64"),
                          "input_seq": openers["seq"].to_numpy("int64"),
                          "target_id": arrow(openers["target_id"].to_numpy(object), STRING).array})
    joined = pd.merge_asof(left, right.sort_values("input_t", kind="stable"), left_on="t",
                           right_on="input_t", by="target_id", direction="backward")
    joined = joined[joined["input_seq"].notna().to_numpy(bool)]
    delay = joined["t"].to_numpy("float64") - joined["input_t"].to_numpy("float64")
    joined = joined.assign(delay_us=delay)[delay <= window_ms * 1e3]
    navigated = joined["t"].where(joined["effect"].eq("navigation").to_numpy(bool))
    closes = navigated.groupby(joined["input_seq"]).transform("min").to_numpy("float64")
    joined = joined[~(joined["t"].to_numpy("float64") > closes)]
    links = inputs[inputs["produced_seq"].notna().to_numpy(bool)]
    return pd.concat([joined, _link_rows(links, candidates, inputs)], ignore_index=True
                     ).drop_duplicates(["input_seq", "effect", "effect_seq"]).astype(
                         {"input_seq": "int64", "effect_seq": "int64"})


def _link_rows(links: pd.DataFrame, candidates: pd.DataFrame, inputs: pd.DataFrame
               ) -> pd.DataFrame:
    """A command's effect on the page input or navigation it produced."""
    page = inputs[inputs["kind"].ne("command").to_numpy(bool)].set_index("seq")
    navs = candidates[candidates["effect"].eq("navigation").to_numpy(bool)].set_index(
        "effect_seq")
    produced = links["produced_seq"].to_numpy("int64")
    is_page = np.isin(produced, page.index.to_numpy())
    at_page = page.reindex(produced)
    at_nav = navs.reindex(produced)
    detail = _text(at_page["kind"].to_numpy(object)) + " " + _text(
        at_page["selector"].fillna(at_page["key"]).to_numpy(object))
    t = np.where(is_page, at_page["t"].to_numpy("float64"), at_nav["t"].to_numpy("float64"))
    return pd.DataFrame({
        "effect": np.where(is_page, "interaction", "navigation"), "effect_seq": produced, "t": t,
        "target_id": links["target_id"].to_numpy(object),
        "url": at_nav["url"].where(~is_page).to_numpy(object),
        "detail": np.where(is_page, detail.str.strip().to_numpy(), at_nav["detail"].to_numpy()),
        "visual": ~is_page, "input_t": links["t"].to_numpy("float64"),
        "input_seq": links["seq"].to_numpy("int64"),
        "delay_us": t - links["t"].to_numpy("float64"),
    })


@shared_params
def effects(session: Session, *, window_ms: float = WINDOW_MS,
            navs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every (input, effect) pair by the attribution rule of this module.

    Parameters
    ----------
    {session}
    window_ms : float, default 1000
        How long after an input its effects may start (an effect exactly ``window_ms`` later
        still belongs to it).
    {navs}

    Returns
    -------
    pandas.DataFrame
        One row per (input, effect), by input then effect time: ``input_seq``, ``input_kind``
        (``click``, ``key``, ``scroll``, ``command``), ``input_selector`` (a command's method),
        ``input_ts``, ``target_id`` (the input's tab), ``nav_seq`` (the input's navigation),
        ``effect`` (one of :data:`EFFECTS`; ``interaction`` is the page input a command
        produced), ``effect_seq``, ``effect_ts``, ``delay_ms`` (≥ 0), ``url`` (the request,
        navigation, opened tab, LCP resource or console source) and ``detail`` (method and
        resource type of a request, status or error text of a failure, shift value with
        ``(had_recent_input)``, LCP element and size, console level and message, screenshot
        trigger, the opened tab's id, the produced input).

    Examples
    --------
    >>> import telemetry_lab
    >>> agent = effects(telemetry_lab.load_sample("agent"))
    >>> sign_in = agent[agent["input_seq"].eq(51).to_numpy(bool)].reset_index(drop=True)
    >>> sign_in[["effect", "effect_seq", "delay_ms", "url"]]
           effect  effect_seq  delay_ms                                     url
    0     request          52    28.056  http://127.0.0.1:37031/agent/api/login
    1     request          53   221.301     http://127.0.0.1:37031/agent/search
    2  navigation          54    282.46     http://127.0.0.1:37031/agent/search
    """
    navs = given_navs(session, navs, function="effects")
    table = inputs(session, navs, window_ms=window_ms)
    pairs = attribute(table, candidates(session, navs), window_ms=window_ms)
    return format_effects(table, pairs)


def format_effects(inputs: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """The public frame of :func:`effects` from :func:`inputs` and :func:`attribute`."""
    rank = pd.Series(np.arange(len(EFFECTS)), index=list(EFFECTS))
    pairs = pairs.assign(_rank=rank.reindex(pairs["effect"]).to_numpy()).sort_values(
        ["input_t", "input_seq", "t", "_rank", "effect_seq"], kind="stable", ignore_index=True)
    who = inputs.set_index("seq").reindex(pairs["input_seq"].to_numpy())
    return pd.DataFrame({
        "input_seq": arrow(pairs["input_seq"], INT64),
        "input_kind": arrow(who["kind"].to_numpy(object), STRING),
        "input_selector": arrow(who["selector"].to_numpy(object), STRING),
        "input_ts": from_micros(pairs["input_t"].to_numpy("float64")),
        "target_id": arrow(who["target_id"].to_numpy(object), STRING),
        "nav_seq": arrow(who["nav_seq"].to_numpy("float64"), INT64),
        "effect": arrow(pairs["effect"], STRING),
        "effect_seq": arrow(pairs["effect_seq"], INT64),
        "effect_ts": from_micros(pairs["t"].to_numpy("float64")),
        "delay_ms": arrow(np.round(pairs["delay_us"].to_numpy("float64") / 1e3, 3), FLOAT64),
        "url": arrow(pairs["url"], STRING),
        "detail": arrow(pairs["detail"], STRING),
    })
