"""telemetry_lab: Kernel browser telemetry as Arrow-backed pandas DataFrames.

Examples
--------
>>> import telemetry_lab
>>> session = telemetry_lab.load_sample()
>>> session.frame("network_response")["status"].value_counts().to_dict()
{200: 90, 204: 4, 404: 1}
"""

from __future__ import annotations

from .datasets import load_sample
from .errors import EventTypeNotFound, FormatError, TelemetryLabError
from .export.parquet import read_dataset, read_parquet, write_dataset
from .readers import read, read_events_json, read_ndjson, read_sse
from .schema import EVENT_TYPES, SCHEMAS
from .session import Session

__version__ = "0.1.0"

__all__ = [
    "EVENT_TYPES",
    "SCHEMAS",
    "EventTypeNotFound",
    "FormatError",
    "Session",
    "TelemetryLabError",
    "__version__",
    "load_sample",
    "read",
    "read_dataset",
    "read_events_json",
    "read_ndjson",
    "read_parquet",
    "read_sse",
    "write_dataset",
]
