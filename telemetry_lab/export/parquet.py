"""Parquet: a directory per session, one file per event type, plus ``_session.json``.

Layout::

    <session dir>/<event type>.parquet     one per type, the table's exact Arrow schema
                                           (characters other than letters, digits, _ and -
                                           percent-encoded: see file_name)
    <session dir>/_session.json            source, skipped seqs, duplicates, errors, warnings,
                                           gaps

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
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from telemetry_lab.errors import TelemetryLabError
from telemetry_lab.session import DUPLICATES_SCHEMA, ERRORS_SCHEMA, Session

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


def write_session(session: Session, path: str | Path) -> Path:
    """Write ``session`` to the directory ``path`` (created; see the module docstring).

    Type names become file names through :func:`file_name`. Rewriting a session directory
    removes the type files the previous write recorded and this one does not have; no other
    file is touched. The files hold raw headers and cookies: keep them private.

    Raises
    ------
    TelemetryLabError
        When a file cannot be written (a full disk, say): the message names it.
    """
    root = Path(path)
    files = {name: file_name(name) for name in session.types}
    target = root
    try:
        root.mkdir(parents=True, exist_ok=True)
        for stale in sorted(_written(root) - set(files.values())):
            target = root / stale
            target.unlink(missing_ok=True)
        for name, file in files.items():
            target = root / file
            pq.write_table(session.table(name), target, compression="zstd")
        gaps = session.gaps
        meta = {
            "format_version": FORMAT_VERSION,
            "source": session.source,
            "types": {name: session.table(name).num_rows for name in session.types},
            "files": files,
            "skipped": [int(s) for s in session.skipped],
            "gaps": gaps.astype(object).to_dict("records"),
            "errors": session.errors.astype(object).where(session.errors.notna(), None)
            .to_dict("records"),
            "duplicates": session.duplicates.astype(object).to_dict("records"),
            "warnings": session.warnings.astype(object).where(session.warnings.notna(), None)
            .to_dict("records"),
        }
        target = root / META_FILE
        target.write_text(json.dumps(meta, indent=1, default=str))
    except OSError as exc:
        raise TelemetryLabError(
            f"cannot write {str(target)!r} ({exc.strerror or exc}): expected a writable folder "
            "with free space; pass another path"
        ) from None
    return root


def _records(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)


def _read_table(root: Path, name: str, file: Any) -> pa.Table:
    if not isinstance(file, str) or file != Path(file).name or not file.endswith(".parquet"):
        raise TelemetryLabError(
            f"{str(root / META_FILE)!r} names {file!r} as the file of {name!r}: expected a "
            "file name inside the session directory; the metadata was edited or damaged"
        )
    path = root / file
    try:
        return pq.read_table(path)
    except FileNotFoundError:
        problem = "is missing"
    except (OSError, pa.ArrowException) as exc:
        problem = f"cannot be read as Parquet ({exc})"
    raise TelemetryLabError(
        f"{str(path)!r}, the {name!r} events of this session, {problem}: expected the files "
        f"{META_FILE} lists; write the session again, or remove {name!r} from its \"types\""
    )


def read_parquet(path: str | Path) -> Session:
    """Read a session directory written by :meth:`Session.to_parquet`.

    Raises
    ------
    TelemetryLabError
        When ``path`` holds no ``_session.json`` (the message says what it found instead), or a
        file it lists is missing or damaged (the message names it).
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
    try:
        meta = json.loads(meta_path.read_text())
        files = meta.get("files") or {name: file_name(name) for name in meta["types"]}
        errors = _records(meta["errors"], ERRORS_SCHEMA)
        duplicates = _records(meta["duplicates"], DUPLICATES_SCHEMA)
        warnings = _records(meta.get("warnings", []), ERRORS_SCHEMA)
        skipped, source = meta["skipped"], meta["source"]
    except (OSError, ValueError, TypeError, KeyError, AttributeError, pa.ArrowException) as exc:
        raise TelemetryLabError(
            f"{str(meta_path)!r} is damaged ({type(exc).__name__}: {exc}): expected the JSON "
            "session.to_parquet() writes; write the session again"
        ) from None
    tables = {name: _read_table(root, name, file) for name, file in files.items()}
    return Session(tables, errors=errors, skipped=skipped, duplicates=duplicates,
                   warnings=warnings, source=source)


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


def write_dataset(sessions: Mapping[str, Session | str | Path] | Iterable[str | Path],
                  root: str | Path, *, overwrite: bool = False) -> Path:
    """Write several sessions as ``root/session=<name>/``: one hive-partitioned dataset.

    Parameters
    ----------
    sessions : mapping of name to Session or recording path, or iterable of recording paths
        Sessions, or recordings (``.ndjson`` / ``.sse`` / spool / events JSON, read with
        :func:`telemetry_lab.read`); recordings given without names are named by their file
        stem.
    root : str or pathlib.Path
        The dataset root (created).
    overwrite : bool
        Replace session folders that already exist (default: refuse, before writing anything).

    Raises
    ------
    TelemetryLabError
        For a session folder that exists (without ``overwrite``), a bad or repeated name.

    Examples
    --------
    >>> import tempfile, telemetry_lab
    >>> from telemetry_lab.datasets import sample_path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     root = write_dataset([sample_path("ndjson")], tmp)
    ...     sorted(p.name for p in root.iterdir())
    ['session=shop']
    """
    from telemetry_lab.readers import read

    if isinstance(sessions, Mapping):
        items = list(sessions.items())
    else:
        items = [(Path(p).stem, p) for p in sessions]
        names = [name for name, _ in items]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise TelemetryLabError(f"recordings named {repeated} more than once: pass a "
                                    "mapping {name: path} to name them")
    base = Path(root)
    folders = [dataset_folder(base, name, overwrite=overwrite) for name, _ in items]
    for folder, (_, item) in zip(folders, items, strict=True):
        session = item if isinstance(item, Session) else read(item)
        session.to_parquet(folder)
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
    files = sorted(str(f) for f in base.glob(f"session=*/{file_name(event_type)}"))
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
