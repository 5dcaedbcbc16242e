"""Console output grouped the way a person reads it: by message template and source location.

``console_log`` carries ``console.log`` / ``info`` / ``warn`` / ``debug`` calls (``level``);
``console_error`` carries ``console.error`` calls (``source_event``
``Runtime.consoleAPICalled``) and **uncaught exceptions** (``Runtime.exceptionThrown``), which
are kept apart as kind ``exception``. A message's **template** is its text with URLs, quoted
strings, UUIDs, hex ids and numbers replaced by ``<url>``, ``<str>``, ``<uuid>``, ``<hex>`` and
``<num>``, so repeats of one message with different values group together. Hex ids are ``0x…``
or 8 and more hex digits. A message's **location** is ``url:line`` of the exception
(``source_url``, ``line``), else of the top stack frame, the line 1-based as DevTools shows it.

Examples
--------
>>> import telemetry_lab
>>> from telemetry_lab.metrics.console import console
>>> groups = console(telemetry_lab.load_sample())
>>> groups[["nav_seq", "kind", "level", "count"]].iloc[5:8]
   nav_seq       kind  level  count
5        2        log    log      1
6        2    console  error      1
7        2  exception  error      1
>>> groups["template"].iloc[1]
'[shop] home: <num> best sellers, <num> trending'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from telemetry_lab.checks import require_frame, require_session
from telemetry_lab.metrics._doc import shared_params
from telemetry_lab.metrics.columns import FLOAT64, INT64, STRING, TIME, arrow, micros
from telemetry_lab.metrics.navigations import assign_navigation, given_navs

if TYPE_CHECKING:
    from telemetry_lab.session import Session

#: Placeholders, applied in this order (a URL's digits are not numbers of their own).
TEMPLATE_RULES: tuple[tuple[str, str], ...] = (
    (r"\b[a-z][a-z0-9+.-]*://[^\s\"'<>]+", "<url>"),
    (r"\"[^\"]*\"|'[^']*'|`[^`]*`", "<str>"),
    (r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b",
     "<uuid>"),
    (r"\b0x[0-9a-fA-F]+\b|\b[0-9a-fA-F]{8,}\b", "<hex>"),
    (r"\d+(?:\.\d+)?", "<num>"),
)
#: Order of ``kind`` in the output.
KINDS: tuple[str, ...] = ("log", "console", "exception")
_FRAME = r'"callFrames":\[(\{[^{}]*\})'
_EXCEPTION = "Runtime.exceptionThrown"


def template(text: pd.Series) -> pd.Series:
    """Message templates (see the module docstring).

    Examples
    --------
    >>> template(pd.Series(["took 12.5 ms for 'abc' at https://x.test/a?b=1"])).tolist()
    ['took <num> ms for <str> at <url>']
    """
    out = text.astype(STRING).fillna("")
    for pattern, placeholder in TEMPLATE_RULES:
        out = out.str.replace(pattern, placeholder, regex=True)
    return out


def _top_frame(stack: pd.Series) -> pd.DataFrame:
    """``function``, ``url`` and 1-based ``line`` of each stack trace's first call frame."""
    first = stack.astype(STRING).str.extract(_FRAME)[0]
    parts = pd.DataFrame({
        "function": first.str.extract(r'"functionName":"([^"]*)"')[0],
        "url": first.str.extract(r'"url":"([^"]*)"')[0],
        "line": first.str.extract(r'"lineNumber":(\d+)')[0].astype(FLOAT64) + 1,
        "column": first.str.extract(r'"columnNumber":(\d+)')[0].astype(FLOAT64) + 1,
    })
    return parts


def raw_messages(session: Session) -> tuple[pd.DataFrame, np.ndarray]:
    """``console_log`` and ``console_error`` rows in one frame, and each one's ``kind``."""
    logs = session.frame("console_log", allow_missing=True)
    errors = session.frame("console_error", allow_missing=True)
    frame = pd.concat([logs, errors], ignore_index=True)
    thrown = frame["source_event"].eq(_EXCEPTION).fillna(False).to_numpy(bool)
    error = frame["type"].eq("console_error").fillna(False).to_numpy(bool)
    return frame, np.where(thrown, "exception", np.where(error, "console", "log"))


