"""Reading a dataset of sessions (``root/session=<name>/``) batch by batch into vitals.

A batch is a run of session folders holding together at most :data:`BATCH_EVENTS` events (and
:data:`BATCH_SESSIONS` sessions), read per event type with ``pyarrow.dataset`` and computed by
:func:`telemetry_lab.fleet.batch.batch_vitals`: memory holds one batch's events at a time
(per worker), whatever the number of sessions. A folder that cannot be read (no or a broken
``_session.json``, a missing or corrupt Parquet file) is skipped and named in the result's
``attrs["skipped"]``; the other sessions are unaffected.

Examples
--------
>>> import tempfile, telemetry_lab
>>> s = telemetry_lab.load_sample()
>>> with tempfile.TemporaryDirectory() as tmp:
...     _ = telemetry_lab.write_dataset({"a": s, "b": s}, tmp)
...     v = vitals_dataset(tmp)
>>> v.groupby("session").size().to_dict(), v.attrs["skipped"]
({'a': 3, 'b': 3}, [])
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from telemetry_lab.errors import DatasetError, TelemetryLabError
from telemetry_lab.export.parquet import META_FILE
from telemetry_lab.fleet.batch import MEMBER, Batch, batch_vitals, needs_solo
from telemetry_lab.fleet.engines import Engine, run
from telemetry_lab.metrics.columns import STRING, arrow
from telemetry_lab.metrics.vitals import vitals
from telemetry_lab.readers import read_parquet
from telemetry_lab.schema import SCHEMAS
from telemetry_lab.session import Session

#: A batch closes once its sessions hold this many events ...
BATCH_EVENTS = 50_000
#: ... or this many sessions.
BATCH_SESSIONS = 100
#: Errors that mean "this folder is not a readable session" (anything else is a bug: raised).
READ_ERRORS = (OSError, ValueError, KeyError, TypeError, pa.ArrowException, TelemetryLabError)


class SkippedSessionsWarning(UserWarning):
    """Some session folders of a dataset could not be read and were left out."""


@dataclass(frozen=True)
class Folder:
    """One ``session=<name>`` folder and what its ``_session.json`` says."""

    name: str
    path: str
    types: dict[str, int]
    files: dict[str, str]
    solo: bool
    skipped: tuple[int, ...]


def session_folders(root: str | Path) -> list[Path]:
    """The ``session=<name>`` folders under ``root``, by name.

    Raises
    ------
    TelemetryLabError
        When ``root`` is not a folder or holds no ``session=<name>`` folder.
    """
    base = Path(root)
    if not base.is_dir():
        raise TelemetryLabError(f"{str(base)!r} is not a folder: expected a dataset root holding "
                                "session=<name>/ folders (write one with write_dataset)")
    folders = sorted(p for p in base.glob("session=*") if p.is_dir())
    if not folders:
        found = ", ".join(sorted(p.name for p in base.iterdir())[:5]) or "nothing"
        hint = (" (it is a single session: use vitals(read_parquet(path)))"
                if (base / META_FILE).is_file() else "")
        raise TelemetryLabError(f"no session=<name>/ folders under {str(base)!r}, found "
                                f"{found}{hint}; write a dataset with write_dataset")
    return folders


def _name(folder: Path) -> str:
    return folder.name.removeprefix("session=")


def _inspect(folder: Path) -> Folder:
    meta = json.loads((folder / META_FILE).read_text())
    types = {str(k): int(v) for k, v in meta["types"].items()}
    files = {str(k): str(v) for k, v in (meta.get("files") or
                                          {name: f"{name}.parquet" for name in types}).items()}
    return Folder(_name(folder), str(folder), types, files,
                  needs_solo(meta.get("gaps") or [], types),
                  tuple(int(s) for s in meta.get("skipped") or ()))


#: Hive partitioning of a dataset root: ``session=<name>`` folders, names taken verbatim.
_PARTITIONING = ds.HivePartitioning(pa.schema([("session", pa.string())]),
                                    segment_encoding="none")


def _read_type(event_type: str, files: list[str], members: list[int],
               names: list[str]) -> pa.Table:
    """One event type of several session folders, each row with its member (``__member``).

    Known types are one multi-file scan; the member comes from each row's ``session=<name>``
    folder (hive partitioning), not from the order the scan returns files in.
    """
    if event_type not in SCHEMAS:
        parts = [ds.dataset(f, format="parquet").to_table() for f in files]
        tables = [t.append_column(MEMBER, pa.array(np.full(t.num_rows, k)))
                  for t, k in zip(parts, members, strict=True)]
        return pa.concat_tables(tables, promote_options="permissive")
    roots = {str(Path(f).parent.parent) for f in files}
    if len(roots) != 1:
        raise DatasetError(f"a batch spans several dataset roots: {sorted(roots)}")
    schema = SCHEMAS[event_type].append(pa.field("session", pa.string()))
    table = ds.dataset(files, format="parquet", schema=schema, partitioning=_PARTITIONING,
                       partition_base_dir=roots.pop()).to_table()
    member = pc.index_in(table["session"], value_set=pa.array(names))
    if member.null_count:
        raise DatasetError(f"{event_type}: rows from a folder outside the batch")
    return table.drop_columns(["session"]).append_column(MEMBER, member.cast(pa.int64()))


def _read_batch(folders: list[Folder]) -> Batch:
    """The batched members' tables (solo members are read on their own, not here).

    Each type's file is the one ``_session.json`` names under ``files`` (else
    ``<type>.parquet``), with the row count it gives under ``types``.
    """
    files: dict[str, tuple[list[str], list[int], list[int]]] = {}
    for k, folder in enumerate(folders):
        if folder.solo:
            continue
        for event_type, file in folder.files.items():
            paths, members, counts = files.setdefault(event_type, ([], [], []))
            paths.append(str(Path(folder.path) / file))
            members.append(k)
            counts.append(folder.types[event_type])
    names = [f.name for f in folders]
    tables = {}
    for event_type, (paths, members, counts) in files.items():
        table = _read_type(event_type, paths, members, names)
        if table.num_rows != sum(counts):
            raise DatasetError(f"{event_type}: {table.num_rows} rows, _session.json says "
                             f"{sum(counts)}")
        tables[event_type] = table
    skipped = [np.asarray(f.skipped, dtype=np.int64) for f in folders]
    return Batch(names, tables, skipped, {k for k, f in enumerate(folders) if f.solo})


def _one(path: str) -> tuple[pd.DataFrame | None, dict[str, str] | None]:
    """``vitals(read_parquet(path))`` with a ``session`` column, or why it failed."""
    folder = Path(path)
    try:
        frame = vitals(read_parquet(folder))
    except READ_ERRORS as exc:
        return None, {"session": _name(folder), "path": path, "reason": _reason(folder, exc)}
    frame.insert(0, "session", arrow(np.full(len(frame), _name(folder), dtype=object), STRING))
    return frame, None


def _reason(folder: Path, exc: BaseException) -> str:
    if not (folder / META_FILE).exists():
        return f"no {META_FILE} (an empty or unfinished session folder)"
    return f"{type(exc).__name__}: {exc}"


_STRING = pd.ArrowDtype(pa.string())


def batch_task(paths: Sequence[str]) -> tuple[pd.DataFrame | None, list[dict[str, str]]]:
    """Vitals of the session folders ``paths`` (one batch), and the folders that failed.

    This is the function an engine maps over batches: it reads its folders itself.
    """
    folders: list[Folder] = []
    failed: list[dict[str, str]] = []
    for path in paths:
        try:
            folder = _inspect(Path(path))
        except READ_ERRORS as exc:
            failed.append({"session": _name(Path(path)), "path": path,
                           "reason": _reason(Path(path), exc)})
            continue
        if sum(folder.types.values()):
            folders.append(folder)
        else:
            failed.append({"session": folder.name, "path": path,
                           "reason": "an empty session: no events"})
    solo: dict[int, Session] = {}
    try:
        batch = _read_batch(folders)
        for k, folder in enumerate(folders):
            if folder.solo:
                solo[k] = read_parquet(folder.path)
        frame: pd.DataFrame | None = batch_vitals(batch, solo)
    except READ_ERRORS:  # one bad folder spoils the batch read: find it, keep the others
        parts = []
        for folder in folders:
            part, why = _one(folder.path)
            parts.append(part)
            if why is not None:
                failed.append(why)
        kept = [p for p in parts if p is not None]
        frame = pd.concat(kept, ignore_index=True) if kept else None
    failed.sort(key=lambda row: row["path"])
    return frame, failed


def batches(folders: Sequence[Path], *, events: int = BATCH_EVENTS,
            sessions: int = BATCH_SESSIONS) -> list[list[str]]:
    """Consecutive runs of ``folders`` of at most ``events`` events (by their ``_session.json``)."""
    out: list[list[str]] = [[]]
    held = 0
    for folder in folders:
        try:
            size = sum(json.loads((folder / META_FILE).read_text())["types"].values())
        except READ_ERRORS:
            size = 0
        if out[-1] and (held + size > events or len(out[-1]) >= sessions):
            out.append([])
            held = 0
        out[-1].append(str(folder))
        held += size
    return out


def vitals_dataset(root: str | Path, *, engine: Engine = None) -> pd.DataFrame:
    """Per-navigation vitals of every session under a dataset root, with a leading ``session``.

    Parameters
    ----------
    root : str or pathlib.Path
        A folder of ``session=<name>/`` session folders (:func:`telemetry_lab.write_dataset`).
    engine : None, "embedded", "dask" or dask.distributed.Client, optional
        Where the batches run: in this process (default), or as tasks of a Dask cluster
        (``"dask"``: the running client, else a temporary local cluster); the same function and
        the same result either way.

    Returns
    -------
    pandas.DataFrame
        ``session`` then the columns of :func:`telemetry_lab.vitals`, sessions by name: for each
        session equal to ``vitals(read_parquet(folder))``. ``attrs["skipped"]`` lists the
        folders that could not be read (``session``, ``path``, ``reason`` dicts; also warned as
        :class:`SkippedSessionsWarning`).

    Raises
    ------
    TelemetryLabError
        When ``root`` holds no session folder.
    """
    results = run(batch_task, batches(session_folders(root)), engine)
    frames = [frame for frame, _ in results if frame is not None]
    skipped = [row for _, failed in results for row in failed]
    frame = (pd.concat(frames, ignore_index=True) if frames
             else _one_empty())
    frame.attrs["skipped"] = skipped
    if skipped:
        listed = "; ".join(f"{row['session']}: {row['reason']}" for row in skipped[:5])
        warnings.warn(f"{len(skipped)} session folder(s) skipped: {listed}",
                      SkippedSessionsWarning, stacklevel=2)
    return frame


def _one_empty() -> pd.DataFrame:
    frame = vitals(Session())
    frame.insert(0, "session", pd.Series([], dtype=_STRING))
    return frame


def skipped_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The session folders a fleet result left out, as a table (``session``, ``path``, ``reason``).

    Examples
    --------
    >>> skipped_table(pd.DataFrame()).columns.tolist()
    ['session', 'path', 'reason']
    """
    rows: list[dict[str, Any]] = list(frame.attrs.get("skipped", []))
    return pd.DataFrame(rows, columns=["session", "path", "reason"]).astype(_STRING)
