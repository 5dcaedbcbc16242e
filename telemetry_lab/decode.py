"""Framing: bytes → one JSON envelope per line, for SSE, NDJSON and JSON arrays. Pure, no I/O.

Decoders are incremental: feed them chunks cut anywhere (a frame may span many chunks, a chunk
may hold many frames) and each call returns the :class:`Batch` of what became complete. Work
stays linear in the input size, however small the chunks and however large the frames.

Examples
--------
>>> decoder = SSEDecoder()
>>> batch = decoder.feed(b'id: 7\\ndata: {"seq":7}\\n\\nid: 8\\n\\n: keepalive\\n\\nid: 9\\nda')
>>> batch.lines, batch.ids, batch.skipped
([b'{"seq":7}'], [7], [8])
>>> decoder.feed(b'ta: {"seq":9}\\r\\n\\r\\n').lines
[b'{"seq":9}']
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
#: One frame as the Kernel stream sends it: ``id: <digits>``, one ``data:`` line, a blank line.
_UNIFORM = re.compile(rb"id: ([0-9]+)\ndata: ([^\n]+)(?:\n\n|\Z)")


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


def _int_id(text: bytes) -> int | None:
    """An SSE ``id`` as a seq: None unless it is digits within the int64 range."""
    text = text.strip()
    if not text.isdigit() or (len(text) > 18 and int(text) > INT64_MAX):
        return None
    return int(text)


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
    """Buffers chunks until a separator arrives, without quadratic re-joining."""

    separator: bytes = b"\n"

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

    def _buffered(self, chunk: bytes) -> bytes | None:
        """Add ``chunk``; return all that is buffered once a separator has arrived."""
        chunk = self._normalise(bytes(chunk))
        if not chunk:
            return None
        sep = self.separator
        boundary = sep in chunk or (
            len(sep) == 2 and self._ends_newline and chunk[:1] == b"\n"
        )
        self._pending.append(chunk)
        self._ends_newline = chunk[-1:] == b"\n"
        if not boundary:
            return None
        return b"".join(self._pending) if len(self._pending) > 1 else chunk

    def _keep(self, rest: bytes) -> None:
        """Hold ``rest``, the incomplete end of the buffer, for the next chunk."""
        self._pending = [rest] if rest else []
        self._ends_newline = rest[-1:] == b"\n"

    def _complete(self, chunk: bytes) -> list[bytes]:
        """Add ``chunk``; return the pieces it completed, split at the separator."""
        buffer = self._buffered(chunk)
        if buffer is None:
            return []
        pieces = buffer.split(self.separator)
        self._keep(pieces.pop())
        return pieces

    def _remainder(self) -> bytes:
        rest = b"".join(self._pending)
        self._pending = []
        return rest


class SSEDecoder(Framer):
    """Incremental SSE framer following the WHATWG rules the Kernel stream uses.

    LF, CRLF and CR line ends; ``data:`` fields joined with newlines (a multi-line JSON payload
    is re-encoded onto one line); comment lines (``:``, ``: keepalive``) ignored; frames with an
    ``id`` and no data reported in ``skipped``.
    """

    separator = b"\n\n"

    def __init__(self) -> None:
        super().__init__()
        self._frame = 0

    def feed(self, chunk: bytes) -> Batch:
        """Add a chunk; return the frames it completed."""
        batch = Batch(ids=[])
        buffer = self._buffered(chunk)
        if buffer is None:
            return batch
        end = buffer.rfind(b"\n\n")  # the blank line closing the last complete frame
        self._keep(buffer[end + 2 :])
        frames = buffer[:end]
        if not self._uniform(frames, batch):
            self._frames(frames.split(b"\n\n"), batch)
        return batch

    def close(self) -> Batch:
        """End of input: a frame not closed by a blank line is reported, not dispatched."""
        batch = Batch(ids=[])
        rest = self._remainder().strip(b"\n")
        if rest:
            self._frame += 1
            seq = None
            for line in rest.split(b"\n"):
                if line.startswith(b"id:"):
                    seq = _int_id(line[3:])
            reason = "incomplete frame at end of input (no blank line after it)"
            batch.errors.append(FrameError(self._frame, seq, rest[:RAW_LIMIT], reason))
        return batch

    def _frames(self, frames: list[bytes], batch: Batch) -> None:
        lines, ids = batch.lines, batch.ids
        positions = batch.positions
        assert ids is not None and isinstance(positions, list)
        position = self._frame
        for frame in frames:
            position += 1
            if frame.startswith(b"id: "):
                newline = frame.find(b"\n")
                if (
                    newline > 0
                    and frame.startswith(b"data: ", newline + 1)
                    and frame.find(b"\n", newline + 1) < 0
                ):
                    lines.append(frame[newline + 7 :])
                    positions.append(position)
                    ids.append(frame_seq(frame[4:newline], position, batch))
                    continue
            self._general(frame, position, batch)
        self._frame = position

    def _uniform(self, frames: bytes, batch: Batch) -> bool:
        """Frame ``id: <digits>`` / ``data: <json>`` / blank line triples in bulk.

        That is what the Kernel stream and spool files hold; anything else (comments, id-only
        frames, multi-line data) returns False and is framed one frame at a time. One scan
        copies each payload once; the frames are uniform when the matches tile ``frames``.
        """
        found = _UNIFORM.findall(frames)
        if not found:
            return False
        digits = [frame_id for frame_id, _ in found]
        lines = [payload for _, payload in found]
        tiled = (sum(map(len, digits)) + sum(map(len, lines))
                 + len(b"id: \ndata: \n\n") * len(found) - 2)
        if tiled != len(frames) or max(map(len, digits)) > 18:  # longer ids may pass int64
            return False
        batch.lines = lines
        batch.ids = list(map(int, digits))
        batch.positions = range(self._frame + 1, self._frame + 1 + len(lines))
        self._frame += len(lines)
        return True

    @staticmethod
    def _general(frame: bytes, position: int, batch: Batch) -> None:
        data: list[bytes] = []
        frame_id: int | None = None
        for line in frame.split(b"\n"):
            if not line or line[:1] == b":":
                continue
            name, colon, value = line.partition(b":")
            if colon and value[:1] == b" ":
                value = value[1:]
            if name == b"data":
                data.append(value)
            elif name == b"id" and b"\0" not in value:
                frame_id = frame_seq(value, position, batch)
        add_frame(batch, position, frame_id, b"\n".join(data))


def frame_seq(text: bytes, position: int, batch: Batch) -> int | None:
    """A frame's ``id`` as a seq; an id that is not one is ignored and reported in ``batch``."""
    frame_id = _int_id(text)
    if frame_id is None and text.strip():
        reason = (f"SSE id {text.strip()[:40].decode(errors='replace')!r} is not a seq "
                  f"(digits up to {INT64_MAX}); the id is ignored")
        batch.warnings.append(FrameError(position, None, text[:RAW_LIMIT], reason))
    return frame_id


def add_frame(batch: Batch, position: int, frame_id: int | None, payload: bytes) -> None:
    """Add one dispatched SSE frame (its ``data`` fields joined by newlines) to ``batch``.

    No data: the frame's id is a seq the server skipped. Data over several lines: re-encoded
    onto one line, or an error when it is not JSON.
    """
    if not payload:
        if frame_id is not None:
            batch.skipped.append(frame_id)
        return
    if b"\n" in payload:
        try:
            payload = json.dumps(loads(payload), ensure_ascii=False).encode()
        except ValueError as exc:
            reason = f"invalid JSON in multi-line data: {exc}"
            batch.errors.append(FrameError(position, frame_id, payload[:RAW_LIMIT], reason))
            return
    assert batch.ids is not None and isinstance(batch.positions, list)
    batch.lines.append(payload)
    batch.positions.append(position)
    batch.ids.append(frame_id)


class NDJSONDecoder(Framer):
    """Incremental NDJSON framer: one envelope per line, LF or CRLF, blank lines ignored."""

    def __init__(self) -> None:
        super().__init__()
        self._line = 0

    def feed(self, chunk: bytes) -> Batch:
        """Add a chunk; return the lines it completed."""
        return self._lines(self._complete(chunk))

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
