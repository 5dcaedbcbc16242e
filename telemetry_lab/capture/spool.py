"""The spool: every frame appended to an SSE file as it arrives, flushed, resumable.

Killing the process loses nothing already received; a new capture on the same spool reads it
back (a frame cut off by the kill is dropped) and resumes after its last seq.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..decode import Batch, SSEDecoder

#: Where spools go by default: ``./telemetry/<browser_id>.sse`` next to the notebook.
SPOOL_DIR = Path("telemetry")


class Spool:
    """An SSE spool file open for appending (see :meth:`open`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = path.open("ab")

    @classmethod
    def open(cls, path: Path) -> tuple[Spool, Batch]:
        """Open ``path`` (created with its folder when new) and what it already holds.

        A frame cut off at the end (a killed writer) is removed from the file.
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a+b") as handle:
            handle.seek(0)
            data = handle.read()
            end = data.rfind(b"\n\n") + 2 if data.rstrip(b"\n") else 0
            handle.truncate(end)
        return cls(path), SSEDecoder().feed(data[:end])

    def write(self, frames: bytes) -> None:
        """Append complete frames and flush them to the operating system."""
        self._file.write(frames)
        self._file.flush()

    def write_lines(self, seqs: np.ndarray, lines: list[bytes]) -> None:
        """Append envelopes (from history) as frames with their seqs as ids."""
        self.write(b"".join(b"id: %d\ndata: %s\n\n" % (seq, line)
                            for seq, line in zip(seqs.tolist(), lines, strict=True)))

    def close(self) -> None:
        self._file.close()


__all__ = ["SPOOL_DIR", "Spool"]
