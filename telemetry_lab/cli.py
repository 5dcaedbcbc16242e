"""The ``telemetry-lab`` command: capture, fetch, replay, fleet, an HTML report and a demo.

Examples
--------
>>> main(["demo", "--help"])  # doctest: +ELLIPSIS
Traceback (most recent call last):
SystemExit: 0
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from telemetry_lab import __version__
from telemetry_lab._capture import capture, fetch_events
from telemetry_lab._replay import Faults, replay
from telemetry_lab.datasets import sample_path
from telemetry_lab.errors import TelemetryLabError, UnusablePath
from telemetry_lab.export.parquet import dataset_folder
from telemetry_lab.export.report import report
from telemetry_lab.export.report_sections import navigation_names
from telemetry_lab.metrics.vitals import vitals
from telemetry_lab.readers import read, read_parquet
from telemetry_lab.session import Session

#: Faults the demo switches on: a 503 first, drops, a stall, a garbage frame, a 1 MB frame, small
#: TCP pieces, and a ring small enough that the first events are evicted before the capture starts.
DEMO_FAULTS = Faults(seed=7, fail_first=1, retry_after=0.05, drop_after=60, stall_after=40,
                     stall_seconds=5.0, garbage=(150,), big_frame=200, chunk_size=512,
                     truncate_end=3)
#: Seconds of silence after which the demo's capture reconnects (the stall is longer).
DEMO_READ_TIMEOUT = 0.5
DEMO_RING = 100


def _write(session: Session, out: Path, folder: Path | None = None) -> None:
    if folder is not None:  # checked again: it may have appeared during a long capture
        folder = dataset_folder(folder.parent, folder.name.removeprefix("session="))
    path = session.to_parquet(folder or out / "parquet")
    print(session.summary())
    print(f"\nParquet: {path}")


def _dataset_target(args: argparse.Namespace) -> Path | None:
    """``--dataset ROOT`` as ``ROOT/session=<name>`` (refused when it exists), else None."""
    if args.output is None and args.dataset is None:
        raise TelemetryLabError("nowhere to write: give -o OUT, --dataset ROOT, or both")
    if args.dataset is None:
        return None
    return dataset_folder(args.dataset, args.name or args.browser_id)


def _capture(args: argparse.Namespace) -> int:
    folder = _dataset_target(args)
    out = Path(args.output) if args.output else Path(args.dataset) / "_spool"
    spool = Path(args.spool) if args.spool else out / f"{args.browser_id}.sse"
    cap = capture(args.browser_id, base_url=args.base_url, replay=None if args.new else "all",
                  categories=args.category, spool=spool, read_timeout=args.read_timeout,
                  progress=True)
    code = 0
    try:
        session = cap.wait()
    except KeyboardInterrupt:
        print("\ninterrupted: stopping, filling gaps from history …", file=sys.stderr)
        session = cap.stop()
    except TelemetryLabError as exc:
        session, code = cap.session(), 1
        print(f"telemetry-lab capture: {exc}\n  writing the {len(session)} events that "
              "arrived to Parquet", file=sys.stderr)
    _write(session, out, folder)
    print(f"spool: {cap.spool}")
    return code


def _fetch(args: argparse.Namespace) -> int:
    folder = _dataset_target(args)
    session = fetch_events(args.browser_id, since=args.since, until=args.until,
                           categories=args.category, base_url=args.base_url)
    _write(session, Path(args.output or "."), folder)
    return 0


def _faults(args: argparse.Namespace) -> Faults:
    return Faults(seed=args.seed, drop_after=args.drop_after, drop_rate=args.drop_rate,
                  stall_after=args.stall_after, stall_seconds=args.stall_seconds,
                  garbage=tuple(args.garbage or ()), fail_first=args.fail_first,
                  fail_status=args.fail_status, retry_after=args.retry_after,
                  chunk_size=args.chunk_size, big_frame=args.big_frame,
                  truncate_end=args.truncate_end)


def capture_hint(browser_id: str, url: str, *, keyed: bool) -> str:
    """The capture command for a replay server, runnable as printed (the key, when the server
    needs one, comes from ``KERNEL_API_KEY``, which must then hold the server's token).

    Examples
    --------
    >>> capture_hint("b", "http://127.0.0.1:8765", keyed=False)
    'telemetry-lab capture b --base-url http://127.0.0.1:8765 -o capture-b'
    """
    command = f"telemetry-lab capture {browser_id} --base-url {url} -o capture-{browser_id}"
    return command + ("  (with KERNEL_API_KEY set to the replay token)" if keyed else "")


def _replay(args: argparse.Namespace) -> int:
    server = replay(args.recording, browser_id=args.browser_id, port=args.port,
                    api_key=args.api_key, ring=args.ring or None, keepalive=args.keepalive,
                    speed=args.speed, faults=_faults(args))
    faults = "".join(f"\n  fault: {text}" for text in server.feed.faults.describe())
    print(f"serving {args.recording} as browser {args.browser_id!r} at {server.url}\n"
          f"  {capture_hint(args.browser_id, server.url, keyed=server.token)}" + faults,
          flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
    return 0


def _demo(args: argparse.Namespace) -> int:
    out = Path(args.output or tempfile.mkdtemp(prefix="telemetry-lab-demo-"))
    out.mkdir(parents=True, exist_ok=True)
    recording = sample_path()
    faults = "".join(f"\n  - {text}" for text in DEMO_FAULTS.describe())
    print(f"replaying the bundled shop recording ({recording.name}) over HTTP with faults:"
          f"{faults}\n  - a ring of {DEMO_RING} events: the oldest are gone from the stream "
          "before the capture starts\n", flush=True)
    with replay(recording, browser_id="demo", api_key="demo-key", ring=DEMO_RING,
                faults=DEMO_FAULTS) as server:
        cap = capture("demo", api_key="demo-key", base_url=server.url, spool=out / "demo.sse",
                      read_timeout=DEMO_READ_TIMEOUT, backoff=0.05, progress=True)
        session = cap.wait(timeout=120)
    stats = cap.stats
    print(f"\nover real HTTP at {server.url}: {stats.reconnects} reconnects, "
          f"{stats.errors} undecodable frame(s), {stats.backfilled} events backfilled from "
          f"history, {stats.gaps} seqs still missing\n")
    _write(session, out)
    print(f"spool: {cap.spool} (read it with telemetry_lab.read_sse)")
    page = report(session, out / "report.html", title="telemetry-lab demo: the shop journey")
    print(f"\nCore Web Vitals per navigation:\n{_analysis(session)}")
    print(f"\nreport: {page.resolve()}\n  open it in a browser (one file, works offline)")
    return 0


def _analysis(session: Session) -> str:
    """Per navigation: page, LCP and CLS with ratings, worst input response, as a text table."""
    v = vitals(session)
    if v.empty:
        return "no top-level navigation in this session: no Core Web Vitals"
    names = navigation_names(v)
    width = max(len("page"), *(len(n) for n in names))
    lines = [f"{'page':<{width}}  {'LCP':>9}  {'rating':<17}  {'CLS':>7}  {'rating':<17}  "
             "worst input response (not INP)"]
    for name, lcp, lcp_rating, cls, cls_rating, response in zip(
            names, v["lcp_ms"], v["lcp_rating"], v["cls"], v["cls_rating"], v["response_ms"],
            strict=True):
        lcp_text = "—" if pd.isna(lcp) else f"{lcp:,.0f} ms"
        response_text = "— (no click or key)" if pd.isna(response) else f"{response:,.0f} ms"
        lines.append(f"{name:<{width}}  {lcp_text:>9}  "
                     f"{'not measured' if pd.isna(lcp_rating) else lcp_rating:<17}  "
                     f"{cls:>7.4f}  {cls_rating:<17}  {response_text}")
    return "\n".join(lines)


def _load(source: Path) -> Session:
    """A recording file or a Parquet session folder, or a one-line reason why not."""
    expected = ("expected a recording (.sse, .ndjson, .json) or a Parquet session folder "
                "written by telemetry-lab or session.to_parquet")
    if not source.exists():
        raise UnusablePath(f"{source} does not exist; {expected}")
    try:
        session = read_parquet(source) if source.is_dir() else read(source)
    except OSError as exc:
        raise UnusablePath(f"cannot read {source}: {exc.strerror or exc}; {expected}") from exc
    except TelemetryLabError as exc:
        raise UnusablePath(f"cannot read {source}: {exc}") from exc
    if len(session) == 0:
        errors = session.errors
        why = (f" ({len(errors)} unreadable frame(s), first: {errors['reason'].iloc[0]})"
               if len(errors) else "")
        raise UnusablePath(f"{source} holds no telemetry events{why}; {expected}")
    return session


def _report(args: argparse.Namespace) -> int:
    source = Path(args.source)
    session = _load(source)
    try:
        out = report(session, args.output, title=args.title)
    except OSError as exc:
        raise UnusablePath(f"cannot write {args.output}: {exc.strerror or exc}") from exc
    print(_analysis(session))
    print(f"\nreport: {out.resolve()} (one self-contained file: open it in any browser)")
    return 0


#: Columns of the fleet table the ``fleet`` command prints (after the group keys).
FLEET_COLUMNS = ("n", "sessions", "lcp_p50", "lcp_p75", "lcp_p90", "lcp_good", "cls_p75",
                 "cls_good", "response_p75", "cwv_pass")


def _fleet(args: argparse.Namespace) -> int:
    from telemetry_lab.fleet import (
        SUMMARY_COLUMNS,
        SkippedSessionsWarning,
        check_budgets,
        fleet_vitals,
        parse_budgets,
        vitals_dataset,
    )

    budgets = parse_budgets(args.budget or [])
    unknown = [name for name in budgets if name not in SUMMARY_COLUMNS]
    if unknown:
        raise TelemetryLabError(f"unknown budget(s) {unknown}: a budget names a column of the "
                                f"fleet table: {', '.join(SUMMARY_COLUMNS)}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkippedSessionsWarning)
        rows = vitals_dataset(args.root, engine=args.engine)
    table = fleet_vitals(rows, by=args.by or ["url"])
    print(f"{rows['session'].nunique()} sessions, {len(rows)} navigations\n")
    shown = table[[*(args.by or ["url"]), *FLEET_COLUMNS]]
    print(shown.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    for row in rows.attrs["skipped"]:
        print(f"skipped {row['session']}: {row['reason']}", file=sys.stderr)
    if not budgets:
        return 0
    failed = check_budgets(table, by=None, engine=None, **budgets)
    if failed.empty:
        print(f"\nbudgets: all {len(budgets)} hold")
        return 0
    print(f"\nbudgets: {len(failed)} failure(s)\n"
          + failed.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="telemetry-lab", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"telemetry-lab {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    def remote(name: str, help: str) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help, description=help)
        command.add_argument("browser_id")
        command.add_argument("-o", "--output", help="output directory (Parquet, spool)")
        command.add_argument("--dataset", metavar="ROOT", help="write the Parquet to "
                             "ROOT/session=<name>/ of a fleet dataset (never overwritten)")
        command.add_argument("--name", help="session name in --dataset (default: browser_id)")
        command.add_argument("--base-url", help="API base URL (default: KERNEL_BASE_URL or "
                                                "https://api.onkernel.com); key: KERNEL_API_KEY")
        command.add_argument("--category", action="append", help="keep only this category "
                                                                 "(repeatable)")
        return command

    cap = remote("capture", "stream a browser's telemetry to a spool and Parquet "
                            "(Ctrl-C stops and writes what arrived)")
    cap.add_argument("--new", action="store_true", help="only new events (default: replay=all)")
    cap.add_argument("--read-timeout", type=float, default=45.0)
    cap.add_argument("--spool", help="spool file (default: OUTPUT/BROWSER_ID.sse); put it on "
                                     "another disk than --output to keep both safe")
    cap.set_defaults(run=_capture)
    fetch = remote("fetch", "read a browser's telemetry from history into Parquet")
    fetch.add_argument("--since", default="5m", help="duration ago (10m, 2h, 30d, 1h30m; units "
                                                     "ns us ms s m h d w) or RFC 3339; history "
                                                     "keeps 30 days")
    fetch.add_argument("--until", help="duration ago or RFC 3339 (default: now)")
    fetch.set_defaults(run=_fetch)

    rep = commands.add_parser("replay", help="serve a recording as a Kernel-compatible API")
    rep.add_argument("recording", help="an .sse or .ndjson recording (or a spool)")
    rep.add_argument("--browser-id", default="replay")
    rep.add_argument("--port", type=int, default=8765)
    rep.add_argument("--api-key", help="require this bearer token (default: the "
                                       "TELEMETRY_LAB_REPLAY_TOKEN environment variable, which "
                                       "other users cannot see in ps)")
    rep.add_argument("--ring", type=int, default=1024, help="events the stream keeps (0: all)")
    rep.add_argument("--keepalive", type=float, default=15.0)
    rep.add_argument("--speed", type=float, help="real time × SPEED (default: as fast as read)")
    rep.add_argument("--seed", type=int, default=0)
    rep.add_argument("--drop-after", type=int, help="cut each connection after N frames")
    rep.add_argument("--drop-rate", type=float, default=0.0, help="chance per frame of a cut")
    rep.add_argument("--stall-after", type=int, help="go silent once after N frames")
    rep.add_argument("--stall-seconds", type=float, default=60.0, help="for this long")
    rep.add_argument("--garbage", type=int, action="append", help="invalid JSON for this seq")
    rep.add_argument("--fail-first", type=int, default=0, help="fail the first N requests")
    rep.add_argument("--fail-status", type=int, default=503, help="with this status")
    rep.add_argument("--retry-after", type=float, help="and this Retry-After (seconds)")
    rep.add_argument("--chunk-size", type=int, help="send in TCP pieces of N bytes")
    rep.add_argument("--big-frame", type=int, help="pad this seq's frame to over 1 MB")
    rep.add_argument("--truncate-end", type=int, default=0,
                     help="end the stream N events early (history has them)")
    rep.set_defaults(run=_replay)

    rpt = commands.add_parser(
        "report", help="write a self-contained HTML report of a recording",
        description="Write one self-contained HTML file (plotly.js inlined, screenshots "
                    "embedded, no network needed to view it): summary and capture health, Core "
                    "Web Vitals per navigation with ratings and audits, waterfalls, interactions, "
                    "console, filmstrip, resources and domains, failures.")
    rpt.add_argument("source", help="a recording (.sse, .ndjson, .json array of envelopes) or a "
                                    "Parquet session folder")
    rpt.add_argument("-o", "--output", default="report.html",
                     help="the HTML file to write (default: report.html)")
    rpt.add_argument("--title", help="page title (default: from the first page's path)")
    rpt.set_defaults(run=_report)
    fleet = commands.add_parser("fleet", help="per-URL vitals of a dataset of sessions, "
                                              "checked against budgets (exit 1 when one fails)")
    fleet.add_argument("root", help="a dataset root holding session=<name>/ folders")
    fleet.add_argument("--by", action="append", help="group by this vitals column "
                                                     "(repeatable; default: url)")
    fleet.add_argument("--budget", action="append", metavar="NAME=LIMIT",
                       help="e.g. lcp_p75=2500, cls_p75=0.1 (repeatable)")
    fleet.add_argument("--engine", choices=("embedded", "dask"), default="embedded")
    fleet.set_defaults(run=_fleet)

    demo = commands.add_parser("demo", help="replay the bundled sample with faults, capture it "
                                            "over HTTP, write Parquet, the vitals and a report")
    demo.add_argument("-o", "--output", help="output directory (default: a new temp dir)")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``telemetry-lab`` with ``argv`` (default: the command line); returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except (TelemetryLabError, OSError, ValueError) as exc:
        text = " ".join(str(exc).split()) or type(exc).__name__
        print(f"telemetry-lab {args.command}: {text}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
