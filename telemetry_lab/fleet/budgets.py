"""Performance budgets for CI, as Lighthouse CI asserts them: limits on a fleet's summary.

A budget names a numeric column of :func:`~telemetry_lab.fleet.stats.fleet_vitals` and a limit:
``lcp_p75=2500``, ``cls_p75=0.1``, ``lcp_poor=0.05``, ``response_p90=300`` … Shares of *good*
(``lcp_good``, ``cls_good``) and counts (``n``, ``sessions``, ``*_n``) are minimums; every other
column is a maximum. A group where the budgeted value could not be measured fails ("not
measured"): a budget no navigation can show to hold does not pass. The exception is the input
response (``response_*``): it exists only where there was an input, so a group without one has
nothing to judge and passes.

Examples
--------
>>> import telemetry_lab
>>> from telemetry_lab.fleet.batch import sessions_vitals
>>> rows = sessions_vitals({"a": telemetry_lab.load_sample()})
>>> failed = check_budgets(rows, lcp_p75=1000, cls_p75=0.1)
>>> failed[["url", "budget", "limit", "actual", "reason"]].assign(
...     url=failed["url"].str.removeprefix("http://127.0.0.1:36621"))
      url   budget   limit  actual       reason
0  /shop/  lcp_p75  1000.0  1133.2  over budget
>>> parse_budgets(["lcp_p75=2500", "cls_p75=0.1"])
{'lcp_p75': 2500.0, 'cls_p75': 0.1}
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from telemetry_lab.errors import BudgetError
from telemetry_lab.fleet.engines import Engine
from telemetry_lab.fleet.stats import SUMMARY_COLUMNS, as_vitals, fleet_vitals, keys
from telemetry_lab.metrics.columns import FLOAT64, STRING, arrow

#: Columns of fleet_vitals that are not budgetable values.
_NOT_BUDGETS = ("cwv_pass",)
FAILURE_COLUMNS = ("budget", "kind", "limit", "actual", "over", "reason")


def is_minimum(name: str) -> bool:
    """Whether budget ``name`` is a floor (good shares and counts) rather than a ceiling."""
    return name.endswith("_good") or name in ("n", "sessions") or name.endswith("_n")


def parse_budgets(texts: Iterable[str]) -> dict[str, float]:
    """``["lcp_p75=2500", …]`` (the CLI's ``--budget``) as ``{name: limit}``.

    Raises
    ------
    BudgetError
        For a text without ``=``, a limit that is not a finite number, or a name given twice.
    """
    out: dict[str, float] = {}
    for text in texts:
        name, sep, raw = text.partition("=")
        name = name.strip()
        if not sep or not name:
            raise BudgetError(f"malformed budget {text!r}: expected NAME=LIMIT, e.g. "
                              "lcp_p75=2500 or cls_p75=0.1")
        try:
            limit = float(raw)
        except ValueError:
            limit = math.nan
        if not math.isfinite(limit):
            raise BudgetError(f"malformed budget {text!r}: the limit {raw.strip()!r} is not a "
                              "finite number (write lcp_p75=2500, in ms; cls_p75=0.1)")
        if name in out:
            raise BudgetError(f"budget {name!r} given twice ({out[name]:g} and {limit:g}): "
                              "keep one")
        out[name] = limit
    return out


def _budgetable(fleet: pd.DataFrame, by: Sequence[str]) -> list[str]:
    return [c for c in fleet.columns if c not in by and c not in _NOT_BUDGETS
            and pd.api.types.is_numeric_dtype(fleet[c].dtype)
            and not c.startswith("representative_")]


def check_budgets(fleet_or_vitals: Any, *, by: str | Sequence[str] | None = "url",
                  engine: Engine = None, **budgets: float) -> pd.DataFrame:
    """The budgets a fleet fails, one row per group and budget (empty when all hold).

    Parameters
    ----------
    fleet_or_vitals : pandas.DataFrame, path or mapping of str to Session
        A :func:`~telemetry_lab.fleet.stats.fleet_vitals` table, or anything it summarises
        (per-navigation vitals, a dataset root, sessions), summarised ``by``.
    by : str or list of str, optional
        The groups of the summary (ignored for a summary already made).
    engine : optional
        Engine for reading a dataset root.
    **budgets : float
        ``<fleet_vitals column>=<limit>``, e.g. ``lcp_p75=2500, cls_p75=0.1``.

    Returns
    -------
    pandas.DataFrame
        The group's key columns, ``budget``, ``kind`` (``max`` or ``min``), ``limit``,
        ``actual`` (null when not measured), ``over`` (how far past the limit) and ``reason``
        (``over budget``, ``under budget`` or ``not measured``).

    Raises
    ------
    BudgetError
        For no budgets, or a budget naming no numeric column of the summary.
    """
    if not budgets:
        raise BudgetError("no budgets given: pass e.g. lcp_p75=2500, cls_p75=0.1")
    if isinstance(fleet_or_vitals, pd.DataFrame) and "lcp_p75" in fleet_or_vitals.columns:
        fleet = fleet_or_vitals
        group = [c for c in fleet.columns if c not in SUMMARY_COLUMNS]
    else:
        frame = as_vitals(fleet_or_vitals, engine=engine)
        group = keys(frame, by)
        fleet = fleet_vitals(frame, by=group)
    allowed = _budgetable(fleet, group)
    unknown = [name for name in budgets if name not in allowed]
    if unknown:
        raise BudgetError(f"unknown budget(s) {unknown}: a budget names a numeric column of "
                          f"fleet_vitals: {', '.join(allowed)}")
    rows = []
    for name, limit in budgets.items():
        actual = fleet[name].to_numpy("float64", na_value=np.nan)
        minimum = is_minimum(name)
        over = limit - actual if minimum else actual - limit
        unjudged = np.isnan(actual) & name.startswith("response_")
        failed = (np.isnan(actual) & ~unjudged) | (over > 0)
        for i in np.flatnonzero(failed):
            reason = ("not measured" if np.isnan(actual[i])
                      else "under budget" if minimum else "over budget")
            rows.append({**{c: fleet[c].iloc[i] for c in group}, "budget": name,
                         "kind": "min" if minimum else "max", "limit": float(limit),
                         "actual": actual[i], "over": over[i], "reason": reason})
    out = pd.DataFrame(rows, columns=[*group, *FAILURE_COLUMNS])
    for column in group:
        out[column] = out[column].astype(fleet[column].dtype)
    for column in ("budget", "kind", "reason"):
        out[column] = arrow(out[column].to_numpy(object), STRING)
    for column in ("limit", "actual", "over"):
        out[column] = arrow(out[column].to_numpy("float64"), FLOAT64)
    return out

