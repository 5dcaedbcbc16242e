"""Load benchmark: telemetry_lab's readers against the paths a user would pick instead, in one run.

On one recording (by default 200,000 real-shaped envelopes: the real Chromium recordings bundled
with the toolkit cycled with fresh seqs, timestamps and ids, as NDJSON and as SSE) it loads

* ``telemetry_lab.read_ndjson`` and ``telemetry_lab.read_sse``: typed per-type tables, bad-input
  handling, gaps;
* the naive baseline: ``json.loads`` per line + ``pandas.json_normalize`` +
  ``convert_dtypes(dtype_backend="pyarrow")``;
* ``pyarrow.json.read_json`` on the whole file: Arrow's C++ reader alone, one untyped table, no
  per-type schemas, no bad-input handling;
* DuckDB's ``read_json`` (``format='newline_delimited'``, types detected automatically, every
  column materialised as an Arrow table), the peer a user would pick.

Each measurement runs in a fresh subprocess that imports only what its path uses, so that its
peak RSS is what a user of that path pays (the RSS after the imports is printed too); each path is
measured ``--repeat`` times, in rounds that run every path in turn (the naive baseline only in the
first: it is an order of magnitude slower), and the median is printed, with events/s, CPU seconds
(all threads), the ratio to ``read_ndjson`` and peak RSS as a multiple of the file. The machine
may be shared: compare ratios, which are taken in the same run, not absolute rates; CPU seconds
move less than wall time under load.

Usage: ``python benchmarks/bench_load.py [--events N] [--file PATH] [--repeat N] [--keep DIR]``
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
import json, sys, time


def peak_rss():
    # this process's own peak (VmHWM starts afresh at exec; ru_maxrss carries the parent's over)
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))


path, how = sys.argv[1], sys.argv[2]
# each path imports only what it uses (its peak RSS is what its user pays); imports are untimed
if how == "arrow":
    import pyarrow.json as pj
elif how == "duckdb":
    import duckdb
    import pyarrow  # noqa: F401 (its result is an Arrow table)
elif how == "baseline":
    import pandas as pd
else:
    import telemetry_lab
    import telemetry_lab.readers  # its names load on first use: load them before the clock starts
imported = peak_rss()
start = time.perf_counter()
cpu = time.process_time()
if how == "arrow":
    events = pj.read_json(path).num_rows
elif how == "duckdb":
    query = "SELECT * FROM read_json(?, format='newline_delimited')"
    result = duckdb.execute(query, [path])
    table = result.to_arrow_table() if hasattr(result, "to_arrow_table") else result.arrow()
    events = table.num_rows  # every column materialised
elif how == "baseline":
    with open(path, "rb") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    frame = pd.json_normalize(records).convert_dtypes(dtype_backend="pyarrow")
    events = len(frame)
else:
    session = getattr(telemetry_lab, how)(path)
    events = len(session)
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
rss = peak_rss()
print(json.dumps({"events": events, "seconds": seconds, "cpu": cpu, "rss": rss,
                  "imported": imported}))
"""


def measure(path: Path, how: str) -> dict[str, float]:
    """Load ``path`` with ``how`` in a fresh interpreter; events, seconds and peak RSS."""
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path), how],
        check=True, capture_output=True, text=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def medians(runs: list[tuple[str, Path, str, int]], repeat: int) -> dict[str, dict[str, float]]:
    """For each path of ``runs``, its run with the median time.

    Rounds run every path in turn (a path runs only in the first ``its repeat`` rounds), so that
    a change of load on a shared machine hits every path alike.
    """
    results: dict[str, list[dict[str, float]]] = {how: [] for _, _, how, _ in runs}
    for round_ in range(repeat):
        for _, path, how, times in runs:
            if round_ < times:
                results[how].append(measure(path, how))
    return {how: sorted(r, key=lambda x: x["seconds"])[len(r) // 2] for how, r in results.items()}


def _ndjson_copy(sse: Path, folder: Path) -> Path:
    """An NDJSON file holding the envelopes of SSE recording ``sse`` (for the NDJSON readers)."""
    out = folder / (sse.stem + ".ndjson")
    with sse.open("rb") as source, out.open("wb") as target:
        for line in source:
            if line.startswith(b"data: "):
                target.write(line[6:].rstrip(b"\r\n") + b"\n")
    return out


def recordings(args: argparse.Namespace, folder: Path) -> tuple[Path, Path | None]:
    """The NDJSON file and the SSE file (None for a user's NDJSON file) to measure."""
    if args.file is not None:
        path = Path(args.file)
        with path.open("rb") as handle:
            head = handle.read(64)
        if head.lstrip().startswith((b"id:", b"data:", b":")):
            return _ndjson_copy(path, folder), path
        return path, None
    started = time.perf_counter()
    ndjson = write_recording(folder / "bench.ndjson", args.events)
    sse = write_recording(folder / "bench.sse", args.events, fmt="sse")
    print(f"generated {args.events:,} real-shaped events in {time.perf_counter() - started:.1f} s: "
          f"NDJSON {ndjson.stat().st_size / 1e6:,.0f} MB, SSE {sse.stat().st_size / 1e6:,.0f} MB")
    return ndjson, sse


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print one line per path."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--file", type=Path, help="measure this recording (NDJSON or SSE)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per path (median printed)")
    parser.add_argument("--keep", type=Path, help="write the recordings here and keep them")
    args = parser.parse_args(argv)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench_load_"))
    folder.mkdir(parents=True, exist_ok=True)
    ndjson, sse = recordings(args, folder)
    runs = [("telemetry_lab.read_ndjson", ndjson, "read_ndjson", args.repeat)]
    if sse is not None:
        runs.append(("telemetry_lab.read_sse", sse, "read_sse", args.repeat))
    runs += [
        ("naive json.loads+json_normalize", ndjson, "baseline", 1),
        ("pyarrow.json.read_json (untyped)", ndjson, "arrow", args.repeat),
        ("duckdb read_json (auto)", ndjson, "duckdb", args.repeat),
    ]
    ours = None
    rates = {}
    measured = medians(runs, args.repeat)
    for label, path, how, _ in runs:
        result = measured[how]
        rate = rates[how] = result["events"] / result["seconds"]
        ours = ours or rate
        size = path.stat().st_size
        print(f"{label:<34} {result['events']:>9,.0f} events {result['seconds']:7.2f} s "
              f"(CPU {result['cpu']:6.2f} s) {rate:>8,.0f} events/s  "
              f"peak RSS {result['rss'] / 1e6:6,.0f} MB "
              f"({result['rss'] / size:.2f}x file; {result['imported'] / 1e6:4,.0f} MB after "
              f"imports)  ours/this {ours / rate:5.2f}x")
    if "read_sse" in rates:
        print(f"read_sse / read_ndjson: {rates['read_sse'] / rates['read_ndjson']:.2f}x; "
              f"read_ndjson / pyarrow.json.read_json: {rates['read_ndjson'] / rates['arrow']:.2f}x")
    if args.keep is None:
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
