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
    capture,
    fetch_events,
)
from .charts.vitals import plot_layout_shifts, plot_lcp_candidates, plot_vitals
from .charts.waterfall import plot_waterfall
from .datasets import load_sample
from .errors import (
    EventTypeNotFound,
    FormatError,
    InvalidDuration,
    TelemetryLabError,
    UnknownCategory,
    WrongInputError,
)
from .export.har import to_har
from .export.parquet import read_dataset, read_parquet, write_dataset
from .metrics.interactions import inp_proxy, interactions
from .metrics.navigations import assign_navigation, navigations
from .metrics.network import domain_summary, failures, requests, resource_summary
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
    "Session",
    "TelemetryLabError",
    "UnknownCategory",
    "WrongInputError",
    "__version__",
    "assign_navigation",
    "capture",
    "domain_summary",
    "failures",
    "fetch_events",
    "inp_proxy",
    "interactions",
    "layout_shifts",
    "lcp_candidates",
    "load_sample",
    "navigations",
    "plot_layout_shifts",
    "plot_lcp_candidates",
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
    "to_har",
    "vitals",
    "write_dataset",
]
