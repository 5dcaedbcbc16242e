"""What a capture is missing, and getting it from ``/telemetry/events`` history.

Pure helpers find the missing seq ranges and the ``since``/``until`` windows around them;
:func:`fetch_events` reads a whole session from history.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from datetime import datetime

import numpy as np

from telemetry_lab._capture.api import Api, Gone, timestamp
from telemetry_lab._capture.spool import Spool
from telemetry_lab.checks import require_categories
from telemetry_lab.decode import Batch
from telemetry_lab.errors import BrowserNotFound
from telemetry_lab.seqs import gaps, neighbours
from telemetry_lab.session import Session
from telemetry_lab.tables import TableBuilder

#: Slack around a gap's neighbours when asking history for it (µs): ``ts`` is not strictly
#: monotonic in seq.
MARGIN_US = 2_000_000
#: How far back history goes for events older than the first one received (30 days, in µs).
LOOKBACK_US = 30 * 86_400_000_000
#: The end of a range open to the future (events after the last one received).
NO_END = 2**62
_SEQ = re.compile(rb'^\{"seq":\s*(\d+)')

Window = tuple[int | None, int | None]


def missing(seqs: np.ndarray, ts: np.ndarray, *, skipped: np.ndarray, errors: np.ndarray,
            before: bool, after: bool) -> tuple[np.ndarray, np.ndarray, list[Window]]:
    """Seq ranges to ask history for, and a ``(since, until)`` window (µs) for each.

    ``seqs`` (sorted) and ``ts`` are the events held; ``skipped`` seqs (id-only frames) are not
    missing, ``errors`` (undecodable frames) are. ``before`` adds the seqs older than the first
    one held, ``after`` the seqs after the last one (open-ended). None: no bound.

    Examples
    --------
    >>> s, e, w = missing(np.array([2, 3, 6]), np.array([10, 20, 60]) * 1_000_000,
    ...                   skipped=np.array([4]), errors=np.array([8]), before=False, after=False)
    >>> s.tolist(), e.tolist(), [(a and a // 10**6, b and b // 10**6) for a, b in w]
    ([5, 7], [5, 8], [(18, 62), (58, None)])
    """
    if not (len(seqs) or len(skipped) or len(errors)):
        return np.array([1]), np.array([NO_END]), [(None, None)]
    starts, ends = gaps(seqs, skipped=skipped, errors=errors, lo=1 if before else None,
                        hi=NO_END if after else None)
    windows: list[Window] = []
    for i in neighbours(seqs, starts)[1].tolist():
        if not len(seqs):
            windows.append((None, None))
            continue
        since = int(ts[i - 1]) - MARGIN_US if i else int(ts[0]) - LOOKBACK_US
        windows.append((since, int(ts[i]) + MARGIN_US if i < len(seqs) else None))
    return starts, ends, windows


def merged(windows: list[Window]) -> list[Window]:
    """Overlapping ``(since, until)`` windows joined (None: open end).

    Examples
    --------
    >>> merged([(5, 9), (1, 6), (20, None), (30, 40)])
    [(1, 9), (20, None)]
    """
    lo, hi = -(2**62), 2**62
    spans = sorted((lo if s is None else s, hi if u is None else u) for s, u in windows)
    out: list[list[int]] = []
    for since, until in spans:
        if out and since <= out[-1][1]:
            out[-1][1] = max(out[-1][1], until)
        else:
            out.append([since, until])
    return [(None if s == lo else s, None if u == hi else u) for s, u in out]


def line_seqs(lines: Sequence[bytes]) -> np.ndarray:
    """The ``seq`` each envelope line starts with (0 when it does not)."""
    return np.array([int(m.group(1)) if (m := _SEQ.match(line)) else 0 for line in lines],
                    np.int64)


def backfill(api: Api, browser_id: str, starts: np.ndarray, ends: np.ndarray,
             windows: list[Window], sink: Callable[[Batch], None],
             spool: Spool | None = None) -> None:
    """Fetch seqs ``starts[i]..ends[i]`` from history (every category), hand them to ``sink``
    and append them to ``spool``."""
    for since, until in merged(windows):
        for page in api.pages(browser_id, since=timestamp(since), until=timestamp(until),
                              categories=None):
            seqs = line_seqs(page.lines)
            slot = np.searchsorted(starts, seqs, side="right") - 1
            keep = np.flatnonzero((slot >= 0) & (seqs <= ends[np.maximum(slot, 0)]))
            if not len(keep):
                continue
            rows = keep.tolist()
            lines = [page.lines[i] for i in rows]
            sink(Batch(lines, [page.positions[i] for i in rows], seqs[keep].tolist()))
            if spool is not None:
                spool.write_lines(seqs[keep], lines)


def fetch_events(
    browser_id: str,
    *,
    since: str | datetime | int | None = "5m",
    until: str | datetime | int | None = None,
    categories: Sequence[str] | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    max_retries: int = 10,
    timeout: float = 30.0,
) -> Session:
    """A browser session from ``/telemetry/events`` history alone (kept 30 days).

    ``since`` / ``until`` take a duration ago (``"10m"``, ``"2h"``), RFC 3339 text, an aware
    datetime or Unix µs; ``until`` is exclusive and defaults to now.

    Raises
    ------
    BrowserNotFound
        When the browser session does not exist.
    """
    require_categories(categories, function="fetch_events")
    api = Api(api_key, base_url, connect_timeout=timeout, read_timeout=timeout,
              max_retries=max_retries, backoff=0.5, max_backoff=30.0, sleep=time.sleep)
    builder = TableBuilder()
    try:
        for page in api.pages(browser_id, since=timestamp(since), until=timestamp(until),
                              categories=categories):
            builder.add(page)
    except Gone:
        raise BrowserNotFound(
            f"browser session {browser_id!r} not found at {api.base_url} (404): expected the id "
            "of a browser session from the last 30 days"
        ) from None
    source = {"format": "history", "browser_id": browser_id, "base_url": api.base_url,
              "since": timestamp(since), "until": timestamp(until)}
    return Session.from_builder(builder, source=source)


__all__ = ["fetch_events"]
