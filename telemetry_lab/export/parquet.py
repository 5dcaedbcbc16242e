"""Parquet layout and writer: a directory per session, one file per event type, plus
``_session.json``. The readers (:func:`telemetry_lab.read_parquet`,
:func:`telemetry_lab.read_dataset`) sit with the other readers.

Layout::

    <session dir>/<event type>.parquet     one per type, the table's exact Arrow schema
                                           (characters other than letters, digits, _ and -
                                           percent-encoded: see file_name)
    <session dir>/_session.json            source, skipped seqs, duplicates, errors, warnings,
                                           gaps

A folder of sessions, ``<root>/session=<name>/...`` (:func:`telemetry_lab.write_dataset`), is a
hive-partitioned dataset: plain ``pyarrow.dataset`` or DuckDB read one event type across
sessions with a ``session`` column, without telemetry_lab::

    duckdb.sql("SELECT session, count(*) FROM read_parquet('root/*/page_lcp.parquet',"
               " hive_partitioning = true) GROUP BY session")

Examples
--------
>>> import tempfile, telemetry_lab
>>> session = telemetry_lab.load_sample()
>>> with tempfile.TemporaryDirectory() as tmp:
...     back = telemetry_lab.read_parquet(session.to_parquet(f"{tmp}/shop"))
...     back.frame("page_lcp").equals(session.frame("page_lcp"))
True
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from telemetry_lab.errors import TelemetryLabError

META_FILE = "_session.json"
FORMAT_VERSION = 1


def file_name(event_type: str) -> str:
    """The file an event type is written to: letters, digits, ``_`` and ``-`` kept, every
    other character percent-encoded, so that no type name reaches outside its folder.

    Examples
    --------
    >>> file_name("page_lcp"), file_name("../../x"), file_name(".hidden")
    ('page_lcp.parquet', '%2E%2E%2F%2E%2E%2Fx.parquet', '%2Ehidden.parquet')
    """
    return "".join(c if c.isascii() and (c.isalnum() or c in "_-") else
                   "".join(f"%{b:02X}" for b in c.encode()) for c in event_type) + ".parquet"


def _written(root: Path) -> set[str]:
    """Files a previous :func:`write_session` recorded in ``root`` (none when unreadable)."""
    try:
        meta = json.loads((root / META_FILE).read_text())
        files = meta.get("files") or {name: file_name(name) for name in meta["types"]}
        return {name for name in files.values()
                 if isinstance(name, str) and name.endswith(".parquet") and name == Path(name).name}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return set()


def write_tables(tables: Mapping[str, pa.Table], meta: Mapping[str, Any],
                 path: str | Path) -> Path:
    """Write ``tables`` (one per event type) and ``meta`` to the directory ``path`` (created).

    ``_session.json`` gets ``format_version``, ``types`` (rows per type), ``files`` (type to
    file) and the entries of ``meta`` (a Session's source, skipped seqs, gaps, errors,
    duplicates, warnings). Type names become file names through :func:`file_name`. Rewriting
    a session directory removes the type files the previous write recorded and this one does
    not have; no other file is touched.

    Raises
    ------
    TelemetryLabError
        When a file cannot be written (a full disk, say): the message names it.
    """
    root = Path(path)
    files = {name: file_name(name) for name in tables}
    target = root
    try:
        root.mkdir(parents=True, exist_ok=True)
        for stale in sorted(_written(root) - set(files.values())):
            target = root / stale
            target.unlink(missing_ok=True)
        for name, file in files.items():
            target = root / file
            pq.write_table(tables[name], target, compression="zstd")
        out = {"format_version": FORMAT_VERSION,
               "types": {name: table.num_rows for name, table in tables.items()},
               "files": files, **meta}
        target = root / META_FILE
        target.write_text(json.dumps(out, indent=1, default=str))
    except OSError as exc:
        raise TelemetryLabError(
            f"cannot write {str(target)!r} ({exc.strerror or exc}): expected a writable folder "
            "with free space; pass another path"
        ) from None
    return root


def dataset_folder(root: str | Path, name: str, *, overwrite: bool = False) -> Path:
    """``root/session=<name>``, checked: a usable name, and not already there unless ``overwrite``.

    Raises
    ------
    TelemetryLabError
        For an empty name or one with a path separator, or (without ``overwrite``) a session
        folder of that name that already exists.

    Examples
    --------
    >>> dataset_folder("fleet", "run-1").as_posix()
    'fleet/session=run-1'
    """
    if not name or name in (".", "..") or "/" in name or "\\" in name:
        raise TelemetryLabError(f"session name {name!r} cannot be a folder name: use letters, "
                                "digits, '-', '_' or '.' (no path separators)")
    folder = Path(root) / f"session={name}"
    if folder.exists() and not overwrite:
        raise TelemetryLabError(f"{str(folder)!r} already exists: a session of that name is "
                                "never overwritten silently; pick another name, remove the "
                                "folder, or pass overwrite=True")
    return folder
