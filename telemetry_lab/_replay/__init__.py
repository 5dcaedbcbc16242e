"""A Kernel-compatible telemetry server for a recording, with fault injection.

:func:`replay` serves a recording on 127.0.0.1 under the contract of the Kernel API:
``GET /browsers/{id}/telemetry/stream`` (SSE, ``Last-Event-ID``, ``replay=all``, a bounded ring,
id-only frames, keepalives, the stream closing when the session ends, 404 afterwards) and
``GET /browsers/{id}/telemetry/events`` (paged history: ``offset`` / ``X-Next-Offset``,
``since`` / ``until``, ``category``, ``order``, ``limit``). Test your own consumers against it;
:class:`Faults` breaks it in reproducible ways.

- :mod:`.server`: HTTP, routes, auth, the stream and its faults;
- :mod:`.events`: pages of history;
- :mod:`.feed`: the session being replayed (clock, ring, end);
- :mod:`.faults`: what to break; :mod:`.recording`: the recording by seq.

Examples
--------
>>> import requests
>>> from telemetry_lab.datasets import sample_path
>>> with replay(sample_path(), browser_id="demo", api_key="k") as server:
...     page = requests.get(f"{server.url}/browsers/demo/telemetry/events",
...                         params={"since": "1h", "limit": 2},
...                         headers={"Authorization": "Bearer k"})
>>> page.status_code, len(page.json()), page.headers["X-Has-More"]
(200, 2, 'true')
"""

from __future__ import annotations

from telemetry_lab._replay.faults import Faults
from telemetry_lab._replay.recording import Recording
from telemetry_lab._replay.server import ReplayServer, replay

__all__ = ["Faults", "Recording", "ReplayServer", "replay"]
