"""Envelopes → one typed Arrow table per event type: the hot path.

A batch of envelope lines is routed by type with one regular-expression scan, then each type's
lines are parsed together by Arrow's C++ JSON reader against that type's parse schema (derived from
:mod:`telemetry_lab.schema`) and reshaped into the type's table without touching rows one by one.
Fields the schema does not know are inferred by the reader and kept as JSON text in ``extra``.

A block the reader rejects is split in halves until the bad lines are isolated; each one is
recorded as a :class:`~telemetry_lab.decode.FrameError` with its reason, and everything else in the
block loads as usual.

Examples
--------
>>> from telemetry_lab.decode import NDJSONDecoder
>>> builder = TableBuilder()
>>> decoder = NDJSONDecoder()
>>> builder.add(decoder.feed(b'{"seq":1,"event":{"ts":1796018033868025,"type":"page_load",'
...                          b'"category":"page","source":{"kind":"cdp"},"data":{"nav_seq":1}}}\\n'
...                          b'{"seq":2,"event":{"ts":1}}\\n'))
>>> builder.tables()["page_load"].column("nav_seq").to_pylist()
[1]
>>> builder.errors[0].reason
'missing event.type'
"""

from __future__ import annotations

import io
import json
import os
import re
from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from .decode import RAW_LIMIT, Batch, FrameError
from .schema import (
    CONTEXT,
    KINDS,
    METADATA_KEYS,
    TIMESTAMP,
    EventType,
    epoch_to_timestamp,
    event_type,
    schema_for,
)

_TYPE_RE = re.compile(rb'"type"\s*:\s*"([^"\\]*)"')
_BLOCK = 1 << 20
_MAX_PENDING = 16
_EXECUTOR: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _EXECUTOR
    if _EXECUTOR is None:
        _EXECUTOR = ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="telemetry_lab")
    return _EXECUTOR

#: Envelope keys the parse schema declares at each level; other keys are inferred into ``extra``.
_ENVELOPE_KEYS = ("seq", "event")
_EVENT_KEYS = ("ts", "type", "category", "source", "data", "truncated")
_SOURCE_KEYS = ("kind", "event", "metadata")
_INFERRED_KINDS = frozenset({"json", "strmap"})


def _struct(fields: dict[str, Any]) -> pa.StructType:
    return pa.struct(
        [(name, _struct(v) if isinstance(v, dict) else v) for name, v in fields.items()]
    )


@cache
def parse_schema(name: str) -> pa.Schema:
    """Schema the JSON reader parses type ``name`` with: declared fields typed, others inferred."""
    et = event_type(name)
    data: dict[str, Any] = {key: dtype for key, dtype, _ in CONTEXT}
    for spec in et.fields:
        if spec.kind in _INFERRED_KINDS:
            continue
        dtype = pa.float64() if spec.kind == "time" else KINDS[spec.kind]
        for path in spec.paths:
            node = data
            for part in path[:-1]:
                node = node.setdefault(part, {})
            node[path[-1]] = dtype
    metadata = {key: pa.string() for key in METADATA_KEYS}
    source = {"kind": pa.string(), "event": pa.string(), "metadata": metadata}
    event = {
        "ts": pa.int64(),
        "type": pa.string(),
        "category": pa.string(),
        "source": source,
        "data": data,
        "truncated": pa.bool_(),
    }
    return pa.schema([("seq", pa.int64()), ("event", _struct(event))])


def _read_block(name: str, lines: Sequence[bytes]) -> pa.Table:
    block = max(_BLOCK, max(map(len, lines)) + 2)
    table = pj.read_json(
        io.BytesIO(b"\n".join(lines)),
        read_options=pj.ReadOptions(block_size=block, use_threads=False),
        parse_options=pj.ParseOptions(
            explicit_schema=parse_schema(name), unexpected_field_behavior="infer"
        ),
    )
    if table.num_rows != len(lines):
        raise pa.ArrowInvalid(f"{table.num_rows} JSON values in {len(lines)} lines")
    return table


def _field(struct: pa.Array | None, *path: str) -> pa.Array | None:
    """Child at ``path`` with parent nulls applied; None when the struct has no such child."""
    for part in path:
        if struct is None or not pa.types.is_struct(struct.type):
            return None
        if struct.type.get_field_index(part) < 0:
            return None
        struct = pc.struct_field(struct, part)
    return struct


