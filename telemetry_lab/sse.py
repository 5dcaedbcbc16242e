"""Server-sent events: frames → envelopes (files and live streams) and envelopes → frames. Pure.

One framer serves every SSE byte telemetry_lab reads, from a file, a spool or a live
connection: :class:`SSEDecoder` follows the WHATWG rules the Kernel stream uses and stays
linear in the input however the bytes are cut. :func:`parse_stream` batches a live stream
through it, and :func:`encode_frames` is the one writer of frames (spool, replay server,
synthetic recordings).

Examples
--------
>>> decoder = SSEDecoder()
>>> batch = decoder.feed(b'id: 7\\ndata: {"seq":7}\\n\\nid: 8\\n\\n: keepalive\\n\\nid: 9\\nda')
>>> batch.lines, batch.ids, batch.skipped
([b'{"seq":7}'], [7], [8])
>>> decoder.feed(b'ta: {"seq":9}\\r\\n\\r\\n').lines
[b'{"seq":9}']
>>> b"".join(encode_frames([1, 2], [b'{"seq":1}', b""]))
b'id: 1\\ndata: {"seq":1}\\n\\nid: 2\\n\\n'
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Iterator

from telemetry_lab.decode import INT64_MAX, RAW_LIMIT, Batch, FrameError, Framer, loads

#: One frame as the Kernel stream sends it: ``id: <digits>``, one ``data:`` line, a blank line.
#: (``.`` is any byte but a newline, as ``[^\n]`` is; the regex engine scans it 1.5x as fast.)
_UNIFORM = re.compile(rb"id: ([0-9]+)\ndata: (.+)\n\n")
_UNIFORM_OVERHEAD = len(b"id: \ndata: \n\n")


def encode_frames(seqs: Iterable[int], lines: Iterable[bytes]) -> Iterator[bytes]:
    """One SSE frame per envelope, as the Kernel stream writes them: ``id``, ``data``, blank line.

    ``lines`` are JSON envelopes on one line each; an empty one gives an id-only frame (a seq
    the server skipped).
    """
    for seq, line in zip(seqs, lines, strict=True):
        yield b"id: %d\ndata: %s\n\n" % (seq, line) if line else b"id: %d\n\n" % seq


class SSEDecoder(Framer):
    """Incremental SSE framer following the WHATWG rules the Kernel stream uses.

    LF, CRLF and CR line ends; ``data:`` fields joined with newlines (a multi-line JSON payload
    is re-encoded onto one line); comment lines (``:``, ``: keepalive``) ignored; frames with an
    ``id`` and no data reported in ``skipped``. Positions number the frames from 1 and run on
    across :meth:`restart`.
    """

    def __init__(self) -> None:
        super().__init__()
        self._frame = 0

    def feed(self, chunk: bytes) -> Batch:
        """Add a chunk; return the frames it completed."""
        head, chunk, start, end = self._take(chunk)
        body = self._decode(chunk, start, end)
        return Batch.concat([self.decode(head), body]) if head else body

    def cut(self, chunk: bytes) -> bytes:
        """Add a chunk; return the complete frames it ended (LF line ends, blank lines kept)."""
        head, chunk, start, end = self._take(chunk)
        return head + chunk[start:end]

    def decode(self, frames: bytes) -> Batch:
        """The envelopes of complete ``frames``, as :meth:`cut` returns them."""
        return self._decode(frames, 0, len(frames))

    def _take(self, chunk: bytes) -> tuple[bytes, bytes, int, int]:
        """Add ``chunk``; return ``(head, chunk, start, end)``, the chunk normalised, not copied.

        ``head`` is what was held completed by ``chunk[:start]``; ``chunk[start:end]`` holds
        the chunk's further complete frames; both end with a blank line (or are empty).
        ``chunk[end:]`` is held for the next chunk.
        """
        chunk = self._normalise(bytes(chunk))
        if self._pending and self._ends_newline and chunk[:1] == b"\n":
            start = 1  # the blank line closing the held frame spans the two chunks
        else:
            first = chunk.find(b"\n\n")
            if first < 0:
                self._hold(chunk)
                return b"", chunk, 0, 0
            start = first + 2 if self._pending else 0
        end = max(chunk.rfind(b"\n\n") + 2, start)
        head = b"".join([*self._pending, chunk[:start]]) if self._pending else b""
        self._keep(chunk[end:])
        return head, chunk, start, end

    def _decode(self, frames: bytes, start: int, end: int) -> Batch:
        """The envelopes of the complete frames ``frames[start:end]``."""
        batch = Batch(ids=[])
        if start < end and not self._uniform(frames, start, end, batch):
            self._frames(frames[start:end].split(b"\n\n")[:-1], batch)
        return batch

    def restart(self) -> None:
        """A new stream begins (a reconnect): drop the incomplete frame, go on numbering."""
        Framer.__init__(self)

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
                    ids.append(_frame_seq(frame[4:newline], position, batch))
                    continue
            _general(frame, position, batch)
        self._frame = position

    def _uniform(self, frames: bytes, start: int, end: int, batch: Batch) -> bool:
        """Frame ``id: <digits>`` / ``data: <json>`` / blank line triples in bulk.

        That is what the Kernel stream and spool files hold; anything else (comments, id-only
        frames, multi-line data) returns False and is framed one frame at a time. One scan of
        ``frames[start:end]`` copies each payload once; the frames are uniform when the matches
        tile that span.
        """
        found = _UNIFORM.findall(frames, start, end)
        if not found:
            return False
        digits, payloads = zip(*found, strict=True)
        lines = list(payloads)
        tiled = sum(map(len, digits)) + sum(map(len, lines)) + _UNIFORM_OVERHEAD * len(found)
        if tiled != end - start or max(map(len, digits)) > 18:  # longer ids may pass int64
            return False
        batch.lines = lines
        batch.ids = list(map(int, digits))
        batch.positions = range(self._frame + 1, self._frame + 1 + len(lines))
        self._frame += len(lines)
        return True


def _general(frame: bytes, position: int, batch: Batch) -> None:
    """One frame by the WHATWG field rules (any field order, comments, several ``data``)."""
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
            frame_id = _frame_seq(value, position, batch)
    _add_frame(batch, position, frame_id, b"\n".join(data))


def _int_id(text: bytes) -> int | None:
    """An SSE ``id`` as a seq: None unless it is digits within the int64 range."""
    text = text.strip()
    if not text.isdigit() or (len(text) > 18 and int(text) > INT64_MAX):
        return None
    return int(text)


def _frame_seq(text: bytes, position: int, batch: Batch) -> int | None:
    """A frame's ``id`` as a seq; an id that is not one is ignored and reported in ``batch``."""
    frame_id = _int_id(text)
    if frame_id is None and text.strip():
        reason = (f"SSE id {text.strip()[:40].decode(errors='replace')!r} is not a seq "
                  f"(digits up to {INT64_MAX}); the id is ignored")
        batch.warnings.append(FrameError(position, None, text[:RAW_LIMIT], reason))
    return frame_id


