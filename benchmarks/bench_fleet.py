"""Benchmark: per-navigation vitals of a 1,000-session dataset, embedded and on Dask.

The dataset is written first (not timed): 1,000 sessions of about 1,000 events each, every one the
bundled ``shop`` journey repeated four times with its LCP times and layout-shift values varied
per navigation (``telemetry_lab.datasets.synthetic.write_fleet``), so 12,000 navigations with
real distributions. Then, each in a fresh process so that its peak memory is its own:

- the baseline, measured in the same run: ``vitals(read_parquet(folder))`` one session at a
  time, on the first 100 sessions;
- ``vitals_dataset(root)`` (embedded) on 250 and on 1,000 sessions: peak memory must not grow
  with the number of sessions;
- ``vitals_dataset(root, engine=client)`` on a ``LocalCluster`` of 2 worker processes.

Peak RSS is sampled every 20 ms over the process and its children (the Dask workers).

Run: ``python benchmarks/bench_fleet.py [--sessions 1000]``
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from telemetry_lab.datasets.synthetic import write_fleet


class PeakRSS:
    """Largest summed RSS of this process and its children while the block runs (bytes)."""

    def __enter__(self) -> PeakRSS:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    continue
            self.peak = max(self.peak, total)
            self._stop.wait(0.02)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _phase(kind: str, root: str, queue: Any) -> None:
    from telemetry_lab import read_parquet, vitals, vitals_dataset

    with PeakRSS() as rss:
        t0 = time.perf_counter()
        if kind == "baseline":
            folders = sorted(Path(root).glob("session=*"))
            rows = sum(len(vitals(read_parquet(f))) for f in folders)
            sessions = len(folders)
        elif kind == "embedded":
            frame = vitals_dataset(root)
            rows, sessions = len(frame), frame["session"].nunique()
        else:
            import distributed

            with distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                          dashboard_address=None) as cluster, \
                    distributed.Client(cluster) as client:
                client.wait_for_workers(2)
                t0 = time.perf_counter()
                frame = vitals_dataset(root, engine=client)
                seconds = time.perf_counter() - t0
            rows, sessions = len(frame), frame["session"].nunique()
        if kind != "dask":
            seconds = time.perf_counter() - t0
    queue.put((seconds, rows, sessions, rss.peak))


def run(kind: str, root: Path) -> tuple[float, int, int, int]:
    """One phase in a fresh process: (seconds, navigations, sessions, peak RSS bytes)."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_phase, args=(kind, str(root), queue))
    child.start()
    result: tuple[float, int, int, int] = queue.get()
    child.join()
    return result


def _subset(root: Path, count: int, into: Path) -> Path:
    into.mkdir()
    for folder in sorted(root.glob("session=*"))[:count]:
        os.symlink(folder, into / folder.name)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        root = write_fleet(Path(tmp) / "fleet", args.sessions, seed=1)
        events = sum(1 for _ in root.glob("session=*/*.parquet"))
        print(f"dataset: {args.sessions:,} sessions, {events:,} Parquet files, written in "
              f"{time.perf_counter() - t0:.0f} s (not part of the figures)\n")
        small = max(1, args.sessions // 10)
        phases = [
            ("baseline: vitals(read_parquet) per session", "baseline",
             _subset(root, small, Path(tmp) / "small")),
            ("vitals_dataset embedded", "embedded",
             _subset(root, max(1, args.sessions // 4), Path(tmp) / "quarter")),
            ("vitals_dataset embedded", "embedded", root),
            ("vitals_dataset dask (2 workers)", "dask", root),
        ]
        rates = {}
        for label, kind, where in phases:
            seconds, rows, sessions, peak = run(kind, where)
            rates[(kind, sessions)] = sessions / seconds
            print(f"{label:<44} {sessions:>6,} sessions {rows:>7,} navs {seconds:7.1f} s "
                  f"{sessions / seconds:7.1f} sessions/s  peak RSS {peak / 2**20:6.0f} MB")
        base = next(v for (k, _), v in rates.items() if k == "baseline")
        print()
        for (kind, sessions), rate in rates.items():
            if kind != "baseline":
                print(f"{kind} on {sessions:,} sessions / baseline: {rate / base:.1f}x")


if __name__ == "__main__":
    main()
