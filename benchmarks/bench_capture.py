"""Capture throughput over loopback HTTP: 200,000 real-shaped events with network bodies.

The replay server runs in its own process (``telemetry-lab replay``, as fast as possible, ring
holding everything); the same stream is read twice: raw bytes only (the ceiling) and by
:func:`telemetry_lab.capture` into typed tables. Prints events/s, MB/s, peak RSS and the ratio.

Run: ``python benchmarks/bench_capture.py [N]``
"""

from __future__ import annotations

import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from telemetry_lab import capture
from telemetry_lab.datasets.synthetic import write_recording

KEY = "bench"


def _serve(recording: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "telemetry_lab.cli", "replay", str(recording), "--browser-id", "b",
         "--port", str(port), "--ring", "0", "--api-key", KEY], stdout=subprocess.PIPE)
    assert server.stdout is not None
    server.stdout.readline()  # "serving …" once the recording is loaded
    return server, f"http://127.0.0.1:{port}"


def raw_rate(recording: Path) -> tuple[int, float]:
    server, url = _serve(recording)
    try:
        start = time.perf_counter()
        response = requests.get(f"{url}/browsers/b/telemetry/stream", params={"replay": "all"},
                                headers={"Authorization": f"Bearer {KEY}"}, stream=True)
        size = 0
        while chunk := response.raw.read1(1 << 20):
            size += len(chunk)
        return size, time.perf_counter() - start
    finally:
        server.terminate()
        server.wait()


def capture_rate(recording: Path) -> tuple[int, int, float, object]:
    server, url = _serve(recording)
    try:
        start = time.perf_counter()
        cap = capture("b", api_key=KEY, base_url=url, spool=False, progress=False)
        session = cap.wait()
        elapsed = time.perf_counter() - start
        return len(session), len(session.gaps), elapsed, cap.stats
    finally:
        server.terminate()
        server.wait()


def main(n: int = 200_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        recording = write_recording(Path(tmp) / "bench.sse", n, fmt="sse", seed=1)
        mb = recording.stat().st_size / 1e6
        print(f"{n:,} events, {mb:,.0f} MB SSE")
        size, raw = raw_rate(recording)
        print(f"raw bytes over HTTP    : {size / 1e6 / raw:8,.0f} MB/s  {n / raw:10,.0f} events/s"
              f"  ({raw:.2f} s)")
        events, gaps, elapsed, stats = capture_rate(recording)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"capture → typed tables : {mb / elapsed:8,.0f} MB/s  {events / elapsed:10,.0f} "
              f"events/s  ({elapsed:.2f} s; {events:,} events, {gaps} gaps, "
              f"{n - events} lost; peak RSS {rss:,.0f} MB)")
        print(f"capture / raw          : {raw / elapsed:.2f}")
        print(stats)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
