"""Live capture of a Kernel browser's telemetry: stream, reconnect, backfill, spool.

The only part of telemetry_lab that talks HTTP. :func:`capture` streams ``/telemetry/stream``
in a background thread, resumes after drops with ``Last-Event-ID``, fetches what the stream lost
from ``/telemetry/events`` and appends every frame to a spool file as it arrives;
:func:`fetch_events` reads a session from history alone.

- :mod:`.api`: the two endpoints, status codes, retries and backoff;
- :mod:`.live`: the :class:`Capture` thread;
- :mod:`.intake`: what arrived, filtered and parsed in batches, and the resume point;
- :mod:`.history`: what is missing, and fetching it;
- :mod:`.spool`: the spool file.

Examples
--------
>>> from telemetry_lab.datasets import sample_path
>>> from telemetry_lab import Faults, capture, replay
>>> with replay(sample_path(), browser_id="b1", api_key="k",
...             faults=Faults(drop_after=100)) as server:
...     cap = capture("b1", api_key="k", base_url=server.url, spool=False, progress=False)
...     session = cap.wait(timeout=30)
>>> len(session), cap.stats.reconnects, session.gaps.empty
(248, 2, True)
"""

from __future__ import annotations

from telemetry_lab._capture.history import fetch_events
from telemetry_lab._capture.live import Capture, capture

__all__ = [
    "Capture",
    "capture",
    "fetch_events",
]