@shared_params
def messages(session: Session, *, navs: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per console message: its navigation, kind, template and location.

    Parameters
    ----------
    {session}
    {navs}

    Returns
    -------
    pandas.DataFrame
        In time order: ``seq``, ``ts``, ``target_id``, ``nav_seq``, ``at_ms`` (after the
        navigation start), ``kind`` (``log``, ``console`` for ``console.error``, ``exception``),
        ``level``, ``text``, ``template``, ``location`` (``url:line``), ``top_frame``
        (``function (url:line:column)`` of the first stack frame).

    Examples
    --------
    >>> import telemetry_lab
    >>> messages(telemetry_lab.load_sample())["kind"].value_counts().to_dict()
    {'log': 8, 'console': 1, 'exception': 1}
    """
    navs = given_navs(session, navs, function="console_messages")
    frame, kind = raw_messages(session)
    thrown = kind == "exception"
    top = _top_frame(frame["stack_trace"])
    url = frame["source_url"].astype(STRING).fillna(top["url"])
    line = (frame["line"].astype(FLOAT64) + 1).fillna(top["line"])
    location = (url + ":" + line.astype(INT64).astype(STRING)).fillna(url)
    function = top["function"].replace("", "(anonymous)")
    top_frame = (function + " (" + top["url"] + ":" + top["line"].astype(INT64).astype(STRING)
                 + ":" + top["column"].astype(INT64).astype(STRING) + ")")
    owner = assign_navigation(frame, navs)
    t = micros(frame["ts"])
    level = frame["level"].astype(STRING).mask(frame["level"].isna().to_numpy(bool) & thrown,
                                               "error")
    out = pd.DataFrame({
        "seq": arrow(frame["seq"], INT64),
        "target_id": arrow(owner["target_id"].fillna(frame["target_id"]), STRING),
        "nav_seq": arrow(owner["nav_seq"], INT64),
        "at_ms": arrow(np.round((t - micros(owner["nav_start"])) / 1e3, 3), FLOAT64),
        "kind": arrow(kind, STRING),
        "level": arrow(level, STRING),
        "text": arrow(frame["text"], STRING),
        "template": arrow(template(frame["text"]), STRING),
        "location": arrow(location, STRING),
        "top_frame": arrow(top_frame, STRING),
    })
    out.insert(1, "ts", frame["ts"].astype(TIME).reset_index(drop=True))
    return out.sort_values(["ts", "seq"], kind="stable", ignore_index=True)


@shared_params
def console(session: Session, *, navs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Console messages grouped by navigation, kind, level, template and source location.

    Parameters
    ----------
    {session}
    {navs}

    Returns
    -------
    pandas.DataFrame
        One row per group, by navigation then first appearance: ``target_id``, ``nav_seq``,
        ``kind`` (``log``, ``console`` for ``console.error``, ``exception`` for uncaught
        exceptions), ``level``, ``template``, ``location``, ``count``, ``first_seen``,
        ``last_seen`` (timestamps), ``first_ms`` (after the navigation start), ``example``
        (the first message's text), ``top_frame`` (of the first message).

    Examples
    --------
    >>> import telemetry_lab
    >>> groups = console(telemetry_lab.load_sample())
    >>> thrown = groups[groups["kind"].eq("exception").to_numpy(bool)].iloc[0]
    >>> int(thrown["nav_seq"]), thrown["location"].removeprefix("http://127.0.0.3:36621")
    (2, '/ads/slot.js?client=pub-4471&slot=pdp-sidebar:7')
    >>> thrown["top_frame"].split(" ")[0]
    'refreshSlot'
    """
    require_session(session, function="console")
    if navs is not None:
        require_frame(navs, "navigations", function="console", argument="navs")
    rows = messages(session, navs=navs)
    keys = ["target_id", "nav_seq", "kind", "level", "template", "location"]
    groups = rows.groupby(keys, dropna=False, sort=False)
    out = groups.agg(count=("seq", "size"), first_seen=("ts", "min"), last_seen=("ts", "max"),
                     first_ms=("at_ms", "min"), example=("text", "first"),
                     top_frame=("top_frame", "first")).reset_index()
    out["count"] = out["count"].astype(INT64)
    order = pd.Categorical(out["kind"].astype(object), categories=list(KINDS), ordered=True)
    out = out.assign(_kind=order).sort_values(["nav_seq", "_kind", "first_seen"], kind="stable",
                                              na_position="last")
    return out.drop(columns="_kind").reset_index(drop=True)
