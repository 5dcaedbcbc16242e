"""What the JSON reader parsed → a type's table: column picking, maps, JSON text, ``extra``.

Arrow's JSON reader parses each type's envelopes against :func:`parse_schema`: the fields the
registry knows are declared with their types; everything else (headers, free-form objects such as
stack traces, fields the registry does not know) is inferred. :func:`reshape` turns that into the
type's table of :data:`telemetry_lab.schema.SCHEMAS` with whole-column operations.

Examples
--------
>>> import io, pyarrow.json as pj
>>> line = (b'{"seq":1,"event":{"ts":1796018033868025,"type":"page_lcp","category":"page",'
...         b'"source":{"kind":"cdp"},"data":{"time":1796018034.1327,"tag":"img"}}}')
>>> raw = pj.read_json(io.BytesIO(line), parse_options=pj.ParseOptions(
...     explicit_schema=parse_schema("page_lcp"), unexpected_field_behavior="infer"))
>>> table = reshape("page_lcp", raw)
>>> str(table["time"][0]), table["extra"][0].as_py()
('2026-11-30 05:53:54.132700+00:00', '{"event.data.tag":"img"}')
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from telemetry_lab.jsontext import arrow_dumps
from telemetry_lab.schema import (
    CONTEXT,
    KINDS,
    METADATA_KEYS,
    TIMESTAMP,
    EventType,
    epoch_to_timestamp,
    event_type,
    schema_for,
)

_ENVELOPE_KEYS = ("seq", "event")
_EVENT_KEYS = ("ts", "type", "category", "source", "data", "truncated")
_SOURCE_KEYS = ("kind", "event", "metadata")
INFERRED_KINDS = frozenset({"json", "strmap"})


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
        if spec.kind in INFERRED_KINDS:
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


class _Fields:
    """Children of struct arrays by path, each struct flattened once (parent nulls applied).

    One ``flatten`` per struct instead of a ``struct_field`` call per child read: a struct with
    thousands of unknown keys costs one call, not thousands.
    """

    def __init__(self) -> None:
        self._children: dict[int, tuple[pa.Array, list[pa.Array]]] = {}

    def children(self, struct: pa.Array) -> list[pa.Array]:
        """Every child of ``struct``, in field order."""
        held = self._children.get(id(struct))
        if held is None:
            held = self._children[id(struct)] = (struct, struct.flatten())
        return held[1]

    def get(self, struct: pa.Array | None, *path: str) -> pa.Array | None:
        """Child at ``path``; None when the struct has no such child."""
        for part in path:
            if struct is None or not pa.types.is_struct(struct.type):
                return None
            index = struct.type.get_field_index(part)  # one name: names may hold dots
            if index < 0:
                return None
            struct = self.children(struct)[index]
        return struct


def _coalesce(arrays: Iterable[pa.Array | None], dtype: pa.DataType, length: int) -> pa.Array:
    present = [a.cast(dtype) for a in arrays if a is not None and not pa.types.is_null(a.type)]
    if not present:
        return pa.nulls(length, dtype)
    return present[0] if len(present) == 1 else pc.coalesce(*present)


def _to_json(array: pa.Array) -> pa.Array:
    """JSON text of each non-null value (null stays null; text is taken as JSON text already)."""
    if pa.types.is_string(array.type):
        return array
    return arrow_dumps(array)


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
    children = dict(zip((f.name for f in array.type), array.flatten(), strict=True))
    names = sorted(children)  # a row's keys in name order, whatever the batch
    for index, name in enumerate(names):
        child = children[name]
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
    fields: _Fields, struct: pa.Array | None, known: Iterable[str], prefix: str
) -> list[tuple[str, pa.Array]]:
    if struct is None or not pa.types.is_struct(struct.type):
        return []
    known = set(known)
    wanted = [i for i, f in enumerate(struct.type)
              if f.name not in known and not pa.types.is_null(f.type)]
    if not wanted:
        return []
    children = fields.children(struct)
    return [(f"{prefix}{struct.type.field(i).name}", children[i]) for i in wanted]


def _extra(columns: list[tuple[str, pa.Array]], length: int) -> pa.Array:
    """JSON object ``{dotted path: value}`` of the unknown fields of each row; null when none."""
    if not columns:
        return pa.nulls(length, pa.string())
    arrays = [c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c for _, c in columns]
    texts = arrow_dumps(pa.StructArray.from_arrays(arrays, [path for path, _ in columns]))
    return pc.if_else(pc.equal(texts, "{}"), pa.scalar(None, pa.string()), texts)


def _data_known(et: EventType) -> dict[str, set[str]]:
    """Known keys of ``data`` (under ``""``) and of each nested object read from it."""
    known: dict[str, set[str]] = {"": {key for key, _, _ in CONTEXT}}
    for spec in et.fields:
        for path in spec.paths:
            if not path:  # the whole of data is one field: nothing in it is unknown
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
    if isinstance(envelope, pa.ChunkedArray):  # one chunk is read in place, not copied
        envelope = envelope.chunk(0) if envelope.num_chunks == 1 else envelope.combine_chunks()
    fields = _Fields()
    _field = fields.get
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
    unknown = _unknown(fields, envelope, _ENVELOPE_KEYS, "")
    unknown += _unknown(fields, event, _EVENT_KEYS, "event.")
    unknown += _unknown(fields, source, _SOURCE_KEYS, "event.source.")
    unknown += _unknown(fields, metadata, METADATA_KEYS, "event.source.metadata.")
    known = _data_known(et)
    if "*" not in known[""]:
        unknown += _unknown(fields, data, known[""], "event.data.")
        for parent, keys in known.items():
            if parent:
                unknown += _unknown(fields, _field(data, parent), keys, f"event.data.{parent}.")
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