def _coalesce(arrays: Iterable[pa.Array | None], dtype: pa.DataType, length: int) -> pa.Array:
    present = [a.cast(dtype) for a in arrays if a is not None and not pa.types.is_null(a.type)]
    if not present:
        return pa.nulls(length, dtype)
    return present[0] if len(present) == 1 else pc.coalesce(*present)


def _plain(value: Any) -> Any:
    """A reader value as plain JSON data: nulls of absent struct fields dropped."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):  # map entries
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):  # the reader infers ISO-8601 strings as timestamps
        return value.isoformat().replace("+00:00", "Z")
    return value


def _dumps(value: Any) -> str:
    return json.dumps(_plain(value), ensure_ascii=False, separators=(",", ":"))


def _to_json(array: pa.Array) -> pa.Array:
    """JSON text of each non-null value (null stays null)."""
    if pa.types.is_null(array.type):
        return pa.nulls(len(array), pa.string())
    valid = np.flatnonzero(array.is_valid().to_numpy(zero_copy_only=False))
    texts = np.full(len(array), None, dtype=object)
    texts[valid] = [_dumps(v) for v in array.take(valid).to_pylist()]
    return pa.array(texts, pa.string())


def _as_text(array: pa.Array) -> pa.Array:
    if pa.types.is_string(array.type):
        return array
    if pa.types.is_struct(array.type) or pa.types.is_list(array.type):
        return _to_json(array)
    return array.cast(pa.string())


def _to_map(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A struct of string fields (how the reader infers a JSON object) → ``map<string, string>``."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    n = len(array)
    rows, fields, values = [], [], []
    names = [f.name for f in array.type]
    for index, name in enumerate(names):
        child = _field(array, name)
        assert child is not None
        if child.null_count == n or pa.types.is_null(child.type):
            continue
        present = np.flatnonzero(child.is_valid().to_numpy(zero_copy_only=False))
        rows.append(present)
        fields.append(np.full(len(present), index))
        values.append(_as_text(child.take(present)))
    if rows:
        row = np.concatenate(rows)
        order = np.argsort(row, kind="stable")
        keys = pa.array(names, pa.string()).take(np.concatenate(fields)[order])
        items = pa.concat_arrays(values).take(order)
        counts = np.bincount(row, minlength=n)
    else:
        keys, items = pa.array([], pa.string()), pa.array([], pa.string())
        counts = np.zeros(n, np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    mask = array.is_null()
    return pa.MapArray.from_arrays(pa.array(offsets), keys, items, mask=mask)


def _unknown(
    struct: pa.Array | None, known: Iterable[str], prefix: str
) -> list[tuple[str, pa.Array]]:
    if struct is None or not pa.types.is_struct(struct.type):
        return []
    known = set(known)
    out = []
    for f in struct.type:
        if f.name not in known and not pa.types.is_null(f.type):
            child = _field(struct, f.name)
            assert child is not None
            out.append((f"{prefix}{f.name}", child))
    return out


def _extra(columns: list[tuple[str, pa.Array]], length: int) -> pa.Array:
    """JSON object ``{dotted path: value}`` of the unknown fields of each row; null when none."""
    if not columns:
        return pa.nulls(length, pa.string())
    masks = [c.is_valid().to_numpy(zero_copy_only=False) for _, c in columns]
    rows = np.flatnonzero(np.logical_or.reduce(masks))
    objects: list[dict[str, Any]] = [{} for _ in rows]
    for (path, column), mask in zip(columns, masks, strict=True):
        present = mask[rows]
        for obj, value, here in zip(objects, column.take(rows).to_pylist(), present, strict=True):
            if here:
                obj[path] = value
    texts = np.full(length, None, dtype=object)
    texts[rows] = [_dumps(obj) for obj in objects]
    return pa.array(texts, pa.string())


def _data_known(et: EventType) -> dict[str, set[str]]:
    """Known keys of ``data`` (under ``""``) and of each nested object read from it."""
    known: dict[str, set[str]] = {"": {key for key, _, _ in CONTEXT}}
    for spec in et.fields:
        for path in spec.paths:
            if not path:
                known[""] = set()
                return {"": {"*"}}
            known[""].add(path[0])
            if len(path) > 1:
                known.setdefault(path[0], set()).add(path[1])
    return known


def reshape(name: str, raw: pa.Table) -> pa.Table:
    """Reshape what the JSON reader parsed for type ``name`` into that type's table."""
    et = event_type(name)
    n = raw.num_rows
    envelope = raw.to_struct_array()
    event = _field(envelope, "event")
    source = _field(event, "source")
    metadata = _field(source, "metadata")
    data = _field(event, "data")
    columns: dict[str, pa.Array] = {
        "seq": _coalesce([_field(envelope, "seq")], pa.int64(), n),
        "ts": _coalesce([_field(event, "ts")], pa.int64(), n).cast(TIMESTAMP),
        "type": _coalesce([_field(event, "type")], pa.string(), n),
        "category": _coalesce(
            [_field(event, "category"), pa.array([et.category or None] * n, pa.string())],
            pa.string(),
            n,
        ),
        "source_kind": _coalesce([_field(source, "kind")], pa.string(), n),
        "source_event": _coalesce([_field(source, "event")], pa.string(), n),
    }
    for column, dtype, meta_key in CONTEXT:
        candidates = [_field(data, column), _field(metadata, meta_key) if meta_key else None]
        columns[column] = _coalesce(candidates, dtype, n)
    unknown = _unknown(envelope, _ENVELOPE_KEYS, "")
    unknown += _unknown(event, _EVENT_KEYS, "event.")
    unknown += _unknown(source, _SOURCE_KEYS, "event.source.")
    unknown += _unknown(metadata, METADATA_KEYS, "event.source.metadata.")
    known = _data_known(et)
    if "*" not in known[""]:
        unknown += _unknown(data, known[""], "event.data.")
        for parent, keys in known.items():
            if parent:
                unknown += _unknown(_field(data, parent), keys, f"event.data.{parent}.")
    for spec in et.fields:
        arrays = [data if not path else _field(data, *path) for path in spec.paths]
        if spec.kind == "json":
            value = arrays[0]
            columns[spec.name] = pa.nulls(n, pa.string()) if value is None else _to_json(value)
        elif spec.kind == "strmap":
            value = arrays[0]
            if value is not None and pa.types.is_struct(value.type):
                columns[spec.name] = _to_map(value)
            else:
                if value is not None and not pa.types.is_null(value.type):
                    unknown.append(("event.data." + ".".join(spec.paths[0]), value))
                columns[spec.name] = pa.nulls(n, KINDS["strmap"])
        elif spec.kind == "time":
            raw_time = _coalesce(arrays, pa.float64(), n)
            columns[spec.name] = epoch_to_timestamp(raw_time)
            columns[f"{spec.name}_raw"] = raw_time
        else:
            columns[spec.name] = _coalesce(arrays, KINDS[spec.kind], n)
    columns["truncated"] = _coalesce([_field(event, "truncated")], pa.bool_(), n).fill_null(False)
    columns["extra"] = _extra(unknown, n)
    return pa.Table.from_pydict(columns, schema=schema_for(name))


