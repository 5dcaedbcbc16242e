"""A folder of sessions written as one hive-partitioned Parquet dataset.

``<root>/session=<name>/`` per session (the layout of :mod:`telemetry_lab.export.parquet`):
plain ``pyarrow.dataset`` or DuckDB read one event type across sessions with a ``session``
column; :func:`telemetry_lab.read_dataset` does it into pandas.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from telemetry_lab.errors import TelemetryLabError
from telemetry_lab.export.parquet import dataset_folder
from telemetry_lab.readers import read
from telemetry_lab.session import Session


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
