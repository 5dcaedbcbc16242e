"""JSON text of free-form columns: Arrow's string kernels against ``dumps`` row by row.

On the free-form columns of a real-shaped recording (the ``stack_trace`` of console messages and
the unknown fields that go to ``extra``), as the JSON reader parses them, it times
``jsontext.arrow_dumps`` against the row-by-row ``dumps`` it replaces, in the same process (median
of ``--repeat``), checks that both give the same text, and prints the ratio.

Usage: ``python benchmarks/bench_jsontext.py [--events N] [--repeat N]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.json as pj

from telemetry_lab.datasets.synthetic import write_recording
from telemetry_lab.jsontext import _by_row, arrow_dumps
from telemetry_lab.reshape import parse_schema

#: (type, path in ``event.data``) of the columns measured.
COLUMNS = (("console_log", "stack_trace"), ("console_error", "stack_trace"),
           ("interaction_click", "type"))


def _median(function: Callable[[pa.Array], pa.Array], array: pa.Array, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function(array)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def columns(path: Path) -> dict[str, pa.Array]:
    """Each measured column as the reader parses it (for ``extra``: a struct of the field)."""
    lines: dict[str, list[bytes]] = {name: [] for name, _ in COLUMNS}
    with path.open("rb") as handle:
        for line in handle:
            for name in lines:
                if b'"type":"%s"' % name.encode() in line:
                    lines[name].append(line)
    out = {}
    for name, key in COLUMNS:
        raw = pj.read_json(pa.BufferReader(b"".join(lines[name])), parse_options=pj.ParseOptions(
            explicit_schema=parse_schema(name), unexpected_field_behavior="infer"))
        data = raw["event"].combine_chunks().field("data")
        column = data.field(key)
        if pa.types.is_string(column.type):  # an unknown field: extra is a struct of them
            column = pa.StructArray.from_arrays([column], [f"event.data.{key}"])
        out[f"{name}.{key}"] = column
    return out


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print one line per column."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        found = columns(write_recording(Path(folder) / "bench.ndjson", args.events))
    for label, array in found.items():
        assert arrow_dumps(array).to_pylist() == _by_row(array).to_pylist(), label
        before = _median(_by_row, array, args.repeat)
        after = _median(arrow_dumps, array, args.repeat)
        print(f"{label:<30} {len(array):>7,} rows  dumps by row {before * 1e3:7.1f} ms  "
              f"arrow_dumps {after * 1e3:6.1f} ms  {before / after:5.1f}x")


if __name__ == "__main__":
    main()
