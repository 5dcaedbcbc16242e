"""The load path against a reference copy of its output on every recording in tests/data.

``tests/data/reference/<recording>.<format>.parquet`` holds, per event type, the Arrow IPC bytes of
the table the readers produced before the load path was rewritten for speed, plus the session's
errors, gaps, duplicates and skipped seqs. Every reader must keep producing exactly that: same
columns, dtypes, values and row order; same errors (compared in position order), gaps and
duplicates. ``messy.*`` mixes every kind of bad input the builder handles into a real recording.

Regenerate (only when a change of output is intended and reviewed)::

    python -m tests.test_reference
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import telemetry_lab

DATA = Path(__file__).parent / "data"
REFERENCE = DATA / "reference"
RECORDINGS = sorted(p.name for p in DATA.iterdir() if p.suffix in (".ndjson", ".sse"))


def _ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue())


def snapshot(session: telemetry_lab.Session) -> dict[str, pa.Table]:
    """Every table a reader's output consists of, by name (session parts start with ``_``)."""
    errors = session.errors
    parts = {
        "_errors": pa.Table.from_pandas(
            errors.sort_values("position", kind="stable"), preserve_index=False
        ),
        "_gaps": pa.Table.from_pandas(session.gaps, preserve_index=False),
        "_duplicates": pa.Table.from_pandas(session.duplicates, preserve_index=False),
        "_skipped": pa.table({"seq": pa.array(session.skipped.to_numpy(), pa.int64())}),
    }
    return {**{name: session.table(name) for name in session.types}, **parts}


def write_reference(name: str) -> None:
    """Store the current output on recording ``name`` as its reference."""
    tables = snapshot(telemetry_lab.read(DATA / name))
    REFERENCE.mkdir(exist_ok=True)
    pq.write_table(
        pa.table({"name": list(tables), "ipc": [_ipc(t) for t in tables.values()]}),
        REFERENCE / f"{name}.parquet", compression="zstd",
    )


def load_reference(name: str) -> dict[str, pa.Table]:
    """The reference tables of recording ``name``."""
    stored = pq.read_table(REFERENCE / f"{name}.parquet").to_pylist()
    return {row["name"]: pa.ipc.open_stream(row["ipc"]).read_all() for row in stored}


@pytest.mark.parametrize("name", RECORDINGS)
def test_reader_output_matches_the_reference(name: str) -> None:
    expected = load_reference(name)
    for read in (telemetry_lab.read, telemetry_lab.read_sse if name.endswith(".sse")
                 else telemetry_lab.read_ndjson):
        got = snapshot(read(DATA / name))
        assert list(got) == list(expected)
        for part, table in expected.items():
            assert got[part].schema == table.schema, (name, part)
            for column in table.column_names:
                assert got[part][column].equals(table[column]), (name, part, column)


def test_every_recording_has_a_reference() -> None:
    assert len(RECORDINGS) >= 10
    assert sorted(p.name.removesuffix(".parquet") for p in REFERENCE.iterdir()) == RECORDINGS


if __name__ == "__main__":
    for recording in RECORDINGS:
        write_reference(recording)