def diagnose(line: bytes, name: str, message: str = "") -> str:
    """Why the JSON reader rejected ``line`` (parsed as type ``name``), in words."""
    try:
        envelope = json.loads(line)
    except ValueError as exc:
        return f"invalid JSON: {exc}"
    if not isinstance(envelope, dict):
        return f"not a JSON object: {type(envelope).__name__}"
    found = _type_errors(envelope, parse_schema(name), "")
    if found:
        return "wrong field type: " + "; ".join(found[:3])
    return f"the JSON reader rejected it: {message.removeprefix('JSON parse error: ')}"


_JSON_TYPES = {
    "int64": (int,),
    "double": (int, float),
    "string": (str,),
    "bool": (bool,),
}


def _type_errors(
    value: dict[str, Any], schema: pa.Schema | pa.StructType, prefix: str
) -> list[str]:
    found = []
    for f in schema:
        if f.name not in value or value[f.name] is None:
            continue
        item = value[f.name]
        path = prefix + f.name
        if pa.types.is_struct(f.type):
            if not isinstance(item, dict):
                found.append(f"{path} is {type(item).__name__}, expected an object")
            else:
                found += _type_errors(item, f.type, path + ".")
        elif pa.types.is_list(f.type):
            if not isinstance(item, list) or not all(isinstance(x, str) for x in item):
                found.append(f"{path} is {json.dumps(item)[:40]}, expected a list of strings")
        else:
            allowed = _JSON_TYPES[str(f.type)]
            if not isinstance(item, allowed) or (isinstance(item, bool) and bool not in allowed):
                expected = {"int64": "an integer", "double": "a number", "string": "a string",
                            "bool": "true or false"}[str(f.type)]
                found.append(f"{path} is {type(item).__name__} {json.dumps(item)[:40]}, "
                             f"expected {expected}")
    return found


