"""Benchmark: the HTML report of a long session, against writing each figure on its own.

Builds a real-shaped recording (the bundled shop journey repeated: ``n`` events), then times
:func:`telemetry_lab.report` and measures the file. The baseline, measured in the same run on the
same session, is what one does without the report: every chart the report draws, each written
with ``fig.write_html`` (plotly.js inlined in every file, as Plotly does by default). Figures
are the time to build and write, and bytes on disk; the report also holds every table.

Run: ``python benchmarks/bench_report.py [events]``
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import telemetry_lab
from telemetry_lab.charts.console import plot_console
from telemetry_lab.charts.timeline import plot_timeline
from telemetry_lab.charts.vitals import plot_vitals
from telemetry_lab.charts.waterfall import plot_waterfall
from telemetry_lab.datasets.synthetic import generate_lines
from telemetry_lab.export.report import report
from telemetry_lab.export.report_sections import NAV_DETAIL
from telemetry_lab.metrics.console import messages
from telemetry_lab.metrics.navigations import navigations
from telemetry_lab.metrics.network import requests
from telemetry_lab.metrics.vitals import vitals


def separate_files(session: telemetry_lab.Session, folder: Path) -> int:
    """The report's charts as one ``write_html`` file each; total bytes."""
    navs = navigations(session)
    reqs = requests(session)
    figures = [plot_vitals(vitals(session)), plot_timeline(session, navs=navs),
               plot_console(messages(session, navs=navs))]
    for i in range(min(len(navs), NAV_DETAIL)):
        nav = navs.iloc[i]
        mine = reqs[(reqs["target_id"] == nav["target_id"]).fillna(False).to_numpy(bool)
                    & (reqs["nav_seq"] == nav["nav_seq"]).fillna(False).to_numpy(bool)]
        figures.append(plot_waterfall(mine, navigations=navs.iloc[[i]]))
    total = 0
    for n, fig in enumerate(figures):
        path = folder / f"figure-{n}.html"
        fig.write_html(path)
        total += path.stat().st_size
    return total


def main(events: int) -> None:
    session = telemetry_lab.read(b"\n".join(generate_lines(events, seed=1)))
    print(f"{len(session):,} events, {len(navigations(session)):,} navigations")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        baseline_bytes = separate_files(session, folder)
        baseline_s = time.perf_counter() - start
        start = time.perf_counter()
        page = report(session, folder / "report.html")
        report_s = time.perf_counter() - start
        report_bytes = page.stat().st_size
    print(f"{'path':<44} {'seconds':>8} {'MB':>8}")
    print(f"{'baseline: each chart write_html':<44} {baseline_s:>8.2f} "
          f"{baseline_bytes / 1e6:>8.1f}")
    print(f"{'telemetry_lab.report (charts + all tables)':<44} {report_s:>8.2f} "
          f"{report_bytes / 1e6:>8.1f}")
    print(f"report vs baseline: {report_s / baseline_s:.2f}x the time, "
          f"{report_bytes / baseline_bytes:.2f}x the bytes")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
