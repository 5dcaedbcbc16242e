"""Distributions of a fleet's vitals per URL (or any key), judged as CrUX judges a page.

Per group: percentiles are numpy's default (linear interpolation) over the navigations where the
metric was measured; shares good / needs-improvement / poor use the web-vitals thresholds (a
value on a boundary gets the better rating). ``cwv_pass`` is the Core Web Vitals assessment at
p75 as CrUX makes it, on what the stream can measure: LCP p75 ≤ 2500 ms and CLS p75 ≤ 0.1. INP
cannot be measured from the stream (it has no event-timing entries), so it is not part of
``cwv_pass``; ``response_*`` (the worst input response of each navigation: the delay to its
first visual effect, not INP) is summarised but never rated. The representative navigation is
the one closest to the group's LCP and CLS medians (distance in units of each metric's "good"
threshold), as Lighthouse picks its median run; ties go to the first in input order.

Examples
--------
>>> import telemetry_lab
>>> from telemetry_lab.fleet.batch import sessions_vitals
>>> s = telemetry_lab.load_sample()
>>> rows = sessions_vitals({"a": s, "b": s})
>>> table = fleet_vitals(rows)
>>> table[["url", "n", "lcp_p75", "cls_p75", "cwv_pass"]].assign(
...     url=table["url"].str.removeprefix("http://127.0.0.1:36621"))
                            url  n  lcp_p75   cls_p75 cwv_pass
0                        /shop/  2   1133.2  0.033333     True
1                    /shop/cart  2  153.364       0.0     True
2  /shop/product/trail-runner-2  2  512.681   0.05412     True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from telemetry_lab.errors import TelemetryLabError
from telemetry_lab.fleet.engines import Engine
from telemetry_lab.metrics.columns import BOOL, FLOAT64, INT64, STRING, arrow
from telemetry_lab.metrics.vitals import THRESHOLDS, rate
from telemetry_lab.session import Session

#: (summary prefix, vitals column, thresholds key or None when never rated).
METRICS: tuple[tuple[str, str, str | None], ...] = (
    ("lcp", "lcp_ms", "lcp"),
    ("cls", "cls", "cls"),
    ("response", "response_ms", None),
)
PERCENTILES = (50, 75, 90)
RATINGS = ("good", "needs-improvement", "poor")


def _summary_columns() -> tuple[str, ...]:
    out = ["n", "sessions", "unreliable"]
    for prefix, _, rated in METRICS:
        out += [f"{prefix}_n", *(f"{prefix}_p{p}" for p in PERCENTILES)]
        if rated is not None:
            out += [f"{prefix}_{r.replace('-', '_')}" for r in RATINGS] + [f"{prefix}_p75_rating"]
    return (*out, "cwv_pass", "representative_session", "representative_target_id",
            "representative_nav_seq")


#: The columns fleet_vitals adds after the group keys, in order.
SUMMARY_COLUMNS = _summary_columns()


def as_vitals(data: Any, *, engine: Engine = None) -> pd.DataFrame:
    """Per-navigation vitals from a dataset root, a mapping of Sessions or a vitals frame."""
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, str | Path):
        from telemetry_lab.fleet.dataset import vitals_dataset

        return vitals_dataset(data, engine=engine)
    if isinstance(data, Mapping) and all(isinstance(s, Session) for s in data.values()):
        from telemetry_lab.fleet.batch import sessions_vitals

        return sessions_vitals(data)
    raise TelemetryLabError(
        f"expected a dataset root (path), a mapping of name to Session or a frame of "
        f"per-navigation vitals, got {type(data).__name__}"
    )


def keys(frame: pd.DataFrame, by: str | Sequence[str] | None) -> list[str]:
    """``by`` as a list of columns of ``frame`` (a clear error for a missing one)."""
    columns = [] if by is None else [by] if isinstance(by, str) else list(by)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise TelemetryLabError(
            f"cannot group by {missing}: not columns of the vitals; available: "
            f"{', '.join(map(str, frame.columns))} (add a column, e.g. a URL pattern, first)"
        )
    return columns


def values(frame: pd.DataFrame, column: str) -> np.ndarray:
    """``frame[column]`` as float64 with NaN for null; all NaN when the column is absent."""
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    return np.asarray(pd.Series(frame[column]).to_numpy("float64", na_value=np.nan))


def _require(frame: pd.DataFrame) -> None:
    missing = [c for c in ("lcp_ms", "cls") if c not in frame.columns]
    if missing:
        raise TelemetryLabError(
            f"not per-navigation vitals: no column(s) {missing}; pass the output of "
            "telemetry_lab.vitals / vitals_dataset, or a dataset root"
        )


def _summary(frame: pd.DataFrame) -> dict[str, Any]:
    row: dict[str, Any] = {"n": len(frame)}
    row["sessions"] = frame["session"].nunique() if "session" in frame.columns else None
    row["unreliable"] = (int(frame["unreliable"].fillna(False).astype(bool).sum())
                         if "unreliable" in frame.columns else None)
    measured: dict[str, np.ndarray] = {}
    for prefix, column, rated in METRICS:
        v = values(frame, column)
        ok = v[~np.isnan(v)]
        measured[prefix] = v
        row[f"{prefix}_n"] = len(ok)
        for p in PERCENTILES:
            row[f"{prefix}_p{p}"] = float(np.percentile(ok, p)) if len(ok) else np.nan
        if rated is None:
            continue
        ratings = rate(ok, rated).to_numpy(object)
        for rating in RATINGS:
            share = float(np.mean(ratings == rating)) if len(ok) else np.nan
            row[f"{prefix}_{rating.replace('-', '_')}"] = share
        row[f"{prefix}_p75_rating"] = rate(np.array([row[f"{prefix}_p75"]]), rated)[0]
    lcp_ok, cls_ok = row["lcp_p75"] <= THRESHOLDS["lcp"][0], row["cls_p75"] <= THRESHOLDS["cls"][0]
    row["cwv_pass"] = None if np.isnan(row["lcp_p75"]) else bool(lcp_ok and cls_ok)
    row.update(_representative(frame, measured["lcp"], measured["cls"], row))
    return row


def _representative(frame: pd.DataFrame, lcp: np.ndarray, cls: np.ndarray,
                    row: dict[str, Any]) -> dict[str, Any]:
    distance = (np.nan_to_num((lcp - row["lcp_p50"]) / THRESHOLDS["lcp"][0])
                ** 2 + np.nan_to_num((cls - row["cls_p50"]) / THRESHOLDS["cls"][0]) ** 2)
    eligible = ~np.isnan(lcp) if row["lcp_n"] else ~np.isnan(cls)
    out: dict[str, Any] = {"representative_session": None, "representative_target_id": None,
                           "representative_nav_seq": None}
    if not eligible.any():
        return out
    pick = int(np.flatnonzero(eligible)[np.argmin(distance[eligible])])
    for column in ("session", "target_id", "nav_seq"):
        if column in frame.columns:
            value = frame[column].iloc[pick]
            out[f"representative_{column}"] = None if pd.isna(value) else value
    return out


_DTYPES = {"n": INT64, "sessions": INT64, "unreliable": INT64, "cwv_pass": BOOL,
           "representative_session": STRING, "representative_target_id": STRING,
           "representative_nav_seq": INT64}


def fleet_vitals(root_or_vitals: Any, *, by: str | Sequence[str] | None = "url",
                 engine: Engine = None) -> pd.DataFrame:
    """Per-group distributions of LCP, CLS and input response over a fleet's navigations.

    Parameters
    ----------
    root_or_vitals : path, mapping of str to Session, or pandas.DataFrame
        A dataset root (read with :func:`~telemetry_lab.fleet.dataset.vitals_dataset`),
        in-memory sessions by name, or per-navigation vitals (one or many sessions).
    by : str or list of str, optional
        Vitals column(s) to group by (default ``url``; a URL pattern or tag column you add
        works too); ``None`` for one row over everything. Null keys form their own group.
    engine : optional
        Engine for reading a dataset root (see ``vitals_dataset``).

    Returns
    -------
    pandas.DataFrame
        One row per group, by key: the ``by`` columns; ``n`` (navigations), ``sessions``
        (distinct sessions, null without a ``session`` column), ``unreliable`` (navigations
        flagged unreliable); for ``lcp``, ``cls`` and ``response``: ``<m>_n`` (measured),
        ``<m>_p50``, ``<m>_p75``, ``<m>_p90``; for ``lcp`` and ``cls``: ``<m>_good``,
        ``<m>_needs_improvement``, ``<m>_poor`` (shares of the measured) and
        ``<m>_p75_rating``; ``cwv_pass`` (LCP and CLS good at p75; null without LCP);
        ``representative_session``, ``representative_target_id``, ``representative_nav_seq``.
        ``attrs["skipped"]`` carries the skipped session folders of a dataset root.
    """
    frame = as_vitals(root_or_vitals, engine=engine)
    _require(frame)
    columns = keys(frame, by)
    groups = (frame.groupby(columns, dropna=False, sort=True) if columns
              else [((), frame)])
    rows = []
    for key, group in groups:
        row = dict(zip(columns, key if isinstance(key, tuple) else (key,), strict=True))
        rows.append({**row, **_summary(group)})
    out = pd.DataFrame(rows, columns=[*columns, *SUMMARY_COLUMNS])
    for column in out.columns:
        if column in columns:
            out[column] = out[column].astype(frame[column].dtype)
        elif column in _DTYPES or column.endswith("_n"):
            out[column] = arrow(out[column].to_numpy(object), _DTYPES.get(column, INT64))
        elif column.endswith("_rating"):
            out[column] = arrow(out[column].to_numpy(object), STRING)
        else:
            out[column] = arrow(out[column].to_numpy("float64"), FLOAT64)
    out.attrs["skipped"] = list(frame.attrs.get("skipped", []))
    return out
