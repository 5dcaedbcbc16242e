"""The ``/telemetry/events`` endpoint's answer: one page of history. Pure, no sockets."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from telemetry_lab._replay.feed import Feed

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_DURATIONS = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h))+")
_UNITS = {"ms": 1e3, "s": 1e6, "m": 60e6, "h": 3600e6}


def parse_time(value: str, now_us: int) -> int:
    """µs since the epoch of an RFC 3339 time, or of ``now_us`` minus a duration like ``5m``.

    Examples
    --------
    >>> parse_time("1m30s", 100_000_000), parse_time("1970-01-01T00:00:01Z", 0)
    (10000000, 1000000)
    """
    if _DURATIONS.fullmatch(value):
        return now_us - int(sum(float(n) * _UNITS[u] for n, u in _DURATION.findall(value)))
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"since/until {value!r} has no time zone; add Z or +00:00")
    return int(moment.timestamp() * 1e6)


@dataclass(frozen=True)
class Page:
    """A page of history: the JSON array ``body`` and the paging headers' values."""

    body: bytes
    has_more: bool
    next_offset: int


def page(feed: Feed, query: dict[str, list[str]]) -> Page:
    """The page ``query`` asks for: ``limit`` (1..100, default 20), ``offset`` (a cursor from
    ``X-Next-Offset``), ``since`` (default ``5m``), ``until``, ``order`` and ``category``.

    Only events the browser has produced so far are stored. The cursor is a position in the
    recording, so pages neither skip nor repeat events, whatever the filters.

    Raises
    ------
    ValueError
        On a malformed query (the server answers 400 with the message).
    """

    def one(name: str, default: str = "") -> str:
        return query.get(name, [default])[-1]

    limit = int(one("limit", "20"))
    offset = int(one("offset", "0"))
    order = one("order", "asc")
    if not 1 <= limit <= 100 or offset < 0 or order not in ("asc", "desc"):
        raise ValueError("limit must be 1..100, offset ≥ 0, order asc or desc")
    if order == "desc" and "since" in query:
        raise ValueError("order=desc cannot be combined with since")
    now = feed.now_us()
    since = parse_time(one("since", "5m"), now)
    until = parse_time(one("until"), now) if "until" in query else None
    elapsed = time.monotonic() - feed.started if feed.started is not None else 0.0
    stored = feed.history.copy()
    stored[feed.produced(elapsed) :] = False
    ts = feed.recording.ts
    window = stored & (ts < until if until is not None else True)
    if "category" in query:
        categories = np.array(feed.recording.categories, object)
        window &= np.isin(categories, query["category"])
    if order == "asc":
        if not offset:
            window &= ts >= since
        candidates = np.flatnonzero(window)
        candidates = candidates[candidates >= offset - 1] if offset else candidates
        rows = candidates[:limit]
        more = len(candidates) > limit
        next_offset = int(candidates[limit]) + 1 if more else 0
    else:
        candidates = np.flatnonzero(window)
        candidates = candidates[candidates < offset] if offset else candidates
        rows = candidates[::-1][:limit]
        more = len(candidates) > limit
        next_offset = int(rows[-1]) if more else 0
    lines = [feed.recording.lines[i] for i in rows.tolist()]
    return Page(b"[" + b",".join(lines) + b"]", more, next_offset)


__all__ = ["Page", "page", "parse_time"]