def _add_frame(batch: Batch, position: int, frame_id: int | None, payload: bytes) -> None:
    """Add one dispatched frame (its ``data`` fields joined by newlines) to ``batch``.

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


def parse_stream(
    chunks: Iterable[bytes],
    sink: Callable[[Batch], None],
    *,
    decoder: SSEDecoder | None = None,
    on_frames: Callable[[bytes], None] | None = None,
    wait: Callable[[float], bool] | None = None,
    max_batch: int = 4096,
    max_delay: float = 0.05,
) -> None:
    """Frame a live SSE byte stream, handing :class:`~telemetry_lab.decode.Batch` es to ``sink``.

    Envelopes are gathered into batches (each batch costs the table builder a fixed overhead
    per event type, so a few thousand at a time is much faster than a few): a batch goes out
    once it holds ``max_batch`` envelopes (a chunk's frames are never split, so it may hold a
    chunk's worth more), when its oldest has waited ``max_delay`` seconds, or when no more
    bytes arrive by then. ``wait(timeout)`` blocks up to ``timeout`` seconds for
    bytes and tells whether any are waiting; without it, a batch goes out before every pull of
    the next chunk. ``on_frames`` receives complete frames as soon as they arrive (to spool
    them). ``chunks`` may raise (a dropped connection, a read timeout): everything before the
    failure has been handed over by then, and an incomplete last frame is dropped (the server
    sends it again after a resume). Pass the same ``decoder`` to every connection of a capture
    so that frame positions (the positions errors report) run on across reconnects.

    Examples
    --------
    >>> batches = []
    >>> chunks = [b'id: 7\\ndata: {"seq":7}\\n', b'\\nid: 8\\n\\n: keepalive\\n\\nid: 9\\nda']
    >>> parse_stream(chunks, batches.append)
    >>> [(b.lines, b.ids, b.skipped) for b in batches]
    [([b'{"seq":7}'], [7], [8])]
    """
    decoder = SSEDecoder() if decoder is None else decoder
    decoder.restart()
    pending: list[Batch] = []
    held = 0
    oldest = 0.0

    def flush() -> None:
        nonlocal held
        batch, held = Batch.concat(pending), 0
        pending.clear()
        sink(batch)

    try:
        for chunk in chunks:
            frames = decoder.cut(chunk)
            if frames and on_frames is not None:
                on_frames(frames)
            batch = decoder.decode(frames)
            if batch:
                if not pending:
                    oldest = time.monotonic()
                pending.append(batch)
                held += len(batch.lines)
            if held >= max_batch:
                flush()
            elif pending:
                left = oldest + max_delay - time.monotonic()
                if wait is None or left <= 0 or not wait(left):
                    flush()
    finally:
        if pending:
            flush()


__all__ = ["SSEDecoder", "encode_frames", "parse_stream"]
