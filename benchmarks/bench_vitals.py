"""Benchmark: Core Web Vitals of a session with 1,000 navigations and 200,000 events.

The session is the bundled ``shop`` recording (3 navigations, 248 events) repeated in new tabs:
every copy gets its own seqs, times (+15 s per copy) and ids (targets, frames, loaders,
requests). Network and console events are repeated within each copy (new request ids, same
navigation) until the session holds 200,000 events. The baseline, measured in the same run, is
reading the recording (``telemetry_lab.read_ndjson``).

Run: ``python benchmarks/bench_vitals.py``
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from importlib import resources
from typing import Any

import telemetry_lab
from telemetry_lab.metrics.interactions import interactions
from telemetry_lab.metrics.navigations import navigations
from telemetry_lab.metrics.vitals import layout_shifts, lcp_candidates, vitals

EVENTS = 200_000
COPIES = 334  # 3 navigations each: 1,002 navigations
SPACING_US = 15_000_000
ID_KEYS = ("target_id", "session_id", "cdp_session_id", "frame_id", "loader_id", "request_id",
           "source_frame_id")
FILLER = ("network_request", "network_response", "network_loading_failed", "console_log")


def _rename(mapping: dict[str, Any] | None, suffix: str) -> None:
    for key in ID_KEYS:
        if mapping and isinstance(mapping.get(key), str):
            mapping[key] = mapping[key] + suffix


def _shift_times(data: dict[str, Any], seconds: float) -> None:
    for holder, key in ((data, "time"), (data.get("lcp_details") or {}, "render_time"),
                        (data.get("lcp_details") or {}, "load_time")):
        if isinstance(holder.get(key), float) and holder[key] > 0:
            holder[key] += seconds


def build(shop: list[dict[str, Any]]) -> bytes:
    """The benchmark recording as NDJSON bytes."""
    filler = [e for e in shop if e["event"]["type"] in FILLER]
    repeats = -(-(EVENTS // COPIES - len(shop)) // len(filler))
    out: list[bytes] = []
    seq = 0
    for i in range(COPIES):
        batch = [copy.deepcopy(e) for e in shop]
        for r in range(repeats):
            for e in copy.deepcopy(filler):
                if e["event"]["data"] and "request_id" in e["event"]["data"]:
                    e["event"]["data"]["request_id"] += f".r{r}"
                batch.append(e)
        batch.sort(key=lambda e: e["event"]["ts"])
        for e in batch[: EVENTS // COPIES + (i < EVENTS % COPIES)]:
            seq += 1
            e["seq"] = seq
            event = e["event"]
            event["ts"] += i * SPACING_US
            _rename(event["source"].get("metadata"), f"-{i}")
            if event["data"]:
                _rename(event["data"], f"-{i}")
                _shift_times(event["data"], i * SPACING_US / 1e6)
            out.append(json.dumps(e).encode())
    return b"\n".join(out) + b"\n"


def timed(label: str, fn: Callable[[], Any], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    rows = f"{len(result):>7,} rows" if hasattr(result, "__len__") else ""
    print(f"{label:<28} {best * 1e3:9.1f} ms  {rows}")
    return best


def main() -> None:
    raw = resources.files("telemetry_lab.datasets").joinpath("shop.ndjson").read_bytes()
    shop = [json.loads(line) for line in raw.splitlines() if line.strip()]
    data = build(shop)
    session = telemetry_lab.read_ndjson(data)
    navs = navigations(session)
    print(f"session: {len(session):,} events, {len(navs):,} navigations, "
          f"{len(data) / 1e6:.0f} MB NDJSON")
    read = timed("read_ndjson (baseline)", lambda: telemetry_lab.read_ndjson(data), repeat=1)
    timed("navigations", lambda: navigations(session))
    timed("layout_shifts", lambda: layout_shifts(session, navs=navs))
    timed("lcp_candidates", lambda: lcp_candidates(session, navs=navs))
    timed("interactions", lambda: interactions(session, navs=navs))
    total = timed("vitals (all of the above)", lambda: vitals(session))
    print(f"vitals / read_ndjson: {total / read:.2f}x")


if __name__ == "__main__":
    main()
