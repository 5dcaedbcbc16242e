"""telemetry_lab: Kernel browser telemetry as Arrow-backed pandas DataFrames.

Examples
--------
>>> import telemetry_lab
>>> session = telemetry_lab.load_sample()
>>> session.frame("network_response")["status"].value_counts().to_dict()
{200: 90, 204: 4, 404: 1}
"""

from __future__ import annotations

from .capture import (
    AuthenticationError,
    BrowserNotFound,
    Capture,
    CaptureError,
    SpoolError,
    capture,
    fetch_events,
)
from .charts.console import plot_console
from .charts.filmstrip import plot_filmstrip
from .charts.fleet import plot_compare, plot_fleet
from .charts.timeline import plot_timeline
from .charts.vitals import plot_layout_shifts, plot_lcp_candidates, plot_vitals
from .charts.waterfall import plot_waterfall
from .datasets import load_sample
from .errors import (
    EventTypeNotFound,
    FormatError,
    InvalidDuration,
    ScreenshotNotFound,
    TelemetryLabError,
    UnknownCategory,
    WrongInputError,
)
from .export.har import to_har
from .export.parquet import read_dataset, read_parquet, write_dataset
from .fleet import check_budgets, compare, fleet_vitals, vitals_dataset
from .metrics.commands import commands
from .metrics.console import console
from .metrics.console import messages as console_messages
from .metrics.effects import effects
from .metrics.interactions import interactions, responses
from .metrics.navigations import assign_navigation, navigations
from .metrics.network import domain_summary, failures, requests, resource_summary
from .metrics.screenshots import Screenshot, screenshot_at, screenshots
from .metrics.vitals import layout_shifts, lcp_candidates, vitals
from .readers import read, read_events_json, read_ndjson, read_sse
from .replay import Faults, ReplayServer, replay
from .schema import EVENT_TYPES, SCHEMAS
from .session import Session

__version__ = "0.1.0"

__all__ = [
    "EVENT_TYPES",
    "SCHEMAS",
    "AuthenticationError",
    "BrowserNotFound",
    "Capture",
    "CaptureError",
    "EventTypeNotFound",
    "Faults",
    "FormatError",
    "InvalidDuration",
    "ReplayServer",
    "Screenshot",
    "ScreenshotNotFound",
    "Session",
    "SpoolError",
    "TelemetryLabError",
    "UnknownCategory",
    "WrongInputError",
    "__version__",
    "assign_navigation",
    "capture",
    "check_budgets",
    "commands",
    "compare",
    "console",
    "console_messages",
    "domain_summary",
    "effects",
    "failures",
    "fetch_events",
    "fleet_vitals",
    "interactions",
    "layout_shifts",
    "lcp_candidates",
    "load_sample",
    "navigations",
    "plot_compare",
    "plot_console",
    "plot_filmstrip",
    "plot_fleet",
    "plot_layout_shifts",
    "plot_lcp_candidates",
    "plot_timeline",
    "plot_vitals",
    "plot_waterfall",
    "read",
    "read_dataset",
    "read_events_json",
    "read_ndjson",
    "read_parquet",
    "read_sse",
    "replay",
    "requests",
    "resource_summary",
    "responses",
    "screenshot_at",
    "screenshots",
    "to_har",
    "vitals",
    "vitals_dataset",
    "write_dataset",
]