@dataclass
class Parsed:
    """What parsing one type's lines gave (line indices refer to the lines passed in)."""

    tables: list[tuple[pa.Table, np.ndarray]] = field(default_factory=list)
    bad: list[tuple[int, str]] = field(default_factory=list)
    reroute: dict[str, list[int]] = field(default_factory=dict)


def _parse(name: str, lines: Sequence[bytes], offset: int, out: Parsed) -> None:
    """Parse ``lines`` of one type, halving around whatever the reader rejects."""
    try:
        raw = _read_block(name, lines)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        if len(lines) == 1:
            out.bad.append((offset, diagnose(lines[0], name, str(exc))))
            return
        half = len(lines) // 2
        _parse(name, lines[:half], offset, out)
        _parse(name, lines[half:], offset + half, out)
        return
    table = reshape(name, raw)
    rows = np.arange(offset, offset + len(lines))
    other, reasons = _row_problems(table, name)
    good = np.array([r is None for r in reasons], bool)
    for i in np.flatnonzero(~good):
        out.bad.append((int(rows[i]), str(reasons[i])))
    for i in np.flatnonzero(other & good):
        out.reroute.setdefault(str(table["type"][int(i)]), []).append(int(rows[i]))
    keep = good & ~other
    out.tables.append((table if keep.all() else table.filter(keep), rows[keep]))


def parse_lines(name: str, lines: Sequence[bytes]) -> Parsed:
    """Parse envelope lines routed to type ``name`` into that type's table. Pure, thread-safe."""
    out = Parsed()
    _parse(name, lines, 0, out)
    return out


def _route(lines: Sequence[bytes]) -> dict[bytes | None, list[int]]:
    """Line indices by the first ``"type"`` value in each line (checked after parsing)."""
    groups: dict[bytes | None, list[int]] = {}
    search = _TYPE_RE.search
    for index, line in enumerate(lines):
        at = line.find(b'"type":"') + 8
        if at > 7:
            key: bytes | None = line[at : line.find(b'"', at)]
        else:
            match = search(line)
            key = match.group(1) if match else None
        group = groups.get(key)
        if group is None:
            groups[key] = [index]
        else:
            group.append(index)
    return groups


def _row_problems(table: pa.Table, name: str) -> tuple[np.ndarray, list[str | None]]:
    """Per row: the reason it cannot be kept, or None; rows of another type are rerouted."""
    n = table.num_rows
    reasons: list[str | None] = [None] * n
    checks = [
        (pc.is_null(table["seq"]), "missing seq"),
        (pc.less(table["seq"], 1), "seq must be an integer ≥ 1"),
        (pc.is_null(table["type"]), "missing event.type"),
        (pc.is_null(table["ts"]), "missing event.ts"),
    ]
    for mask, reason in checks:
        for i in np.flatnonzero(mask.fill_null(False).to_numpy(zero_copy_only=False)):
            reasons[i] = reasons[i] or reason
    other = pc.not_equal(table["type"], name).fill_null(False).to_numpy(zero_copy_only=False)
    return other, reasons


