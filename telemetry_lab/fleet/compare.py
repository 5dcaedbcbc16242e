"""A/B comparison of two sets of navigations: p75 difference with a bootstrap interval and a test.

For each group: ``p75_delta`` is p75(b) − p75(a) (numpy's linear percentile); its confidence
interval is the percentile bootstrap: ``resamples`` (default 2,000) resamples of each side with
replacement, drawn by ``numpy.random.default_rng(seed)`` (default seed 0), so the same inputs
give the same interval. ``p_value`` is the two-sided Mann-Whitney U test exactly as
``scipy.stats.mannwhitneyu(a, b, alternative="two-sided")`` computes it (scipy chooses the exact
or the asymptotic, tie- and continuity-corrected method); ``u_statistic`` is scipy's U of ``a``.
Effect sizes: ``cliffs_delta`` = P(b > a) − P(b < a) (−1 … 1, positive: b larger) and
``common_language`` = P(b > a) + ½ P(b = a), both over all pairs.

Examples
--------
>>> import telemetry_lab
>>> from telemetry_lab.datasets.synthetic import vary_session
>>> from telemetry_lab.fleet.batch import sessions_vitals
>>> s = telemetry_lab.load_sample()
>>> a = sessions_vitals({f"a{i}": vary_session(s, seed=i, repeats=2) for i in range(6)})
>>> b = sessions_vitals({f"b{i}": vary_session(s, seed=50 + i, repeats=2, lcp_factor=2.0)
...                      for i in range(6)})
>>> c = compare(a, b, metric="lcp_ms")
>>> c[["n_a", "n_b", "p75_delta"]].round(1)
   n_a  n_b  p75_delta
0   36   36      740.3
>>> bool(c["p75_delta_ci_low"].iloc[0] > 0), bool(c["p_value"].iloc[0] < 0.05)
(True, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from telemetry_lab.errors import TelemetryLabError
from telemetry_lab.fleet.engines import Engine
from telemetry_lab.fleet.stats import as_vitals, keys, values
from telemetry_lab.metrics.columns import FLOAT64, INT64, STRING, arrow

#: Default bootstrap resamples and seed.
RESAMPLES = 2_000
SEED = 0
#: Resamples drawn at once (bounds memory for large groups).
_CHUNK = 256


def _scipy_stats() -> Any:
    try:
        from scipy import stats
    except ImportError as exc:
        raise TelemetryLabError(
            "compare() needs scipy for the Mann-Whitney U test: pip install "
            "'telemetry_lab[fleet]'"
        ) from exc
    return stats


def bootstrap_p75_delta(a: np.ndarray, b: np.ndarray, *, resamples: int = RESAMPLES,
                        seed: int = SEED, confidence: float = 0.95) -> tuple[float, float]:
    """Percentile-bootstrap interval of p75(b) − p75(a).

    Examples
    --------
    >>> low, high = bootstrap_p75_delta(np.arange(100.0), np.arange(100.0) + 50)
    >>> bool(low < 50 < high)
    True
    """
    rng = np.random.default_rng(seed)
    deltas = []
    for start in range(0, resamples, _CHUNK):
        size = min(_CHUNK, resamples - start)
        pa_ = np.percentile(a[rng.integers(0, len(a), (size, len(a)))], 75, axis=1)
        pb = np.percentile(b[rng.integers(0, len(b), (size, len(b)))], 75, axis=1)
        deltas.append(pb - pa_)
    tail = (1 - confidence) / 2
    low, high = np.percentile(np.concatenate(deltas), [100 * tail, 100 * (1 - tail)])
    return float(low), float(high)


def _row(a: np.ndarray, b: np.ndarray, *, resamples: int, seed: int, confidence: float,
         stats: Any) -> dict[str, Any]:
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    row: dict[str, Any] = {"n_a": len(a), "n_b": len(b)}
    row["p75_a"] = float(np.percentile(a, 75)) if len(a) else np.nan
    row["p75_b"] = float(np.percentile(b, 75)) if len(b) else np.nan
    row["p75_delta"] = row["p75_b"] - row["p75_a"]
    empty = {"p75_delta_ci_low": np.nan, "p75_delta_ci_high": np.nan, "u_statistic": np.nan,
             "p_value": np.nan, "cliffs_delta": np.nan, "common_language": np.nan}
    if not (len(a) and len(b)):
        return {**row, **empty}
    low, high = bootstrap_p75_delta(a, b, resamples=resamples, seed=seed, confidence=confidence)
    test = stats.mannwhitneyu(a, b, alternative="two-sided")
    pairs = len(a) * len(b)
    u_a = float(test.statistic)  # pairs where a > b, ties counted half
    return {**row, "p75_delta_ci_low": low, "p75_delta_ci_high": high, "u_statistic": u_a,
            "p_value": float(test.pvalue), "cliffs_delta": 1 - 2 * u_a / pairs,
            "common_language": 1 - u_a / pairs}


def _sorted(group_keys: list[Any]) -> list[Any]:
    """Group keys in key order, nulls last (as ``groupby(sort=True)`` orders them)."""
    if not group_keys:
        return []
    frame = pd.DataFrame([k if isinstance(k, tuple) else (k,) for k in group_keys])
    order = frame.sort_values(list(frame.columns), na_position="last", kind="stable").index
    return [group_keys[i] for i in order]


def compare(a: Any, b: Any, *, metric: str = "lcp_ms", by: str | Sequence[str] | None = None,
            resamples: int = RESAMPLES, seed: int = SEED, confidence: float = 0.95,
            engine: Engine = None) -> pd.DataFrame:
    """Compare a metric between two sets of navigations (A = before, B = after).

    Parameters
    ----------
    a, b : pandas.DataFrame, path or mapping of str to Session
        Per-navigation vitals (e.g. two slices of ``vitals_dataset``), dataset roots or
        in-memory sessions.
    metric : str
        A numeric vitals column: ``lcp_ms`` (default), ``cls``, ``response_ms`` …
    by : str or list of str, optional
        Compare per group of these columns (e.g. ``"url"``); groups present on one side only
        get counts and null statistics.
    resamples, seed, confidence : int, int, float
        The bootstrap: resamples per side (default 2,000), the seed of
        ``numpy.random.default_rng`` (default 0), the interval's coverage (default 0.95).
    engine : optional
        Engine for reading dataset roots (see ``vitals_dataset``).

    Returns
    -------
    pandas.DataFrame
        One row per group: the ``by`` columns, ``metric``, ``n_a``, ``n_b`` (measured values),
        ``p75_a``, ``p75_b``, ``p75_delta`` (b − a), ``p75_delta_ci_low``,
        ``p75_delta_ci_high``, ``u_statistic``, ``p_value``, ``cliffs_delta``,
        ``common_language``.

    Raises
    ------
    TelemetryLabError
        For a metric or key column missing from either side, a bad ``resamples`` /
        ``confidence``, or scipy not installed.
    """
    if resamples < 1 or not 0 < confidence < 1:
        raise TelemetryLabError(f"resamples must be >= 1 and 0 < confidence < 1, got "
                                f"resamples={resamples}, confidence={confidence}")
    stats = _scipy_stats()
    sides = [as_vitals(x, engine=engine) for x in (a, b)]
    for name, side in zip("ab", sides, strict=True):
        if metric not in side.columns:
            raise TelemetryLabError(f"side {name} has no column {metric!r}: expected a numeric "
                                    "vitals column such as lcp_ms, cls or response_ms")
    columns = keys(sides[0], by)
    keys(sides[1], by)
    groups = [dict(list(s.groupby(columns, dropna=False, sort=False))) if columns
              else {(): s} for s in sides]
    order: list[Any] = [()]
    if columns:
        order = _sorted([*groups[0], *(k for k in groups[1] if k not in groups[0])])
    rows = []
    for key in order:
        parts = [g.get(key, s.iloc[:0]) for g, s in zip(groups, sides, strict=True)]
        row = dict(zip(columns, key if isinstance(key, tuple) else (key,), strict=False))
        row["metric"] = metric
        row.update(_row(values(parts[0], metric), values(parts[1], metric),
                        resamples=resamples, seed=seed, confidence=confidence, stats=stats))
        rows.append(row)
    out = pd.DataFrame(rows)
    for column in out.columns:
        if column in columns:
            out[column] = out[column].astype(sides[0][column].dtype)
        elif column == "metric":
            out[column] = arrow(out[column].to_numpy(object), STRING)
        elif column in ("n_a", "n_b"):
            out[column] = arrow(out[column].to_numpy(object), INT64)
        else:
            out[column] = arrow(out[column].to_numpy("float64"), FLOAT64)
    return out
