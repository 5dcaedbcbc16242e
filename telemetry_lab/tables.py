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

import json
import os
import re
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from telemetry_lab.decode import INT64_MAX, MAX_DEPTH, RAW_LIMIT, Batch, FrameError, loads, too_deep
from telemetry_lab.jsontext import dumps
from telemetry_lab.reshape import parse_schema, reshape
from telemetry_lab.schema import event_type
from telemetry_lab.seqs import sorted_seqs

T = TypeVar("T")

_TYPE_RE = re.compile(rb'"type"\s*:\s*"([^"\\]*)"')
_MAX_PENDING = 16
#: At most this many bytes of joined lines wait for a worker: when workers fall behind (a busy
#: machine), the caller waits instead of framing ahead and holding ever more of the input.
_MAX_PENDING_BYTES = 24 << 20
#: A type's lines wait until this many bytes of them have arrived (or a snapshot is taken) and
#: are then parsed in one call: each parse has a fixed cost (1 to 3 ms), which rare types would
#: otherwise pay in every batch.
_PARSE_BYTES = 4 << 20
#: ... or until this many bytes of input (of any type) have arrived since the first of them: a
#: rare type is then parsed a few times per recording instead of being held, and parsed along
#: with every other one, at the end.
_MAX_WAIT_INPUT = 64 << 20
_EXECUTOR: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _EXECUTOR
    if _EXECUTOR is None:
        _EXECUTOR = ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="telemetry_lab")
    return _EXECUTOR

#: Lines longer than this with more than half as many opening brackets are checked for nesting
#: before the JSON reader sees them (its recursion overflows the stack past some 10,000 levels and
#: its type inference slows with the cube of the depth); any other line nests at most half as
#: deep, which the reader parses in a fraction of a second, and nesting beyond
#: :data:`~telemetry_lab.decode.MAX_DEPTH` then shows in the parsed types.
_CHECK_DEPTH_OVER = 2048
_UTF8_REPLACED = ("invalid UTF-8 replaced by U+FFFD (as EventSource decodes); "
                  "the rest of the event is as sent")


class _InvalidUTF8(Exception):
    """A block holds bytes that are not UTF-8."""


class _TooDeep(Exception):
    """A block holds a line nested deeper than MAX_DEPTH."""


