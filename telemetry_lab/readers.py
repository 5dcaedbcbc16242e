"""Readers: recordings from paths, bytes, binary files or chunk iterables into a Session.

Input is read in chunks and parsed batch by batch, so memory stays near the size of the tables.

Examples
--------
>>> import telemetry_lab
>>> telemetry_lab.read(b'id: 1\\ndata: {"seq":1,"event":{"ts":1796018033868025,"type":'
...                    b'"page_load","category":"page","source":{"kind":"cdp"}}}\\n\\n').types
['page_load']
>>> len(telemetry_lab.read(b""))
0
"""

from __future__ import annotations

import io
import itertools
import json
import os
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from telemetry_lab.decode import FORMATS, NDJSONDecoder, decode_events_json, sniff
from telemetry_lab.errors import FormatError, TelemetryLabError, UnusablePath
from telemetry_lab.export.parquet import META_FILE, file_name
from telemetry_lab.formats import check_format, peek
from telemetry_lab.schema import DUPLICATES_SCHEMA, ERRORS_SCHEMA
from telemetry_lab.session import Session
from telemetry_lab.sse import SSEDecoder
from telemetry_lab.tables import TableBuilder

#: What the readers accept: a path, the bytes themselves, a binary file object or an iterable
#: of byte chunks.
Source = str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes] | Iterable[bytes]

CHUNK = 1 << 22


class _Decoder(Protocol):
    def feed(self, chunk: bytes) -> Any: ...
    def close(self) -> Any: ...


def _open(source: Source) -> tuple[Iterator[bytes], dict[str, Any]]:
    """Chunks of ``source`` and a description of it."""
    info: dict[str, Any] = {"read_at": datetime.now(UTC).isoformat(timespec="seconds")}
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        info["origin"] = "bytes"
        return iter([data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]), info
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise UnusablePath(
                f"no recording at {str(path)!r}: expected a path to an .sse/.ndjson/.json file "
                "(or bytes, a binary file object or an iterable of byte chunks). "
                "To read text you already hold, pass text.encode()"
            )
        info["path"] = str(path)

        def file_chunks() -> Iterator[bytes]:
            with path.open("rb") as handle:
                yield from iter(lambda: handle.read(CHUNK), b"")

        return file_chunks(), info
    if hasattr(source, "read"):
        if isinstance(source, io.TextIOBase):
            raise FormatError(
                "expected a binary file object, got a text-mode file; open it with "
                "open(path, 'rb') or pass the path itself"
            )
        handle = source
        info["origin"] = "file object"
        return iter(lambda: handle.read(CHUNK), b""), info
    if isinstance(source, Iterable):
        info["origin"] = "chunks"
        return (_check_chunk(chunk) for chunk in source), info
    raise FormatError(
        f"cannot read a {type(source).__name__}: expected a path, bytes, a binary file object "
        "or an iterable of byte chunks"
    )


def _check_chunk(chunk: Any) -> bytes:
    if isinstance(chunk, bytes | bytearray | memoryview):
        return bytes(chunk)
    raise FormatError(
        f"an iterable source must yield bytes, got {type(chunk).__name__}; "
        "encode text chunks first (chunk.encode())"
    )


def _checked(source: Source, expected: str | None) -> tuple[Iterator[bytes], dict[str, Any]]:
    """:func:`_open`, after checking that the input's first bytes are ``expected``'s format."""
    chunks, info = _open(source)
    head, stream = peek(chunks)
    check_format(head, expected=expected)
    return stream, info


def _decode(chunks: Iterable[bytes], decoder: _Decoder, info: dict[str, Any]) -> Session:
    builder = TableBuilder()
    size = 0
    for chunk in chunks:
        size += len(chunk)
        builder.add(decoder.feed(chunk))
    builder.add(decoder.close())
    info["bytes"] = size
    return Session.from_builder(builder, source=info)


def _whole(chunks: Iterable[bytes], info: dict[str, Any]) -> Session:
    data = b"".join(chunks)
    info["bytes"] = len(data)
    builder = TableBuilder()
    builder.add(decode_events_json(data))
    return Session.from_builder(builder, source=info)


def read_sse(source: Source) -> Session:
    """Read a server-sent-events recording (what ``/telemetry/stream`` sends, or a spool file).

    Examples
    --------
    >>> from telemetry_lab.datasets import sample_path
    >>> read_sse(sample_path("sse")).counts.head(2)
      category           type  events
    0  console  console_error       2
    1  console    console_log       8
    """
    chunks, info = _checked(source, "sse")
    return _decode(chunks, SSEDecoder(), {**info, "format": "sse"})


def read_ndjson(source: Source) -> Session:
    """Read an NDJSON recording: one envelope per line.

    Examples
    --------
    >>> from telemetry_lab.datasets import sample_path
    >>> len(read_ndjson(sample_path()))
    248
    """
    chunks, info = _checked(source, "ndjson")
    return _decode(chunks, NDJSONDecoder(), {**info, "format": "ndjson"})


def read_events_json(source: Source) -> Session:
    """Read a JSON array of envelopes, as the paged ``/telemetry/events`` endpoint returns.

    Examples
    --------
    >>> read_events_json(b'[{"seq": 4, "event": {"ts": 1796018033868025, "type": "page_load",'
    ...                  b' "category": "page", "source": {"kind": "cdp"}}}]').types
    ['page_load']
    """
    chunks, info = _checked(source, "json")
    return _whole(chunks, {**info, "format": "json"})


def read(source: Source) -> Session:
    """Read a recording in any of the formats, telling them apart by their first bytes.

    A directory is read as a Parquet session written by :meth:`Session.to_parquet`.

    Raises
    ------
    FormatError
        When the input is none of the accepted formats (the message lists them), or JSON that
        is not telemetry (a HAR file, a ``package.json``: the message says which it looks like).
    """
    if isinstance(source, str | os.PathLike) and Path(source).is_dir():
        return read_parquet(Path(source))
    chunks, info = _checked(source, None)
    head: list[bytes] = []
    fmt = None
    for chunk in chunks:
        head.append(chunk)
        fmt = sniff(b"".join(head)[:4096])
        if fmt is not None:
            break
    stream = itertools.chain(head, chunks)
    if fmt is None:
        return Session(source={**info, "format": None, "bytes": 0})
    if fmt == "json":
        return _whole(stream, {**info, "format": fmt})
    decoder: _Decoder = SSEDecoder() if fmt == "sse" else NDJSONDecoder()
    return _decode(stream, decoder, {**info, "format": fmt})


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


def read_dataset(root: str | Path, event_type: str) -> pd.DataFrame:
    """One event type across every session under ``root``, with a leading ``session`` column.

    Examples
    --------
    >>> import tempfile, telemetry_lab
    >>> s = telemetry_lab.load_sample()
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = telemetry_lab.write_dataset({"a": s, "b": s}, tmp)
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


__all__ = ["FORMATS", "Source", "read", "read_dataset", "read_events_json", "read_ndjson",
           "read_parquet", "read_sse"]
