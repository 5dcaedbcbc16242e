"""Hand-built recordings for tests: envelope dicts -> NDJSON bytes -> Session.

Times are given in milliseconds after ``T0`` and kept to whole microseconds, so boundaries such
as "exactly 1000 ms" survive the epoch-seconds round trip of performance-timeline times.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import telemetry_lab
from telemetry_lab.datasets import sample_path
from telemetry_lab.schema import EVENT_TYPES

#: Epoch microseconds of the recordings' time zero.
T0 = 1_800_000_000_000_000
TAB = "TAB1"


def micros(at_ms: float) -> int:
    """Epoch µs of ``at_ms`` after ``T0``."""
    return T0 + round(at_ms * 1000)


def epoch_seconds(at_ms: float) -> float:
    """Epoch seconds of ``at_ms`` after ``T0`` (how CDP timeline times arrive)."""
    return micros(at_ms) / 1e6


def envelope(seq: int, at_ms: float, event_type: str, data: dict[str, Any] | None,
             *, metadata: dict[str, str] | None = None) -> dict[str, Any]:
    """One Kernel telemetry envelope."""
    known = EVENT_TYPES.get(event_type)
    return {
        "seq": seq,
        "event": {
            "ts": micros(at_ms),
            "type": event_type,
            "category": known.category if known else "unknown",
            "source": {"kind": "cdp", "event": "", "metadata": metadata or {}},
            "data": data,
            "truncated": False,
        },
    }


def ndjson(envelopes: list[dict[str, Any]]) -> bytes:
    """Envelopes as NDJSON bytes."""
    return b"".join(json.dumps(e).encode() + b"\n" for e in envelopes)


@dataclass
class Recording:
    """A growing list of envelopes with automatic ``seq`` numbers and page context."""

    envelopes: list[dict[str, Any]] = field(default_factory=list)
    seq: int = 0

    def add(self, at_ms: float, event_type: str, data: dict[str, Any] | None = None,
            *, skip: int = 0, metadata: dict[str, str] | None = None) -> dict[str, Any]:
        """Append an event ``at_ms`` after T0; ``skip`` leaves that many seqs out first."""
        self.seq += 1 + skip
        env = envelope(self.seq, at_ms, event_type, data, metadata=metadata)
        self.envelopes.append(env)
        return env

    def page(self, at_ms: float, event_type: str, nav: int, *, tab: str = TAB, skip: int = 0,
             **data: Any) -> dict[str, Any]:
        """An event of navigation ``nav`` of ``tab`` (context filled the way the monitor does)."""
        context = {"target_id": tab, "target_type": "page", "frame_id": tab,
                   "loader_id": f"{tab}-L{nav}", "nav_seq": nav}
        return self.add(at_ms, event_type, {**context, **data}, skip=skip)

    def navigate(self, at_ms: float, nav: int, *, tab: str = TAB, url: str | None = None,
                 request_ms: float | None = None) -> None:
        """A top-level navigation committed ``at_ms``, its document requested ``request_ms``."""
        url = url or f"https://example.test/{tab}/{nav}"
        if request_ms is not None:
            self.add(request_ms, "network_request", {
                "target_id": tab, "frame_id": tab, "loader_id": f"{tab}-L{nav}",
                "nav_seq": nav - 1 if nav > 1 else None, "request_id": f"{tab}-L{nav}",
                "url": url, "method": "GET", "resource_type": "Document",
            })
        self.add(at_ms, "page_navigation", {"target_id": tab, "target_type": "page",
                                            "frame_id": tab, "loader_id": f"{tab}-L{nav}",
                                            "url": url})

    def shift(self, at_ms: float, value: float, nav: int = 1, *, tab: str = TAB,
              recent: bool = False, frame: str | None = None) -> None:
        """A layout shift whose timeline time is ``at_ms`` (the envelope arrives 3 ms later)."""
        self.page(at_ms + 3, "page_layout_shift", nav, tab=tab,
                  source_frame_id=frame or tab, time=epoch_seconds(at_ms), duration=0,
                  layout_shift_details={"value": value, "had_recent_input": recent})

    def lcp(self, render_ms: float | None, size: float, nav: int = 1, *, tab: str = TAB,
            load_ms: float | None = None, element_id: str = "", url: str = "",
            node_id: int = 1, frame: str | None = None) -> None:
        """An LCP candidate; ``render_ms=None`` sends ``render_time`` 0 (use ``load_time``)."""
        render = epoch_seconds(render_ms) if render_ms is not None else 0
        load = epoch_seconds(load_ms) if load_ms is not None else 0
        at = max(x for x in (render_ms, load_ms) if x is not None) + 5
        self.page(at, "page_lcp", nav, tab=tab, source_frame_id=frame or tab,
                  time=render or load,
                  lcp_details={"render_time": render, "load_time": load, "size": size,
                               "element_id": element_id, "url": url, "node_id": node_id})

    def session(self) -> telemetry_lab.Session:
        """The recording read back through the NDJSON reader."""
        return telemetry_lab.read_ndjson(ndjson(self.envelopes))


def spaced_sample(folder: Path, seconds: float, n: int = 3) -> Path:
    """The first ``n`` events of the bundled sample, ``seconds`` apart, as an NDJSON file."""
    out = []
    for i, line in enumerate(sample_path().read_bytes().splitlines()[:n]):
        env = json.loads(line)
        env["event"]["ts"] = 1_796_018_033_000_000 + int(i * seconds * 1e6)
        out.append(json.dumps(env))
    path = folder / "spaced.ndjson"
    path.write_text("\n".join(out) + "\n")
    return path
