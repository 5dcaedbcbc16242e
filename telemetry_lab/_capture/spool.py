"""The spool: every frame appended to an SSE file as it arrives, flushed, resumable.

Killing the process loses nothing already received; a new capture on the same spool reads it
back (a frame cut off by the kill is dropped) and resumes after its last seq. A file that is
not a spool as the capture writes them (LF-only SSE frames) is never truncated or appended to.
The spool holds raw cookies and headers, so a new one is readable by its owner only (0600).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import numpy as np

from telemetry_lab.decode import Batch
from telemetry_lab.errors import SpoolError
from telemetry_lab.sse import SSEDecoder, encode_frames

#: Where spools go by default: ``./telemetry/<browser_id>.sse`` next to the notebook.
SPOOL_DIR = Path("telemetry")
#: The SSE fields and comment a spool's frames start with.
_FRAME_STARTS = (b"id:", b"data:", b":", b"event:", b"retry:")


def _mount(path: Path) -> Path:
    """The mount point of the file system holding ``path``."""
    path = path.resolve()
    while not path.is_mount() and path != path.parent:
        path = path.parent
    return path


def _foreign(data: bytes) -> str | None:
    """Why ``data`` is not a spool the capture wrote (None: it is, or it is empty)."""
    if not data:
        return None
    if b"\r" in data:
        return "it has CR line ends (a spool's are LF only)"
    if not data.startswith(_FRAME_STARTS):
        kind = "JSON (NDJSON or an events page)" if data.lstrip()[:1] in (b"{", b"[") else \
            "no SSE frame"
        return f"it starts with {kind}: {data[:40]!r}"
    if b"\n\n" not in data:
        return "it holds no complete SSE frame"
    return None


class Spool:
    """An SSE spool file open for appending (see :meth:`open`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = path.open("ab")
        #: The first write that failed; the file is closed then, and later writes raise it.
        self.failed: SpoolError | None = None

    @classmethod
    def open(cls, path: Path) -> tuple[Spool, Batch]:
        """Open ``path`` (created with its folder when new, mode 0600) and what it holds.

        A frame cut off at the end (a killed writer) is removed from the file.

        Raises
        ------
        SpoolError
            When ``path`` exists but is not a spool (left untouched), or cannot be written.
        """
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
            with path.open("r+b") as handle:
                data = handle.read()
                reason = _foreign(data)
                if reason is not None:
                    raise SpoolError(
                        f"{str(path)!r} is not a telemetry_lab spool ({reason}), so it was "
                        "left untouched: pass a new file as spool=, or read this one with "
                        "telemetry_lab.read()"
                    )
                end = data.rfind(b"\n\n") + 2 if data else 0
                if end < len(data):
                    handle.truncate(end)
        except OSError as exc:
            raise _write_error(path, exc) from None
        return cls(path), SSEDecoder().feed(data[:end])

    def write(self, frames: bytes) -> None:
        """Append complete frames and flush them to the operating system.

        Raises
        ------
        SpoolError
            When the file cannot be written (the message names the file and its disk).
        """
        if self.failed is not None:
            raise self.failed
        try:
            self._file.write(frames)
            self._file.flush()
        except OSError as exc:
            self.failed = _write_error(self.path, exc)
            with contextlib.suppress(OSError):
                self._file.close()
            raise self.failed from None

    def write_lines(self, seqs: np.ndarray, lines: list[bytes]) -> None:
        """Append envelopes (from history) as frames with their seqs as ids."""
        self.write(b"".join(encode_frames(seqs.tolist(), lines)))

    def close(self) -> None:
        """Close the file (again: nothing; after a failed write it is closed already)."""
        try:
            self._file.close()
        except OSError as exc:
            self.failed = self.failed or _write_error(self.path, exc)
            raise self.failed from None


def _write_error(path: Path, exc: OSError) -> SpoolError:
    return SpoolError(
        f"cannot write the spool {str(path)!r} ({exc.strerror or exc}; the disk mounted at "
        f"{str(_mount(path.parent))!r}): what was received so far stays in memory "
        "(cap.session()); free space there or pass another spool="
    )


__all__ = ["SPOOL_DIR", "Spool", "SpoolError"]
