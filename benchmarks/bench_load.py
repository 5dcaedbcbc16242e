"""Load benchmark: telemetry_lab's readers against the naive pandas path, in one run.

Generates a real-shaped recording (the bundled shop journey repeated: network events with headers
and response bodies, console stack traces, screenshots) as NDJSON and SSE, then loads it

* with ``telemetry_lab.read_ndjson`` and ``telemetry_lab.read_sse``;
* with the naive baseline: ``json.loads`` per line + ``pandas.json_normalize`` +
  ``convert_dtypes(dtype_backend="pyarrow")``;
* with Arrow's C++ JSON reader alone (``pyarrow.json.read_json``: one untyped table, no per-type
  schemas, no bad-input handling), the reference the toolkit should stay near.

Each path runs in a fresh subprocess so that its peak RSS is its own. Prints events/s, peak RSS
(absolute and as a multiple of the file size) and the ratio to the baseline.

Usage: ``python benchmarks/bench_load.py [--events N] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from telemetry_lab.datasets.synthetic import write_recording

_MEASURE = r"""
import json, resource, sys, time
import pandas as pd
import pyarrow.json as pj
import telemetry_lab
path, how = sys.argv[1], sys.argv[2]
start = time.perf_counter()  # imports are not timed: the same libraries load on every path
if how == "arrow":
    events = pj.read_json(path).num_rows
elif how == "baseline":
    with open(path, "rb") as handle:
        records = [json.loads(line) for line in handle]
    frame = pd.json_normalize(records).convert_dtypes(dtype_backend="pyarrow")
    events = len(frame)
else:
    session = getattr(telemetry_lab, how)(path)
    events = len(session)
    assert session.errors.empty and session.gaps.empty, (session.errors, session.gaps)
seconds = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"events": events, "seconds": seconds, "rss": rss}))
"""


def measure(path: Path, how: str) -> dict[str, float]:
    """Load ``path`` with ``how`` in a fresh interpreter; events, seconds and peak RSS."""
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path), how],
        check=True, capture_output=True, text=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print one line per path."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="write the recordings here and keep them")
    args = parser.parse_args(argv)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench_load_"))
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    ndjson = write_recording(folder / "bench.ndjson", args.events)
    sse = write_recording(folder / "bench.sse", args.events, fmt="sse")
    print(f"generated {args.events:,} events in {time.perf_counter() - started:.1f} s: "
          f"NDJSON {ndjson.stat().st_size / 1e6:,.0f} MB, SSE {sse.stat().st_size / 1e6:,.0f} MB")
    runs = [
        ("baseline json.loads+json_normalize (NDJSON)", ndjson, "baseline"),
        ("pyarrow.json.read_json (C++, untyped)", ndjson, "arrow"),
        ("telemetry_lab.read_ndjson", ndjson, "read_ndjson"),
        ("telemetry_lab.read_sse", sse, "read_sse"),
    ]
    baseline_rate = None
    for label, path, how in runs:
        result = measure(path, how)
        rate = result["events"] / result["seconds"]
        baseline_rate = baseline_rate or rate
        size = path.stat().st_size
        print(f"{label:<45} {result['events']:>9,.0f} events {result['seconds']:7.2f} s "
              f"{rate:>10,.0f} events/s  peak RSS {result['rss'] / 1e6:7,.0f} MB "
              f"({result['rss'] / size:.2f}x file)  {rate / baseline_rate:5.1f}x baseline")
    if not args.keep:
        for path in (ndjson, sse):
            path.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
