"""Paired A/B of the readers between two revisions: is a load-path change faster, or leaner?

On a shared or drifting machine one benchmark run says little: the same read can take 1.2 s in one
minute and 2.4 s in the next, and ``bench_load.py``'s ratio to Arrow's reader moved from 0.92x to
1.40x between two runs ten minutes apart. This benchmark compares two revisions of telemetry_lab
the way that survives drift: each round reads the same recording once with each revision, each
read in a fresh process (alternating which goes first), and the ratio is taken within the round.
It prints, per reader, the medians of wall time, CPU seconds and peak RSS of each revision, and the
median and interquartile range of the per-round ratios (above 1: ``--new`` is faster).

Revisions are git revisions of this repository, checked out into temporary worktrees; ``--new``
defaults to the working tree as it is (uncommitted changes included).

Usage: ``python benchmarks/bench_load_ab.py --base REV [--new REV] [--rounds N] [--events N]
[--file PATH]``
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from telemetry_lab.datasets.synthetic import write_recording

REPO = Path(__file__).resolve().parent.parent

_READ = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import telemetry_lab
import telemetry_lab.readers
if not telemetry_lab.__file__.startswith(sys.argv[1]):
    raise SystemExit(f"imported {telemetry_lab.__file__}, not the revision at {sys.argv[1]}")
read = getattr(telemetry_lab, sys.argv[2])
start, cpu = time.perf_counter(), time.process_time()
events = len(read(sys.argv[3]))
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
with open("/proc/self/status") as status:
    rss = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
print(json.dumps({"seconds": seconds, "cpu": cpu, "rss": rss, "events": events}))
"""


@contextlib.contextmanager
def checkout(rev: str | None, folder: Path) -> Iterator[Path]:
    """The source tree of ``rev`` (a temporary worktree), or the working tree for None."""
    if rev is None:
        yield REPO
        return
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "--quiet",
                    str(folder), rev], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(folder)],
                       check=True)


def read_once(tree: Path, reader: str, path: Path) -> dict[str, float]:
    """Read ``path`` with ``reader`` of the telemetry_lab in ``tree``, in a fresh process."""
    out = subprocess.run([sys.executable, "-c", _READ, str(tree), reader, str(path)],
                         check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def quartiles(values: list[float]) -> tuple[float, float, float]:
    """First quartile, median and third quartile of ``values``."""
    if len(values) < 2:
        return values[0], values[0], values[0]
    low, mid, high = statistics.quantiles(values, n=4)  # mid is the median
    return low, mid, high


def main(argv: list[str] | None = None) -> None:
    """Run the paired rounds and print one block per reader."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git revision measured against")
    parser.add_argument("--new", help="git revision measured (default: the working tree)")
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--file", type=Path, help="an NDJSON recording to read instead")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench_load_ab_") as tmp:
        folder = Path(tmp)
        if args.file is not None:
            recordings = {"read_ndjson": args.file}
        else:
            recordings = {
                "read_ndjson": write_recording(folder / "ab.ndjson", args.events),
                "read_sse": write_recording(folder / "ab.sse", args.events, fmt="sse"),
            }
        with checkout(args.base, folder / "base") as base, \
                checkout(args.new, folder / "new") as new:
            trees = {"base": base, "new": new}
            runs: dict[tuple[str, str], list[dict[str, float]]] = {}
            for round_ in range(args.rounds):
                order = ("base", "new") if round_ % 2 == 0 else ("new", "base")
                for reader, path in recordings.items():
                    for name in order:
                        runs.setdefault((reader, name), []).append(
                            read_once(trees[name], reader, path))
    print(f"base {args.base}, new {args.new or 'working tree'}, {args.rounds} rounds")
    for reader in recordings:
        old, now = runs[(reader, "base")], runs[(reader, "new")]
        for name, results in (("base", old), ("new", now)):
            seconds, cpu_s, rss = (statistics.median(r[key] for r in results)
                                   for key in ("seconds", "cpu", "rss"))
            print(f"{reader:<12} {name:<5} wall {seconds:6.3f} s  CPU {cpu_s:6.3f} s  "
                  f"peak RSS {rss / 1e6:5,.0f} MB")
        wall = quartiles([o["seconds"] / n["seconds"] for o, n in zip(old, now, strict=True)])
        cpu = quartiles([o["cpu"] / n["cpu"] for o, n in zip(old, now, strict=True)])
        print(f"{reader:<12} base/new per round: wall {wall[1]:.3f}x (IQR {wall[0]:.2f}-"
              f"{wall[2]:.2f}), CPU {cpu[1]:.3f}x (IQR {cpu[0]:.2f}-{cpu[2]:.2f})")


if __name__ == "__main__":
    main()