def _type_depth(dtype: pa.DataType) -> int:
    """How deep structs and lists nest in ``dtype`` (without recursion: it may be very deep)."""
    deepest, stack = 0, [(dtype, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if node.num_fields:  # structs and lists: only their children can nest
            stack += [(node.field(i).type, depth + 1) for i in range(node.num_fields)]
    return deepest


def _valid_utf8(data: bytes) -> bool:
    if data.isascii():
        return True
    offsets = pa.array([0, len(data)], pa.int64()).buffers()[1]
    array = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        array.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _read_block(name: str, data: bytes, count: int) -> pa.Table:
    """Parse ``data``, ``count`` envelope lines of type ``name``."""
    if not _valid_utf8(data):
        raise _InvalidUTF8
    # one block for all of ``data``: the table has a single chunk, which reshape reads in place
    table = pj.read_json(
        pa.BufferReader(data),
        read_options=pj.ReadOptions(block_size=len(data) + 1, use_threads=False),
        parse_options=pj.ParseOptions(
            explicit_schema=parse_schema(name), unexpected_field_behavior="infer"
        ),
    )
    if table.num_rows != count:
        raise pa.ArrowInvalid(f"{table.num_rows} JSON values in {count} lines")
    # The reader's inference corrupts a list whose first item is null and a later one is not
    # ([null, "x"]: offsets past the values, seen with pyarrow 26); such a block is refused here
    # and its line re-read with the undeclared list kept as JSON text.
    table.validate()
    if _type_depth(table.schema.field("event").type) + 2 > MAX_DEPTH:
        raise _TooDeep
    return table


def diagnose(line: bytes, name: str) -> str | None:
    """Why ``line`` cannot be an envelope of type ``name``, in words; None when it can."""
    deep = too_deep(line)
    if deep is not None:
        return deep
    try:
        envelope = json.loads(line)
    except ValueError as exc:
        return f"invalid JSON: {exc}"
    if not isinstance(envelope, dict):
        return f"not a JSON object: {type(envelope).__name__}"
    found = _type_errors(envelope, parse_schema(name), "")
    if found:
        return "wrong field type: " + "; ".join(found[:3])
    return None


def _json_fields_as_text(envelope: dict[str, Any], name: str) -> dict[str, Any]:
    """``envelope`` with the free-form (``json``) fields of its data already as JSON text."""
    event = envelope.get("event")
    if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
        return envelope
    data = event["data"]
    for spec in event_type(name).fields:
        if spec.kind != "json":
            continue
        if spec.paths == ((),):
            event["data"] = dumps(data)
        elif data.get(spec.paths[0][0]) is not None:
            data[spec.paths[0][0]] = dumps(data[spec.paths[0][0]])
    return envelope


def _representable(value: dict[str, Any], schema: pa.Schema | pa.StructType) -> dict[str, Any]:
    """``value`` with every undeclared array replaced by its JSON text.

    For the rare envelope the JSON reader cannot infer (a mixed-type array, say): the value is
    kept, as text, instead of losing the event.
    """
    declared = {f.name: f.type for f in schema}
    out: dict[str, Any] = {}
    for key, item in value.items():
        dtype = declared.get(key)
        if isinstance(item, dict):
            nested = dtype if dtype is not None and pa.types.is_struct(dtype) else pa.struct([])
            out[key] = _representable(item, nested)
        elif dtype is None and isinstance(item, list):
            out[key] = dumps(item)
        else:
            out[key] = item
    return out


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
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) > INT64_MAX:
            found.append(f"{path} is {item}, beyond the 64-bit integer range")
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
    replaced: list[int] = field(default_factory=list)
    #: The lines of the rows in ``bad``, ``reroute`` and ``replaced`` (as read).
    lines: dict[int, bytes] = field(default_factory=dict)


def _deep(lines: Sequence[bytes], *, over: int, unless_opens: int = MAX_DEPTH
          ) -> dict[int, str]:
    """Lines longer than ``over`` bytes that nest too deep, with the reason (lines with at most
    ``unless_opens`` opening brackets are not looked into)."""
    return {i: reason for i, line in enumerate(lines)
            if len(line) > over
            and (reason := too_deep(line, unless_opens=unless_opens)) is not None}


def _parse(name: str, lines: Sequence[bytes], rows: np.ndarray, out: Parsed) -> None:
    """Parse ``lines`` of one type, halving around whatever the reader rejects.

    ``rows`` are the lines' indices in the block :func:`parse_block` was given.
    """
    if max(map(len, lines)) > _CHECK_DEPTH_OVER:
        deep = _deep(lines, over=_CHECK_DEPTH_OVER, unless_opens=_CHECK_DEPTH_OVER // 2)
        if deep:
            _drop(name, lines, rows, deep, out)
            return
    try:
        raw = _read_block(name, b"\n".join(lines), len(lines))
    except _InvalidUTF8:
        lines = list(lines)
        for i, line in enumerate(lines):
            text = line.decode("utf-8", "replace")
            if "\ufffd" in text and not _valid_utf8(line):
                out.lines[int(rows[i])] = line
                lines[i] = text.encode()
                out.replaced.append(int(rows[i]))
        _parse(name, lines, rows, out)
        return
    except _TooDeep:
        _drop(name, lines, rows, _deep(lines, over=0), out)
        return
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        if len(lines) > 1:
            half = len(lines) // 2
            _parse(name, lines[:half], rows[:half], out)
            _parse(name, lines[half:], rows[half:], out)
            return
        reason = diagnose(lines[0], name)
        if reason is not None:
            _bad(out, int(rows[0]), lines[0], reason)
            return
        fixed = _representable(_json_fields_as_text(json.loads(lines[0]), name),
                               parse_schema(name))
        try:
            block = json.dumps(fixed).encode()
            raw = _read_block(name, block, 1)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            message = str(exc).removeprefix("JSON parse error: ")
            _bad(out, int(rows[0]), lines[0], f"the JSON reader rejected it: {message}")
            return
    _finish(name, raw, rows, lines.__getitem__, out)


def _bad(out: Parsed, row: int, line: bytes, reason: str) -> None:
    out.bad.append((row, reason))
    out.lines[row] = line


def _finish(name: str, raw: pa.Table, rows: np.ndarray, line: Callable[[int], bytes],
            out: Parsed) -> None:
    """Reshape what the reader parsed; rows that cannot be kept are reported or rerouted.

    ``line(i)`` gives the line of row ``i`` of ``raw``: called only for rows reported.
    """
    table = reshape(name, raw)
    other, reasons = _row_problems(table, name)
    good = np.ones(table.num_rows, bool)
    good[list(reasons)] = False
    for index, reason in sorted(reasons.items()):
        _bad(out, int(rows[index]), line(index), reason)
    for row in np.flatnonzero(other & good):
        out.reroute.setdefault(str(table["type"][int(row)]), []).append(int(rows[row]))
        out.lines[int(rows[row])] = line(int(row))
    keep = good & ~other
    out.tables.append((table if keep.all() else table.filter(keep), rows[keep]))


def _drop(name: str, lines: Sequence[bytes], rows: np.ndarray, bad: dict[int, str],
          out: Parsed) -> None:
    """Record lines ``bad`` (index → reason) as errors and parse the others."""
    for i, reason in bad.items():
        _bad(out, int(rows[i]), lines[i], reason)
    rest = [i for i in range(len(lines)) if i not in bad]
    if rest:
        _parse(name, [lines[i] for i in rest], rows[rest], out)


def parse_block(name: str, data: bytes, count: int) -> Parsed:
    """Parse ``data``, ``count`` envelope lines of type ``name`` joined by newlines, into that
    type's table. Pure, thread-safe.

    The block is split into lines only if the reader rejects it (to isolate the bad lines), so
    the caller can let go of its lines once it has joined them. Lines longer than
    ``_CHECK_DEPTH_OVER`` must have been checked for nesting (:func:`parse_lines` does).
    """
    out = Parsed()
    rows = np.arange(count)
    try:
        raw = _read_block(name, data, count)
    except (_InvalidUTF8, _TooDeep, pa.ArrowInvalid, pa.ArrowNotImplementedError):
        _parse(name, data.split(b"\n"), rows, out)
        return out
    split: list[list[bytes]] = []

    def line(i: int) -> bytes:
        if not split:
            split.append(data.split(b"\n"))
        return split[0][i]

    _finish(name, raw, rows, line, out)
    return out


def parse_lines(name: str, lines: Sequence[bytes]) -> Parsed:
    """Parse envelope lines routed to type ``name`` into that type's table. Pure, thread-safe."""
    out = Parsed()
    _parse(name, lines, np.arange(len(lines)), out)
    return out


def _pick(items: Sequence[T], indices: Sequence[int]) -> list[T]:
    """``[items[i] for i in indices]``, gathered in C."""
    if len(indices) > 1:
        return list(itemgetter(*indices)(items))
    return [items[i] for i in indices]


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


def _row_problems(table: pa.Table, name: str) -> tuple[np.ndarray, dict[int, str]]:
    """Rows of another type (to reroute), and the reason of each row that cannot be kept."""
    checks = [
        (pc.is_null(table["seq"]), "missing seq"),
        (pc.less(table["seq"], 1), "seq must be an integer ≥ 1"),
        (pc.is_null(table["type"]), "missing event.type"),
        (pc.is_null(table["ts"]), "missing event.ts"),
    ]
    reasons: dict[int, str] = {}
    for mask, reason in checks:
        for i in np.flatnonzero(mask.fill_null(False).to_numpy(zero_copy_only=False)):
            reasons.setdefault(int(i), reason)
    other = pc.not_equal(table["type"], name).fill_null(False).to_numpy(zero_copy_only=False)
    return other, reasons


@dataclass
class _Waiting:
    """A type's lines that wait to be parsed: joined per batch, with their positions and ids."""

    pieces: list[bytes] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    ids: list[int | None] | None = None
    size: int = 0
    since: int = 0


class TableBuilder:
    """Accumulates batches of envelopes into per-type Arrow tables, incrementally.

    Every :meth:`add` parses only the new batch; :meth:`tables` concatenates what is held
    (no re-parsing), so a snapshot can be taken at any moment. A seq received again with the
    same event (same type and ``ts``) is a duplicate: the first copy is kept, later ones are listed
    in :attr:`duplicates`. A seq received again with a different event means the producer's
    counter went back (restarted): both events are kept and the later one is reported in
    :attr:`warnings`, as is an SSE ``id`` that disagrees with its envelope's seq.
    """

    def __init__(self) -> None:
        self._parts: dict[str, list[pa.Table]] = {}
        self._seen: set[int] = set()
        self.errors: list[FrameError] = []
        self.warnings: list[FrameError] = []
        self.skipped: list[int] = []
        self.duplicates: list[tuple[int, str, int]] = []
        self.last_seq: int = 0
        self.events: int = 0
        self._pending: deque[tuple[Batch, str, Sequence[int], Future[Parsed]]] = deque()
        self._pending_bytes: deque[int] = deque()
        self._waiting: dict[str, _Waiting] = {}
        self._routed = 0

    def add(self, batch: Batch) -> None:
        """Queue ``batch`` for parsing; record its errors and skipped seqs.

        Parsing runs on worker threads (Arrow's JSON reader releases the GIL) while the caller
        frames the next batch; results are applied in arrival order. :meth:`flush` waits for them.
        """
        self.errors.extend(batch.errors)
        self.warnings.extend(batch.warnings)
        self.skipped.extend(batch.skipped)
        # ids of None (no id) and 0 cannot raise last_seq, which starts at 0
        self.last_seq = max(self.last_seq, *batch.skipped, max(filter(None, batch.ids or ()),
                                                                default=0))
        for key, indices in _route(batch.lines).items():
            if key is None:
                self._unroutable(batch, indices)
            else:
                self._queue(batch, key.decode(errors="replace"), indices)
        for name in [name for name, held in self._waiting.items()
                     if self._routed - held.since >= _MAX_WAIT_INPUT]:
            self._release(name)
        self._apply(keep=_MAX_PENDING)

    def _queue(self, batch: Batch, name: str, indices: Sequence[int],
               lines: list[bytes] | None = None) -> None:
        """Hold the lines ``indices`` of ``batch`` (or ``lines``) of type ``name`` until
        :data:`_PARSE_BYTES` of that type are waiting, then parse them together.

        Lines nested too deep are recorded here; the others are joined at once, so that the
        batch's line objects can be freed while its types wait.
        """
        if lines is None:
            lines = _pick(batch.lines, indices)
        if max(map(len, lines)) > _CHECK_DEPTH_OVER:
            deep = _deep(lines, over=_CHECK_DEPTH_OVER, unless_opens=_CHECK_DEPTH_OVER // 2)
            for i, reason in deep.items():
                self._error(batch, indices[i], reason, line=lines[i])
            if deep:
                indices = [index for i, index in enumerate(indices) if i not in deep]
                lines = [line for i, line in enumerate(lines) if i not in deep]
                if not lines:
                    return
        held = self._waiting.get(name)
        if held is None:
            held = self._waiting[name] = _Waiting(since=self._routed)
        if batch.ids is not None and held.ids is None:  # NDJSON has no ids: none are kept
            held.ids = [None] * len(held.positions)
        if held.ids is not None:
            held.ids += _pick(batch.ids, indices) if batch.ids else [None] * len(lines)
        held.positions += _pick(batch.positions, indices)
        held.pieces.append(b"\n".join(lines))
        held.size += len(held.pieces[-1])
        self._routed += len(held.pieces[-1])
        if held.size >= _PARSE_BYTES:
            self._release(name)

    def _release(self, name: str) -> None:
        """Parse the lines of type ``name`` that wait, on a worker thread."""
        held = self._waiting.pop(name)
        data = held.pieces[0] if len(held.pieces) == 1 else b"\n".join(held.pieces)
        count = len(held.positions)
        future = _executor().submit(parse_block, name, data, count)
        origin = Batch(positions=held.positions, ids=held.ids)  # without its lines
        self._pending.append((origin, name, range(count), future))
        self._pending_bytes.append(len(data))

    def flush(self) -> None:
        """Wait until every batch added so far is parsed and held."""
        while self._waiting or self._pending:
            for name in list(self._waiting):
                self._release(name)
            self._apply(keep=0)

    def _apply(self, *, keep: int) -> None:
        """Take in finished parses, in arrival order, waiting while more than ``keep`` queue."""
        while self._pending and (
            len(self._pending) > keep
            or (keep and sum(self._pending_bytes) > _MAX_PENDING_BYTES)
            or self._pending[0][3].done()
        ):
            batch, name, indices, future = self._pending.popleft()
            self._pending_bytes.popleft()
            parsed = future.result()
            for row, reason in parsed.bad:
                self._error(batch, indices[row], reason, line=parsed.lines[row])
            for row in parsed.replaced:
                self._error(batch, indices[row], _UTF8_REPLACED, line=parsed.lines[row],
                            to=self.warnings)
            for table, rows in parsed.tables:
                self._keep(name, table, batch, indices, rows)
            for other, moved in parsed.reroute.items():
                self._queue(batch, other, [indices[r] for r in moved],
                            [parsed.lines[r] for r in moved])

    def _keep(self, name: str, table: pa.Table, batch: Batch, indices: Sequence[int],
              rows: np.ndarray) -> None:
        """Hold ``table``, the first copy of each seq; row i came from
        ``batch.lines[indices[rows[i]]]`` (looked up only for rows to report)."""
        if not table.num_rows:
            return
        seqs = table["seq"].to_pylist()
        if batch.ids is not None:
            self._check_ids(seqs, batch, indices, rows)
        seen = self._seen
        if len(set(seqs)) != len(seqs) or not seen.isdisjoint(seqs):
            table = self._repeated(name, table, seqs, batch, [indices[r] for r in rows])
            seqs = table["seq"].to_pylist()
        else:
            seen.update(seqs)
        if seqs:
            self.last_seq = max(self.last_seq, max(seqs))
            self.events += len(seqs)
            self._parts.setdefault(name, []).append(table)

    def _check_ids(self, seqs: list[int], batch: Batch, indices: Sequence[int],
                   rows: np.ndarray) -> None:
        """Report rows whose SSE ``id`` is not their envelope's seq ``seqs`` (the seq is kept).

        Ids and seqs are compared as two lists at once; only a mismatch is looked into row by
        row (a frame without an id is not one).
        """
        assert batch.ids is not None
        kept = indices if len(rows) == len(indices) else _pick(indices, rows.tolist())
        ids = _pick(batch.ids, kept)
        if ids == seqs:
            return
        for index, frame_id, seq in zip(kept, ids, seqs, strict=True):
            if frame_id is not None and frame_id != seq:
                reason = (f"SSE id {frame_id} disagrees with the envelope's seq {seq}; "
                          "the event is kept under its seq")
                self._error(batch, index, reason, line=b"", to=self.warnings, seq=seq)

    def _repeated(self, name: str, table: pa.Table, seqs: list[int], batch: Batch,
                  lines: list[int]) -> pa.Table:
        """``table`` without the duplicates among its rows (same seq, type and ``ts`` as an
        event held); a seq held by a different event is kept and reported."""
        ts = table["ts"].cast(pa.int64()).to_pylist()
        held = self._held({seq for seq in seqs if seq in self._seen})
        mask = np.ones(len(seqs), bool)
        for i, (seq, at) in enumerate(zip(seqs, ts, strict=True)):
            events = held.setdefault(seq, set())
            if (name, at) in events:
                mask[i] = False
                self.duplicates.append((seq, name, batch.positions[lines[i]]))
            elif events:
                other, other_at = min(events)
                reason = (f"seq {seq} went back: it is already held by another event "
                          f"({other} at ts {other_at}); the producer's counter restarted? "
                          "Both events are kept")
                self._error(batch, lines[i], reason, line=b"", to=self.warnings, seq=seq)
            events.add((name, at))
            self._seen.add(seq)
        return table if mask.all() else table.filter(mask)

    def _held(self, seqs: set[int]) -> dict[int, set[tuple[str, int]]]:
        """(type, ts) of every held event with one of ``seqs``."""
        out: dict[int, set[tuple[str, int]]] = {}
        if not seqs:
            return out
        wanted = np.fromiter(seqs, np.int64, len(seqs))
        for name, parts in self._parts.items():
            for part in parts:
                hit = np.flatnonzero(np.isin(part["seq"].to_numpy(), wanted))
                if len(hit):
                    found = part.take(hit)
                    pairs = zip(found["seq"].to_pylist(),
                                found["ts"].cast(pa.int64()).to_pylist(), strict=True)
                    for seq, at in pairs:
                        out.setdefault(seq, set()).add((name, at))
        return out

    def _unroutable(self, batch: Batch, indices: list[int]) -> None:
        for index in indices:
            line = batch.lines[index]
            if not line.strip():  # a blank line between envelopes
                continue
            try:
                envelope = loads(line)
            except ValueError as exc:
                self._error(batch, index, f"invalid JSON: {exc}")
                continue
            event = envelope.get("event") if isinstance(envelope, dict) else None
            name = event.get("type") if isinstance(event, dict) else None
            if isinstance(name, str):
                self._queue(batch, name, [index])
            elif not isinstance(envelope, dict):
                self._error(batch, index, f"not a JSON object: {type(envelope).__name__}")
            elif not isinstance(event, dict):
                self._error(batch, index, "missing event")
            else:
                self._error(batch, index, "missing event.type")

    def _error(self, batch: Batch, index: int, reason: str, *, line: bytes | None = None,
               to: list[FrameError] | None = None, seq: int | None = None) -> None:
        """Record line ``index`` of ``batch`` (``line`` when given) in :attr:`errors` (or
        in ``to``)."""
        if line is None:
            line = batch.lines[index]
        if seq is None and batch.ids:
            seq = batch.ids[index]
        if seq is None:
            match = re.match(rb'\s*\{\s*"seq"\s*:\s*(\d{1,19})\b', line)
            seq = int(match.group(1)) if match and int(match.group(1)) <= INT64_MAX else None
        record = FrameError(batch.positions[index], seq, line[:RAW_LIMIT], reason)
        (self.errors if to is None else to).append(record)

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
        return sorted_seqs([np.fromiter(self._seen, np.int64, len(self._seen))])


__all__ = ["Parsed", "TableBuilder", "diagnose", "parse_block", "parse_lines", "parse_schema",
           "reshape"]
