"""Fleets: many sessions as one dataset, their distributions, A/B comparisons and budgets.

- :func:`vitals_dataset` per-navigation vitals of every session under ``root/session=<name>/``;
- :func:`fleet_vitals` distributions per URL (or any key), Core Web Vitals pass at p75;
- :func:`compare` A/B: p75 difference with a bootstrap interval, Mann-Whitney U, effect sizes;
- :func:`check_budgets` budget failures for CI (``telemetry-lab fleet ROOT --budget …``).
"""

from __future__ import annotations

from telemetry_lab.fleet.batch import sessions_vitals
from telemetry_lab.fleet.budgets import check_budgets, parse_budgets
from telemetry_lab.fleet.compare import compare
from telemetry_lab.fleet.dataset import SkippedSessionsWarning, skipped_table, vitals_dataset
from telemetry_lab.fleet.stats import SUMMARY_COLUMNS, fleet_vitals

__all__ = [
    "SUMMARY_COLUMNS",
    "SkippedSessionsWarning",
    "check_budgets",
    "compare",
    "fleet_vitals",
    "parse_budgets",
    "sessions_vitals",
    "skipped_table",
    "vitals_dataset",
]
