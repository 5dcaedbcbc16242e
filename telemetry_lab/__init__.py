"""telemetry_lab: Kernel browser telemetry as Arrow-backed pandas DataFrames.

Examples
--------
>>> import telemetry_lab
>>> session = telemetry_lab.load_sample()
>>> session.frame("network_response")["status"].value_counts().to_dict()
{200: 90, 204: 4, 404: 1}
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# The public names, imported on first use (``import telemetry_lab`` stays cheap: reading a
# recording loads no chart, HTTP or report code); type checkers read the imports themselves.
if TYPE_CHECKING:
    from telemetry_lab._capture import Capture, capture, fetch_events
    from telemetry_lab._replay import Faults, ReplayServer, replay
    from telemetry_lab.charts.console import plot_console
    from telemetry_lab.charts.filmstrip import plot_filmstrip
    from telemetry_lab.charts.fleet import plot_compare, plot_fleet
    from telemetry_lab.charts.timeline import plot_timeline
    from telemetry_lab.charts.vitals import plot_layout_shifts, plot_lcp_candidates, plot_vitals
    from telemetry_lab.charts.waterfall import plot_waterfall
    from telemetry_lab.datasets import load_sample
    from telemetry_lab.errors import (
        AuthenticationError,
        BrowserNotFound,
        BudgetError,
        CaptureError,
        DatasetError,
        EventTypeNotFound,
        FormatError,
        InvalidDuration,
        ScreenshotNotFound,
        SpoolError,
        TelemetryLabError,
        UnknownCategory,
        UnusablePath,
        WrongInputError,
    )
    from telemetry_lab.export.dataset import write_dataset
    from telemetry_lab.export.har import to_har
    from telemetry_lab.export.report import report
    from telemetry_lab.fleet import check_budgets, compare, fleet_vitals, vitals_dataset
    from telemetry_lab.metrics.commands import commands
    from telemetry_lab.metrics.console import console
    from telemetry_lab.metrics.console import messages as console_messages
    from telemetry_lab.metrics.effects import effects
    from telemetry_lab.metrics.health import capture_health
    from telemetry_lab.metrics.interactions import interactions, responses
    from telemetry_lab.metrics.navigations import assign_navigation, navigations
    from telemetry_lab.metrics.network import domain_summary, failures, requests, resource_summary
    from telemetry_lab.metrics.screenshots import Screenshot, screenshot_at, screenshots
    from telemetry_lab.metrics.vitals import AuditReason, layout_shifts, lcp_candidates, vitals
    from telemetry_lab.readers import (
        read,
        read_dataset,
        read_events_json,
        read_ndjson,
        read_parquet,
        read_sse,
    )
    from telemetry_lab.schema import EVENT_TYPES, SCHEMAS
    from telemetry_lab.session import Session
else:
    from telemetry_lab._lazy import attach

    __getattr__, __dir__ = attach(__name__, __file__, globals())

__version__ = "0.1.0"

__all__ = [  # noqa: RUF022 (grouped by pipeline stage, not sorted)
    "__version__",
    # Capture: stream a live Kernel browser (reconnects, backfill, spool) or fetch its history.
    "Capture",
    "capture",
    "fetch_events",
    # Read: recordings (.sse, .ndjson, .json), Parquet sessions and datasets, bundled samples.
    "load_sample",
    "read",
    "read_dataset",
    "read_events_json",
    "read_ndjson",
    "read_parquet",
    "read_sse",
    # Session: one typed Arrow-backed table per event type, and the schemas behind them.
    "EVENT_TYPES",
    "SCHEMAS",
    "Session",
    # Metrics: Session in, tidy frames out (vitals, network, interactions, console, commands).
    "AuditReason",
    "assign_navigation",
    "capture_health",
    "commands",
    "console",
    "console_messages",
    "domain_summary",
    "effects",
    "failures",
    "interactions",
    "layout_shifts",
    "lcp_candidates",
    "navigations",
    "requests",
    "resource_summary",
    "responses",
    "Screenshot",
    "screenshot_at",
    "screenshots",
    "vitals",
    # Fleets: many sessions at once (distributions, comparisons, budgets).
    "check_budgets",
    "compare",
    "fleet_vitals",
    "vitals_dataset",
    # Charts: metric outputs in, plotly Figures out.
    "plot_compare",
    "plot_console",
    "plot_filmstrip",
    "plot_fleet",
    "plot_layout_shifts",
    "plot_lcp_candidates",
    "plot_timeline",
    "plot_vitals",
    "plot_waterfall",
    # Export: Parquet, HAR and the one-file HTML report.
    "report",
    "to_har",
    "write_dataset",
    # Replay: a Kernel-compatible server for a recording, with reproducible faults.
    "Faults",
    "ReplayServer",
    "replay",
    # Errors: every exception telemetry_lab raises derives from TelemetryLabError.
    "TelemetryLabError",
    "AuthenticationError",
    "BrowserNotFound",
    "BudgetError",
    "CaptureError",
    "DatasetError",
    "EventTypeNotFound",
    "FormatError",
    "InvalidDuration",
    "ScreenshotNotFound",
    "SpoolError",
    "UnknownCategory",
    "UnusablePath",
    "WrongInputError",
]
