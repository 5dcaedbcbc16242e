"""Benchmark: the network waterfall for 5,000 requests.

Builds a recording of 10 navigations x 500 requests (request, then a response, a failure or
nothing), reads it, and times :func:`requests` and :func:`plot_waterfall` (the figure build,
not the browser's rendering). The baseline, measured in the same run on the same rows, is
``plotly.express.timeline`` coloured by resource type: the usual way to draw a waterfall.

Run: ``python benchmarks/bench_waterfall.py [requests]``
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.express as px

import telemetry_lab
from telemetry_lab.charts.waterfall import plot_waterfall
from telemetry_lab.metrics.navigations import navigations
from telemetry_lab.metrics.network import requests

T0 = 1_800_000_000_000_000
TYPES = ("Script", "Image", "Stylesheet", "Fetch", "Font", "XHR", "Ping")


def _envelope(seq: int, ts: int, event_type: str, data: dict[str, Any]) -> bytes:
    event = {"ts": ts, "type": event_type, "category": "page" if event_type.startswith("page")
             else "network", "source": {"kind": "cdp", "event": ""}, "data": data}
    return json.dumps({"seq": seq, "event": event}).encode() + b"\n"


def recording(total: int, per_nav: int = 500) -> bytes:
    """NDJSON of ``total`` requests spread over navigations of ``per_nav`` requests each."""
    lines, seq = [], 0
    for nav in range(1, total // per_nav + 1):
        base = T0 + nav * 20_000_000
        ctx = {"target_id": "TAB", "frame_id": "TAB", "loader_id": f"L{nav}"}
        seq += 1
        lines.append(_envelope(seq, base, "network_request", {
            **ctx, "nav_seq": nav - 1 or None, "request_id": f"L{nav}", "method": "GET",
            "url": f"https://shop.example.com/page/{nav}", "resource_type": "Document"}))
        seq += 1
        lines.append(_envelope(seq, base + 50_000, "page_navigation",
                               {**ctx, "url": f"https://shop.example.com/page/{nav}"}))
        for i in range(per_nav - 1):
            rid, start = f"{nav}.{i}", base + 60_000 + i * 9_000
            host = ("shop.example.com", "cdn.example.net", "ads.tracker.example")[i % 3]
            data = {**ctx, "nav_seq": nav, "request_id": rid, "method": "GET",
                    "url": f"https://{host}/r/{i}.bin", "resource_type": TYPES[i % len(TYPES)]}
            seq += 1
            lines.append(_envelope(seq, start, "network_request", data))
            seq += 1
            if i % 50 == 7:
                lines.append(_envelope(seq, start + 30_000, "network_loading_failed",
                                       {**data, "error_text": "net::ERR_FAILED"}))
            elif i % 50 != 9:
                lines.append(_envelope(seq, start + 20_000 + (i % 13) * 7_000,
                                       "network_response", {
                                           **data, "status": 404 if i % 97 == 3 else 200,
                                           "mime_type": "application/octet-stream",
                                           "headers": {"Content-Length": str(100 + i)}}))
    return b"".join(lines)


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main(total: int = 5000) -> None:
    session = telemetry_lab.read_ndjson(recording(total))
    reqs = requests(session)
    navs = navigations(session)
    print(f"{len(reqs):,} requests over {len(navs)} navigations")
    print(f"requests(session):          {best_of(lambda: requests(session)) * 1e3:8.1f} ms")
    ours = best_of(lambda: plot_waterfall(reqs, navigations=navs))
    frame = reqs.assign(start=reqs["start"].astype("datetime64[us, UTC]"),
                        end=reqs["end"].fillna(reqs["start"]).astype("datetime64[us, UTC]"))
    frame = pd.DataFrame({c: frame[c] for c in ("start", "end", "url", "resource_type")})
    baseline = best_of(lambda: px.timeline(frame, x_start="start", x_end="end", y="url",
                                           color="resource_type"))
    traces = len(plot_waterfall(reqs, navigations=navs).data)
    print(f"plot_waterfall (build):     {ours * 1e3:8.1f} ms, {traces} traces")
    print(f"px.timeline baseline:       {baseline * 1e3:8.1f} ms  (ratio {baseline / ours:.1f}x)")
    print("target: < 1000 ms for 5,000 requests:", "met" if ours < 1 else "NOT met")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
