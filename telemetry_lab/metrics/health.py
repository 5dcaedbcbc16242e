"""Capture health: what a recording is missing and how far its metrics can be trusted.

One row per check, in the order a person reads them: seq gaps (events lost), unreadable frames,
seqs the server skipped, duplicates dropped, events backfilled from history and stream
reconnects (captures only),
truncated events (``data`` replaced by null above 1 MB), monitor disconnects and failed
reconnects (CDP events may be missing in between) and navigations whose metrics are unreliable
because a gap or a disconnect overlaps them.

Examples
--------
>>> import telemetry_lab
>>> from telemetry_lab.metrics.health import capture_health
>>> health = capture_health(telemetry_lab.load_sample())
>>> health[["check", "count", "ok"]].head(3)
               check  count    ok
0           seq gaps      0  True
1  unreadable frames      0  True
2       skipped seqs      0  True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from telemetry_lab.metrics.columns import BOOL, INT64, STRING, arrow
from telemetry_lab.metrics.navigations import navigations

if TYPE_CHECKING:
    from telemetry_lab.session import Session

#: Checks whose non-zero count is expected and harmless (not a warning).
_INFORMATIVE = frozenset({"skipped seqs", "backfilled events", "stream reconnects",
                          "duplicates dropped"})


def _truncated(session: Session) -> int:
    """Events whose ``data`` the server replaced by null (over 1 MB)."""
    return sum(int(pc.sum(session.table(t)["truncated"]).as_py() or 0) for t in session.types)


def _gap_detail(gaps: pd.DataFrame) -> str:
    if gaps.empty:
        return ""
    ranges = [f"{s}–{e}" if s != e else f"{s}"
              for s, e in zip(gaps["start"][:5], gaps["end"][:5], strict=True)]
    more = f" and {len(gaps) - 5} more" if len(gaps) > 5 else ""
    return f"{int(gaps['missing'].sum()):,} seqs missing: " + ", ".join(ranges) + more


def _recovered(errors: pd.DataFrame, session: Session) -> int:
    """Unreadable frames whose seq arrived after all (a resend, the history backfill)."""
    seqs = errors["seq"].dropna().to_numpy("int64")
    return int(np.isin(seqs, session.events["seq"].to_numpy("int64")).sum())


def _error_detail(errors: pd.DataFrame, recovered: int) -> str:
    if errors.empty:
        return ""
    reasons = "; ".join(str(r) for r in errors["reason"].head(3)) + (
        " …" if len(errors) > 3 else "")
    return (f"{recovered} received again (resent or backfilled), so not lost; "
            if recovered else "") + reasons


def capture_health(session: Session, *, navs: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per capture-health check.

    Parameters
    ----------
    session : telemetry_lab.Session
        A recording or capture.
    navs : pandas.DataFrame, optional
        The output of :func:`~telemetry_lab.metrics.navigations.navigations` (computed when
        omitted).

    Returns
    -------
    pandas.DataFrame
        Columns ``check`` (``seq gaps``, ``unreadable frames``, ``skipped seqs``,
        ``duplicates dropped``, ``backfilled events``, ``stream reconnects``,
        ``truncated events``,
        ``monitor disconnects``, ``monitor reconnect failures``, ``unreliable navigations``),
        ``count`` (null for ``backfilled events`` and ``stream reconnects`` when the session is
        not a capture: only a capture knows them), ``detail`` (text: ranges, reasons; empty
        when there is nothing to say) and ``ok`` (false when the count means events are
        missing or metrics are unreliable; skipped seqs, duplicates, backfill and reconnects
        are informative and always ok, and unreadable frames whose seq arrived after all are
        not lost).

    Examples
    --------
    >>> import telemetry_lab
    >>> health = capture_health(telemetry_lab.load_sample())
    >>> health.set_index("check")["count"].to_dict()["unreliable navigations"]
    0
    >>> bool(health["ok"].all())
    True
    """
    navs = navigations(session) if navs is None else navs
    gaps = session.gaps
    errors = session.errors
    backfilled = session.source.get("backfilled")
    reconnects = session.source.get("reconnects")
    disconnects = len(session.frame("monitor_disconnected", allow_missing=True))
    failed = sum(len(session.frame(t, allow_missing=True))
                 for t in ("monitor_reconnect_failed", "monitor_init_failed"))
    unreliable = navs[navs["unreliable"].fillna(False).to_numpy(dtype=bool)]
    reasons = sorted(set(unreliable["unreliable_reason"].dropna()))
    truncated = _truncated(session)
    recovered = _recovered(errors, session)
    rows: list[tuple[str, int | None, str]] = [
        ("seq gaps", len(gaps), _gap_detail(gaps)),
        ("unreadable frames", len(errors), _error_detail(errors, recovered)),
        ("skipped seqs", len(session.skipped), "id-only frames: the server sent no data"
         if len(session.skipped) else ""),
        ("duplicates dropped", len(session.duplicates), ""),
        ("backfilled events", None if backfilled is None else int(backfilled),
         "filled from the history endpoint" if backfilled else ""),
        ("stream reconnects", None if reconnects is None else int(reconnects),
         "resumed after the last event id received" if reconnects else ""),
        ("truncated events", truncated, "data over 1 MB replaced by null" if truncated else ""),
        ("monitor disconnects", disconnects,
         "CDP events may be missing until the reconnect" if disconnects else ""),
        ("monitor reconnect failures", failed, ""),
        ("unreliable navigations", len(unreliable), "; ".join(reasons)),
    ]
    checks, counts, details = zip(*rows, strict=True)
    ok = [c in _INFORMATIVE or not n for c, n in zip(checks, counts, strict=True)]
    ok[1] = len(errors) == recovered
    return pd.DataFrame({
        "check": arrow(np.array(checks, dtype=object), STRING),
        "count": arrow(np.array(counts, dtype=object), INT64),
        "detail": arrow(np.array(details, dtype=object), STRING),
        "ok": arrow(np.array(ok), BOOL),
    })
