"""Checks at the public entry points: is this the Session or the metric output we expect?

Each metric output is recognised by a few columns only it has, so a wrong argument gets a
:class:`~telemetry_lab.errors.WrongInputError` (also a ``TypeError``) naming what was expected,
what arrived and the function that produces the right input.

Examples
--------
>>> import telemetry_lab
>>> session = telemetry_lab.load_sample()
>>> try:
...     require_frame(session, "requests", function="plot_waterfall")
... except TypeError as error:
...     print(error)  # doctest: +NORMALIZE_WHITESPACE
plot_waterfall expected the output of telemetry_lab.requests(session) (a DataFrame), got a
Session. Pass telemetry_lab.requests(session) instead.
>>> describe(telemetry_lab.vitals(session))
'the output of telemetry_lab.vitals(session)'
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from telemetry_lab.errors import UnknownCategory, WrongInputError

#: Metric outputs: name → (columns that identify it, the call that produces it). Checked in order.
KINDS: dict[str, tuple[frozenset[str], str]] = {
    "requests": (frozenset({"request_id", "hop", "outcome", "end_source"}),
                 "telemetry_lab.requests(session)"),
    "vitals": (frozenset({"lcp_ms", "cls", "cls_rating"}), "telemetry_lab.vitals(session)"),
    "navigations": (frozenset({"start_source", "committed", "end", "load_ms"}),
                    "telemetry_lab.navigations(session)"),
    "layout_shifts": (frozenset({"window", "window_sum", "in_cls_window"}),
                      "telemetry_lab.layout_shifts(session)"),
    "lcp_candidates": (frozenset({"time_source", "element", "first_input_ms"}),
                       "telemetry_lab.lcp_candidates(session)"),
    "interactions": (frozenset({"kind", "at_ms", "selector"}),
                     "telemetry_lab.interactions(session)"),
    "console_messages": (frozenset({"template", "location", "top_frame", "text"}),
                         "telemetry_lab.console_messages(session)"),
}
_EVENTS = frozenset({"seq", "ts", "type", "category"})


def describe(value: Any) -> str:
    """What ``value`` is, in the words of an error message."""
    from telemetry_lab.session import Session

    if isinstance(value, Session):
        return "a Session"
    if isinstance(value, pd.DataFrame):
        columns = set(value.columns)
        for producer_columns, call in KINDS.values():
            if producer_columns <= columns:
                return f"the output of {call}"
        if columns >= _EVENTS:
            return "an event frame (session.frame(...))"
        shown = ", ".join(map(str, list(value.columns)[:6]))
        return f"a DataFrame with columns [{shown}{', …' if len(columns) > 6 else ''}]"
    return f"a {type(value).__module__}.{type(value).__qualname__}".replace("builtins.", "")


def require_frame(value: Any, kind: str, *, function: str, argument: str | None = None) -> None:
    """Raise :class:`WrongInputError` unless ``value`` is the output of metric ``kind``.

    A subset of the output's rows passes; so does a frame with extra columns.
    """
    columns, call = KINDS[kind]
    if isinstance(value, pd.DataFrame) and columns <= set(value.columns):
        return
    where = f"{function}({argument}=...)" if argument else function
    arrived = describe(value)
    missing = ""
    if isinstance(value, pd.DataFrame) and arrived.startswith("a DataFrame"):
        missing = f" (missing {', '.join(sorted(columns - set(value.columns)))})"
    raise WrongInputError(
        f"{where} expected the output of {call} (a DataFrame), got {arrived}{missing}. "
        f"Pass {call} instead."
    )


def require_session(value: Any, *, function: str) -> None:
    """Raise :class:`WrongInputError` unless ``value`` is a :class:`~telemetry_lab.Session`."""
    from telemetry_lab.session import Session

    if isinstance(value, Session):
        return
    raise WrongInputError(
        f"{function} expected a Session (from telemetry_lab.read(path), "
        f"telemetry_lab.load_sample() or a capture), got {describe(value)}. "
        f"Pass the Session itself: {function}(session)."
    )


def suggest(name: str, known: Iterable[str]) -> str:
    """`` Did you mean …?`` with the closest of ``known`` to ``name`` (empty when none is close).

    Examples
    --------
    >>> suggest("network_requests", ["network_request", "network_response", "page_load"])
    ' Did you mean network_request or network_response?'
    """
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
    if not close:
        return ""
    names = close[0] if len(close) == 1 else f"{', '.join(close[:-1])} or {close[-1]}"
    return f" Did you mean {names}?"


def require_categories(categories: Sequence[str] | None, *, function: str) -> None:
    """Raise unless ``categories`` is None or a sequence of Kernel event categories.

    Examples
    --------
    >>> require_categories(["netwrok"], function="capture")
    Traceback (most recent call last):
    telemetry_lab.errors.UnknownCategory: capture(categories=...): 'netwrok' is not a Kernel \
event category. Did you mean network? Categories: console, network, page, interaction, \
screenshot, monitor, control, platform, connection, captcha, system.
    """
    from telemetry_lab.schema import CATEGORIES

    if categories is None:
        return
    if isinstance(categories, str):
        raise WrongInputError(
            f"{function}(categories=...) expected a list of category names, got the string "
            f"{categories!r}; pass [{categories!r}]"
        )
    for name in categories:
        if name not in CATEGORIES:
            raise UnknownCategory(
                f"{function}(categories=...): {name!r} is not a Kernel event category."
                f"{suggest(str(name), CATEGORIES)} Categories: {', '.join(CATEGORIES)}."
            )
