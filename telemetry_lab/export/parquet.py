"""Parquet: a directory per session, one file per event type, plus ``_session.json``.

Layout (DESIGN §4)::

    <session dir>/<event type>.parquet     one per type, the table's exact Arrow schema
    <session dir>/_session.json            source, skipped seqs, duplicates, errors, warnings, gaps

A folder of sessions, ``<root>/session=<name>/...`` (:func:`write_dataset`), is a hive-partitioned
dataset: plain ``pyarrow.dataset`` or DuckDB read one event type across sessions with a
``session`` column, without telemetry_lab::

    duckdb.sql("SELECT session, count(*) FROM read_parquet('root/*/page_lcp.parquet',"
               " hive_partitioning = true) GROUP BY session")

Examples
--------
>>> import tempfile, telemetry_lab
>>> session = telemetry_lab.load_sample()
>>> with tempfile.TemporaryDirectory() as tmp:
...     back = read_parquet(session.to_parquet(f"{tmp}/shop"))
...     back.frame("page_lcp").equals(session.frame("page_lcp"))
True
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from ..errors import TelemetryLabError
from ..session import DUPLICATES_SCHEMA, ERRORS_SCHEMA, Session

META_FILE = "_session.json"
FORMAT_VERSION = 1


def write_session(session: Session, path: str | Path) -> Path:
    """Write ``session`` to the directory ``path`` (created; stale type files removed)."""
    root = Path(path)
    root.mkdir(parents=True, exist_ok=True)
    for stale in root.glob("*.parquet"):
        if stale.stem not in session.types:
            stale.unlink()
    for name in session.types:
        pq.write_table(session.table(name), root / f"{name}.parquet", compression="zstd")
    gaps = session.gaps
    meta = {
        "format_version": FORMAT_VERSION,
        "source": session.source,
        "types": {name: session.table(name).num_rows for name in session.types},
        "skipped": [int(s) for s in session.skipped],
        "gaps": gaps.astype(object).to_dict("records"),
        "errors": session.errors.astype(object).where(session.errors.notna(), None)
        .to_dict("records"),
        "duplicates": session.duplicates.astype(object).to_dict("records"),
        "warnings": session.warnings.astype(object).where(session.warnings.notna(), None)
        .to_dict("records"),
    }
    (root / META_FILE).write_text(json.dumps(meta, indent=1, default=str))
    return root


def _records(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)


def read_parquet(path: str | Path) -> Session:
    """Read a session directory written by :meth:`Session.to_parquet`.

    Raises
    ------
    TelemetryLabError
        When ``path`` holds no ``_session.json`` (the message says what it found instead).
    """
    root = Path(path)
    meta_path = root / META_FILE
    if not meta_path.is_file():
        sessions = sorted(p.parent.name for p in root.glob(f"*/{META_FILE}"))
        hint = (
            f"it is a folder of sessions ({', '.join(sessions[:5])}); read one of them, or one "
            "event type across all with read_dataset(path, type)"
            if sessions
            else "write one with session.to_parquet(path)"
        )
        raise TelemetryLabError(f"{str(root)!r} is not a telemetry_lab session directory "
                                f"(no {META_FILE}): {hint}")
    meta = json.loads(meta_path.read_text())
    tables = {name: pq.read_table(root / f"{name}.parquet") for name in meta["types"]}
    return Session(
        tables,
        errors=_records(meta["errors"], ERRORS_SCHEMA),
        skipped=meta["skipped"],
        duplicates=_records(meta["duplicates"], DUPLICATES_SCHEMA),
        warnings=_records(meta.get("warnings", []), ERRORS_SCHEMA),
        source=meta["source"],
    )


def write_dataset(sessions: Mapping[str, Session], root: str | Path) -> Path:
    """Write several sessions as ``root/session=<name>/``: one hive-partitioned dataset."""
    base = Path(root)
    for name, session in sessions.items():
        session.to_parquet(base / f"session={name}")
    return base


def read_dataset(root: str | Path, event_type: str) -> pd.DataFrame:
    """One event type across every session under ``root``, with a leading ``session`` column.

    Examples
    --------
    >>> import tempfile, telemetry_lab
    >>> s = telemetry_lab.load_sample()
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = write_dataset({"a": s, "b": s}, tmp)
    ...     read_dataset(tmp, "page_navigation").groupby("session").size().to_dict()
    {'a': 3, 'b': 3}
    """
    base = Path(root)
    files = sorted(str(f) for f in base.glob(f"session=*/{event_type}.parquet"))
    if not files:
        raise TelemetryLabError(
            f"no '{event_type}' files under {str(base)!r}: expected session=<name>/"
            f"{event_type}.parquet (write them with write_dataset)"
        )
    dataset = ds.dataset(files, format="parquet", partitioning="hive",
                         partition_base_dir=str(base))
    table = dataset.to_table()
    session = table.column("session").cast(pa.string())
    table = table.drop_columns(["session"]).add_column(0, "session", session)
    return table.to_pandas(types_mapper=pd.ArrowDtype)
