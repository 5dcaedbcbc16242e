"""Framing: bytes → one JSON envelope per line, for NDJSON and JSON arrays. Pure, no I/O.

Decoders are incremental: feed them chunks cut anywhere (a line may span many chunks, a chunk
may hold many lines) and each call returns the :class:`Batch` of what became complete. Work
stays linear in the input size, however small the chunks and however long the lines. SSE frames
are read by :class:`telemetry_lab.sse.SSEDecoder`, built on the same :class:`Framer`.

Examples
--------
>>> decoder = NDJSONDecoder()
>>> batch = decoder.feed(b'{"seq":7}\\r\\n\\n{"seq":8}\\n{"se')
>>> batch.lines, list(batch.positions)
([b'{"seq":7}', b'{"seq":8}'], [1, 3])
>>> decoder.feed(b'q":9}').lines, decoder.close().lines
([], [b'{"seq":9}'])
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from telemetry_lab.errors import FormatError

#: Recording formats telemetry_lab reads, by the name :func:`sniff` returns.
FORMATS: dict[str, str] = {
    "sse": "server-sent events (id:/data: frames, as the /telemetry/stream endpoint sends)",
    "ndjson": "NDJSON (one JSON envelope per line)",
    "json": "a JSON array of envelopes (as the /telemetry/events endpoint returns)",
}

_BOM = b"\xef\xbb\xbf"
RAW_LIMIT = 200
#: Deepest nesting of objects and arrays an envelope may have (Chromium's JSON reader allows 200;
#: real envelopes have under 10). Deeper input is one recorded error, never a crash.
MAX_DEPTH = 200
#: Largest seq, ``ts`` or SSE ``id`` accepted: the int64 columns' range.
INT64_MAX = 2**63 - 1
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


@dataclass(frozen=True)
class FrameError:
    """A frame or line that could not be read: where it was, its seq if known, why."""

    position: int
    seq: int | None
    raw: bytes
    reason: str


@dataclass
class Batch:
    """Envelopes framed from a stretch of input, ready for the table builder.

    ``lines`` holds one JSON envelope each (no newline inside), ``positions`` their 1-based
    frame or line number in the source, ``ids`` the SSE ``id`` of their frame (None for NDJSON
    and JSON). ``skipped`` lists ids of frames without data: seqs the server skipped.
    ``warnings`` are frames that were read but not as sent (an ``id`` that is not a seq, say).
    """

    lines: list[bytes] = field(default_factory=list)
    positions: Sequence[int] = field(default_factory=list)
    ids: list[int | None] | None = None
    skipped: list[int] = field(default_factory=list)
    errors: list[FrameError] = field(default_factory=list)
    warnings: list[FrameError] = field(default_factory=list)

    def __bool__(self) -> bool:
        """Whether the batch holds anything for the table builder."""
        return bool(self.lines or self.skipped or self.errors or self.warnings)

    @classmethod
    def concat(cls, batches: Sequence[Batch]) -> Batch:
        """One batch holding ``batches`` in order (a single batch is returned as it is).

        Where batches are merged, the lines of a batch without ids get None as their ids.

        Examples
        --------
        >>> both = Batch.concat([Batch([b"{}"], range(1, 2), [7]), Batch([b"[]"], [2])])
        >>> both.lines, both.positions, both.ids
        ([b'{}', b'[]'], [1, 2], [7, None])
        """
        if len(batches) == 1:
            return batches[0]
        lines: list[bytes] = []
        positions: list[int] = []
        ids: list[int | None] = []
        out = cls(lines, positions, ids)
        for batch in batches:
            lines += batch.lines
            positions += batch.positions
            ids += batch.ids if batch.ids is not None else [None] * len(batch.lines)
            out.skipped += batch.skipped
            out.errors += batch.errors
            out.warnings += batch.warnings
        return out


def nesting_depth(text: bytes) -> int:
    """How deep objects and arrays nest in JSON ``text`` (brackets inside strings ignored).

    Examples
    --------
    >>> nesting_depth(b'{"a": [1, {"b": "[[["}]}'), nesting_depth(b'7')
    (3, 0)
    """
    if text.count(b"[") + text.count(b"{") <= 1:
        return text.count(b"[") + text.count(b"{")
    codes = np.frombuffer(_STRING.sub(b'""', text), np.uint8)
    steps = np.zeros(len(codes), np.int64)
    steps[(codes == ord("[")) | (codes == ord("{"))] = 1
    steps[(codes == ord("]")) | (codes == ord("}"))] = -1
    return int(np.cumsum(steps).max(initial=0))


def too_deep(text: bytes, *, unless_opens: int = MAX_DEPTH) -> str | None:
    """The reason ``text`` nests too deep to be read (see :data:`MAX_DEPTH`), or None.

    Text with at most ``unless_opens`` brackets opening an array or object is not looked into
    (None): it cannot nest deeper than that.
    """
    if text.count(b"[") + text.count(b"{") <= unless_opens:
        return None
    depth = nesting_depth(text)
    if depth <= MAX_DEPTH:
        return None
    return f"JSON nested {depth} levels deep; at most {MAX_DEPTH} are read"


def loads(text: bytes) -> Any:
    """``json.loads`` for untrusted input: nesting beyond :data:`MAX_DEPTH` is a ValueError.

    Examples
    --------
    >>> loads(b"[" * 300 + b"]" * 300)
    Traceback (most recent call last):
    ...
    ValueError: JSON nested 300 levels deep; at most 200 are read
    """
    reason = too_deep(text)
    if reason is not None:
        raise ValueError(reason)
    return json.loads(text)


class Framer:
    """What framers share: line ends normalised to LF across chunks, the incomplete end held.

    Subclasses never re-join what they hold with a whole chunk: only the held bytes and the
    chunk's first piece are joined, so work stays linear and a chunk is not copied for framing.
    """

    def __init__(self) -> None:
        self._pending: list[bytes] = []
        self._ends_newline = False
        self._drop_lf = False
        self._started = False

    def _normalise(self, chunk: bytes) -> bytes:
        if not self._started and chunk:
            self._started = True
            chunk = chunk.removeprefix(_BOM)
        if self._drop_lf and chunk[:1] == b"\n":
            chunk = chunk[1:]
        self._drop_lf = chunk[-1:] == b"\r"
        if b"\r" in chunk:
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        return chunk

    def _hold(self, chunk: bytes) -> None:
        """Add ``chunk``, which completes nothing, to what is held."""
        if chunk:
            self._pending.append(chunk)
            self._ends_newline = chunk[-1:] == b"\n"

    def _keep(self, rest: bytes) -> None:
        """Hold ``rest``, the incomplete end of the input so far, instead of what was held."""
        self._pending = [rest] if rest else []
        self._ends_newline = rest[-1:] == b"\n"

    def _remainder(self) -> bytes:
        rest = b"".join(self._pending)
        self._pending = []
        return rest


class NDJSONDecoder(Framer):
    """Incremental NDJSON framer: one envelope per line, LF or CRLF, blank lines ignored."""

    def __init__(self) -> None:
        super().__init__()
        self._line = 0

    def feed(self, chunk: bytes) -> Batch:
        """Add a chunk; return the lines it completed."""
        chunk = self._normalise(bytes(chunk))
        if b"\n" not in chunk:
            self._hold(chunk)
            return self._lines([])
        lines = chunk.split(b"\n")
        if self._pending:
            lines[0] = b"".join([*self._pending, lines[0]])
        self._keep(lines.pop())
        return self._lines(lines)

    def close(self) -> Batch:
        """End of input: a last line without a newline still counts."""
        return self._lines([self._remainder()])

    def _lines(self, lines: list[bytes]) -> Batch:
        start = self._line + 1
        self._line += len(lines)
        positions: Sequence[int] = range(start, self._line + 1)
        if not all(lines):  # empty lines; whitespace-only ones are dropped by the table builder
            keep = [i for i, line in enumerate(lines) if line]
            lines = [lines[i] for i in keep]
            positions = [positions[i] for i in keep]
        return Batch(lines, positions)


def decode_events_json(data: bytes) -> Batch:
    """Frame a JSON array of envelopes (the ``/telemetry/events`` response body).

    Raises
    ------
    FormatError
        When ``data`` is not a JSON array.

    Examples
    --------
    >>> decode_events_json(b'[{"seq": 1}, 7]').errors[0].reason
    'array element is int, expected a JSON object (an envelope)'
    """
    data = data.removeprefix(_BOM)
    positions: list[int] = []
    batch = Batch(positions=positions)
    try:
        items = json.loads(data) if data.strip() else []
    except RecursionError:  # some element nests too deep: read the others one by one
        items = _elements(data, batch)
    except ValueError as exc:
        raise FormatError(
            f"expected {FORMATS['json']}, but the input is not valid JSON ({exc}); "
            "pass NDJSON or SSE recordings to read_ndjson() / read_sse() instead"
        ) from None
    if not isinstance(items, list):
        raise FormatError(
            f"expected {FORMATS['json']}, got a JSON {type(items).__name__}; "
            "pass the response body of GET /browsers/{id}/telemetry/events"
        )
    for position, item in enumerate(items, 1):
        if isinstance(item, FrameError):
            batch.errors.append(FrameError(position, None, item.raw, item.reason))
            continue
        text = json.dumps(item, ensure_ascii=False).encode()
        if isinstance(item, dict):
            batch.lines.append(text)
            positions.append(position)
        else:
            reason = f"array element is {type(item).__name__}, expected a JSON object (an envelope)"
            batch.errors.append(FrameError(position, None, text[:RAW_LIMIT], reason))
    return batch


def _elements(data: bytes, batch: Batch) -> list[Any]:
    """The elements of JSON array ``data``, each parsed alone: one too deep is a FrameError."""
    data = data.strip()
    blank = _STRING.sub(lambda m: b'"' + b" " * (len(m[0]) - 2) + b'"', data)
    codes = np.frombuffer(blank, np.uint8)
    steps = np.zeros(len(codes), np.int32)
    steps[(codes == ord("[")) | (codes == ord("{"))] = 1
    steps[(codes == ord("]")) | (codes == ord("}"))] = -1
    depth = np.cumsum(steps)
    closed = np.flatnonzero(depth == 0)
    if blank[:1] != b"[" or not len(closed) or closed[0] != len(codes) - 1:
        raise FormatError(f"expected {FORMATS['json']}, but the input is not a JSON array")
    commas = np.flatnonzero((depth == 1) & (codes == ord(","))).tolist()
    cuts = [0, *commas, len(codes) - 1]
    items: list[Any] = []
    for begin, end in itertools.pairwise(cuts):
        text = data[begin + 1 : end]
        try:
            items.append(loads(text))
        except (ValueError, RecursionError) as exc:
            items.append(FrameError(0, None, text.strip()[:RAW_LIMIT], f"invalid JSON: {exc}"))
    return items


def sniff(head: bytes) -> str | None:
    """Name the format of a recording from its first bytes; None when it is empty.

    Raises
    ------
    FormatError
        When the bytes start like none of :data:`FORMATS`.

    Examples
    --------
    >>> sniff(b'id: 1\\ndata: {}'), sniff(b'{"seq": 1}'), sniff(b' [ ]'), sniff(b'')
    ('sse', 'ndjson', 'json', None)
    """
    text = head.removeprefix(_BOM).lstrip()
    if not text:
        return None
    if text[:1] == b"[":
        return "json"
    if text[:1] == b"{":
        return "ndjson"
    if text[:1] == b":" or text.startswith((b"id:", b"data:", b"event:", b"retry:")):
        return "sse"
    accepted = "; ".join(FORMATS.values())
    raise FormatError(
        f"cannot tell the format of this input: it starts with {bytes(text[:40])!r}. "
        f"Accepted formats: {accepted}. Check that the file is a telemetry recording "
        "(gzip and other compressed files must be decompressed first)"
    )
