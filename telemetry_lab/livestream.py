"""A live SSE byte stream → :class:`~telemetry_lab.decode.Batch` es, parsed by sseclient-py.

Pure: chunks in, batches out, no sockets. sseclient-py 1.9 has two habits a telemetry consumer
cannot live with, and :func:`frame_aligned` works around both before it sees a byte:

- it appends every chunk to the current frame with ``bytes +=``, so a 1 MB frame arriving in
  small TCP pieces costs time quadratic in the frame size (64-byte pieces: 0.45 s for one frame);
  handing it whole frames keeps it linear;
- it drops frames without data, so an id-only frame (a seq the server skipped) would vanish with
  its resume point; such frames get an empty ``data:`` field, which sseclient-py dispatches.

sseclient-py decodes with one codec and no error handler; it is given ``latin-1``, which maps each
byte to one character and back, so the table builder receives the bytes exactly as sent and
treats invalid UTF-8 as it does in files: replaced by U+FFFD (as EventSource decodes) and reported
in ``Session.warnings``.

Examples
--------
>>> batches = []
>>> chunks = [b'id: 7\\ndata: {"seq":7}\\n', b'\\nid: 8\\n\\n: keepalive\\n\\n']
>>> parse_stream(chunks, batches.append)
>>> [(b.lines, b.ids, b.skipped) for b in batches]
[([b'{"seq":7}'], [7], [8])]
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Iterable, Iterator

from sseclient import SSEClient

from telemetry_lab.decode import Batch, Framer, add_frame, frame_seq

#: An id-only frame (preceded by a frame end, here or the piece start made one).
_LONE_ID = re.compile(rb"\n\n(id:[^\n]*)(?=\n\n)")


class _FrameCutter(Framer):
    def cut(self, chunk: bytes) -> bytes:
        """Add ``chunk``; return the complete frames it ended (with their blank lines), or b""."""
        chunk = self._normalise(bytes(chunk))
        if not chunk:
            return b""
        boundary = b"\n\n" in chunk or (self._ends_newline and chunk[:1] == b"\n")
        self._pending.append(chunk)
        self._ends_newline = chunk[-1:] == b"\n"
        if not boundary:
            return b""
        data = b"".join(self._pending) if len(self._pending) > 1 else chunk
        end = data.rfind(b"\n\n") + 2
        self._pending = [data[end:]] if end < len(data) else []
        return data[:end]


#: The codec sseclient-py decodes with: one character per byte, so ``encode`` gives the bytes back.
_BYTES = "latin-1"


def frame_aligned(chunks: Iterable[bytes], on_frames: Callable[[bytes], None] | None = None
                  ) -> Iterator[bytes]:
    """Re-cut ``chunks`` at frame boundaries (LF, CRLF and CR line ends become LF).

    Each piece is one or more complete frames and is yielded as soon as its blank line arrives.
    ``on_frames`` receives each piece as it arrived (id-only frames untouched), e.g. to spool it.
    """
    cutter = _FrameCutter()
    for chunk in chunks:
        piece = cutter.cut(chunk)
        if not piece:
            continue
        if on_frames is not None:
            on_frames(piece)
        piece = _LONE_ID.sub(rb"\n\n\1\ndata:", b"\n\n" + piece)[2:]
        yield piece


def parse_stream(
    chunks: Iterable[bytes],
    sink: Callable[[Batch], None],
    *,
    on_frames: Callable[[bytes], None] | None = None,
    wait: Callable[[float], bool] | None = None,
    max_batch: int = 4096,
    max_delay: float = 0.05,
    frame_numbers: Iterator[int] | None = None,
) -> None:
    """Parse an SSE byte stream with sseclient-py, handing :class:`Batch` es to ``sink``.

    Envelopes are gathered into batches (each batch costs the table builder a fixed overhead
    per event type, so a few thousand lines at a time is much faster than a few): a batch goes
    out when it holds ``max_batch`` envelopes, when its oldest has waited ``max_delay`` seconds,
    or when no more bytes arrive by then. ``wait(timeout)`` blocks up to ``timeout`` seconds
    for bytes and tells whether any are waiting; without it, a batch goes out before every
    pull of the next chunk. ``chunks`` may raise (a dropped connection, a read timeout):
    everything before the failure has been handed over by then. ``frame_numbers`` numbers the
    frames (the positions errors report); pass one counter to every connection of a capture so
    that numbers run on across reconnects.
    """
    oldest = 0.0
    lines: list[bytes] = []
    positions: list[int] = []
    ids: list[int | None] = []
    batch = Batch(lines, positions, ids)

    def flush() -> None:
        nonlocal batch, lines, positions, ids
        if batch.lines or batch.skipped or batch.errors or batch.warnings:
            sink(batch)
            lines, positions, ids = [], [], []
            batch = Batch(lines, positions, ids)

    def pulled(chunks: Iterable[bytes]) -> Iterator[bytes]:
        """``chunks``, flushing before a pull that would keep a batch past its deadline."""
        nonlocal oldest
        for chunk in chunks:
            if not (batch.lines or batch.skipped or batch.errors):
                oldest = time.monotonic()
            yield chunk
            if batch.lines or batch.skipped or batch.errors:
                left = oldest + max_delay - time.monotonic()
                if wait is None or left <= 0 or not wait(left):
                    flush()

    client = SSEClient(frame_aligned(pulled(chunks), on_frames), char_enc=_BYTES)
    numbers = itertools.count(1) if frame_numbers is None else frame_numbers
    try:
        for event in client.events():
            position = next(numbers)
            frame_id = frame_seq(event.id.encode(_BYTES), position, batch) if event.id else None
            add_frame(batch, position, frame_id, event.data.encode(_BYTES))
            if len(batch.lines) >= max_batch:
                flush()
    finally:
        flush()


__all__ = ["frame_aligned", "parse_stream"]