class TableBuilder:
    """Accumulates batches of envelopes into per-type Arrow tables, incrementally.

    Every :meth:`add` parses only the new batch; :meth:`tables` concatenates what is held
    (no re-parsing), so a snapshot can be taken at any moment. The first copy of each seq is kept;
    later copies are listed in :attr:`duplicates`.
    """

    def __init__(self) -> None:
        self._parts: dict[str, list[pa.Table]] = {}
        self._seen: set[int] = set()
        self.errors: list[FrameError] = []
        self.skipped: list[int] = []
        self.duplicates: list[tuple[int, str, int]] = []
        self.last_seq: int = 0
        self.events: int = 0
        self._pending: deque[tuple[Batch, str, list[int], Future[Parsed]]] = deque()

    def add(self, batch: Batch) -> None:
        """Queue ``batch`` for parsing; record its errors and skipped seqs.

        Parsing runs on worker threads (Arrow's JSON reader releases the GIL) while the caller
        frames the next batch; results are applied in arrival order. :meth:`flush` waits for them.
        """
        self.errors.extend(batch.errors)
        self.skipped.extend(batch.skipped)
        known = [*batch.skipped, *(i for i in batch.ids or () if i is not None)]
        if known:
            self.last_seq = max(self.last_seq, *known)
        for key, indices in _route(batch.lines).items():
            if key is None:
                self._unroutable(batch, indices)
            else:
                self._submit(batch, key.decode(errors="replace"), indices)
        self._apply(wait=len(self._pending) > _MAX_PENDING)

    def _submit(self, batch: Batch, name: str, indices: list[int]) -> None:
        lines = [batch.lines[i] for i in indices]
        future = _executor().submit(parse_lines, name, lines)
        self._pending.append((batch, name, indices, future))

    def flush(self) -> None:
        """Wait until every batch added so far is parsed and held."""
        self._apply(wait=True)

    def _apply(self, *, wait: bool) -> None:
        while self._pending and (wait or self._pending[0][3].done()):
            batch, name, indices, future = self._pending.popleft()
            parsed = future.result()
            for row, reason in parsed.bad:
                self._error(batch, indices[row], reason)
            for table, rows in parsed.tables:
                self._keep(name, table, [batch.positions[indices[r]] for r in rows]
                           if self._needs_positions(table) else None)
            for other, moved in parsed.reroute.items():
                self._submit(batch, other, [indices[r] for r in moved])
                wait = True

    def _needs_positions(self, table: pa.Table) -> bool:
        seqs = table["seq"]
        repeated = pc.count_distinct(seqs).as_py() != len(seqs)
        return repeated or not self._seen.isdisjoint(seqs.to_pylist())

    def _keep(self, name: str, table: pa.Table, positions: list[int] | None) -> None:
        if not table.num_rows:
            return
        seqs = table["seq"].to_pylist()
        seen = self._seen
        if positions is not None:
            mask = np.ones(len(seqs), bool)
            for i, seq in enumerate(seqs):
                if seq in seen:
                    mask[i] = False
                    self.duplicates.append((seq, name, positions[i]))
                seen.add(seq)
            table = table.filter(mask)
            seqs = table["seq"].to_pylist()
        else:
            seen.update(seqs)
        if seqs:
            self.last_seq = max(self.last_seq, max(seqs))
            self.events += len(seqs)
            self._parts.setdefault(name, []).append(table)

    def _unroutable(self, batch: Batch, indices: list[int]) -> None:
        for index in indices:
            line = batch.lines[index]
            try:
                envelope = json.loads(line)
            except ValueError as exc:
                self._error(batch, index, f"invalid JSON: {exc}")
                continue
            event = envelope.get("event") if isinstance(envelope, dict) else None
            name = event.get("type") if isinstance(event, dict) else None
            if isinstance(name, str):
                self._submit(batch, name, [index])
            elif not isinstance(envelope, dict):
                self._error(batch, index, f"not a JSON object: {type(envelope).__name__}")
            elif not isinstance(event, dict):
                self._error(batch, index, "missing event")
            else:
                self._error(batch, index, "missing event.type")

    def _error(self, batch: Batch, index: int, reason: str) -> None:
        line = batch.lines[index]
        seq = batch.ids[index] if batch.ids else None
        if seq is None:
            match = re.match(rb'\s*\{\s*"seq"\s*:\s*(\d+)', line)
            seq = int(match.group(1)) if match else None
        self.errors.append(FrameError(batch.positions[index], seq, line[:RAW_LIMIT], reason))

    def tables(self) -> dict[str, pa.Table]:
        """One table per event type held, sorted by seq (concatenation only, no parsing)."""
        self.flush()
        out = {}
        for name, parts in self._parts.items():
            table = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
            seq = table["seq"].to_numpy()
            if len(seq) > 1 and (np.diff(seq) < 0).any():
                table = table.take(np.argsort(seq, kind="stable"))
            self._parts[name] = [table]
            out[name] = table
        return out

    def seqs(self) -> np.ndarray:
        """Every seq held as an event, sorted."""
        return np.sort(np.fromiter(self._seen, np.int64, len(self._seen)))


__all__ = ["Parsed", "TableBuilder", "diagnose", "parse_lines", "parse_schema", "reshape"]
