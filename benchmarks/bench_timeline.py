"""Benchmark: the interaction timeline of a 100,000-event session.

Generates a real-shaped recording (:mod:`telemetry_lab.datasets.synthetic`: the bundled shop
journey repeated, with its clicks, keys, requests, shifts, console output and screenshots),
reads it, and times :func:`plot_timeline` (effects attribution and the figure build, not the
browser's rendering). Two baselines run in the same process: ``plotly.express.scatter`` of every
event by type (a dot per event, no attribution), and the naive figure with one trace per event,
timed on a subsample and scaled to the session (per-event cost × events).

Run: ``python benchmarks/bench_timeline.py [events]``
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

import telemetry_lab
from telemetry_lab.charts.timeline import plot_timeline
from telemetry_lab.datasets.synthetic import generate_lines

NAIVE_SAMPLE = 2_000


def best_of(fn: Callable[[], object], repeat: int = 3) -> tuple[float, float]:
    """Best wall and CPU seconds of ``repeat`` runs (the machine may be shared: CPU is steadier)."""
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return min(wall), min(cpu)


def naive(events: pd.DataFrame) -> go.Figure:
    """One trace per event: what a loop over the stream would draw."""
    fig = go.Figure()
    for ts, kind in zip(events["ts"], events["type"], strict=True):
        fig.add_trace(go.Scatter(x=[ts], y=[kind], mode="markers", name=kind))
    return fig


def main(total: int = 100_000) -> None:
    session = telemetry_lab.read(b"\n".join(generate_lines(total, seed=1)))
    events = session.events[["ts", "type"]].assign(ts=lambda f: f["ts"].astype(
        "datetime64[us, UTC]"), type=lambda f: f["type"].astype(str))
    fig = plot_timeline(session)
    points = sum(len(t.x) for t in fig.data)
    print(f"{len(session):,} events, {len(telemetry_lab.effects(session)):,} input → effect "
          f"pairs; figure: {len(fig.data)} traces, {points:,} points, "
          f"{len(fig.layout.images)} thumbnails")
    ours, ours_cpu = best_of(lambda: plot_timeline(session))
    print(f"plot_timeline (build):       {ours * 1e3:8.1f} ms wall, {ours_cpu * 1e3:8.1f} ms CPU")
    scatter, scatter_cpu = best_of(lambda: px.scatter(events, x="ts", y="type", color="type"))
    print(f"px.scatter of every event:   {scatter * 1e3:8.1f} ms wall, {scatter_cpu * 1e3:8.1f} "
          f"ms CPU  (ratio {scatter_cpu / ours_cpu:.2f}x of ours, CPU)")
    sample = events.iloc[:NAIVE_SAMPLE]
    per_event, per_event_cpu = best_of(lambda: naive(sample), repeat=1)
    scaled = per_event_cpu / NAIVE_SAMPLE * len(events)
    print(f"one trace per event:         {per_event * 1e3:8.1f} ms wall for {NAIVE_SAMPLE:,} "
          f"events -> {scaled:8.1f} s CPU for {len(events):,} (ratio {scaled / ours_cpu:.0f}x)")
    print("target: well under 2 s for 100,000 events:",
          "met" if ours_cpu < 2 else "NOT met", f"({ours_cpu:.2f} s CPU, {ours:.2f} s wall)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
