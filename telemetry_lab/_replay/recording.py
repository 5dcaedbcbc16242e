"""A recording loaded by seq, for the replay server."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from telemetry_lab.decode import NDJSONDecoder, sniff
from telemetry_lab.errors import FormatError
from telemetry_lab.sse import SSEDecoder


@dataclass
class Recording:
    """A recording by seq: raw envelope lines (empty for an id-only frame), ``ts`` (µs), categories.

    Undecodable lines are left out; an id-only frame takes the ``ts`` of the event before it.

    Examples
    --------
    >>> from telemetry_lab.datasets import sample_path
    >>> recording = Recording.load(sample_path())
    >>> len(recording.seqs), recording.categories[0]
    (248, 'page')
    """

    seqs: list[int]
    lines: list[bytes]
    ts: np.ndarray
    categories: list[str]

    @classmethod
    def load(cls, path: str | Path) -> Recording:
        """Read an SSE or NDJSON recording."""
        data = Path(path).read_bytes()
        fmt = sniff(data[:4096])
        if fmt not in ("sse", "ndjson"):
            raise FormatError(
                f"the replay server serves SSE or NDJSON recordings; {str(path)!r} is "
                f"{fmt or 'empty'}. Save /telemetry/events pages as NDJSON (one envelope a line)"
            )
        decoder = SSEDecoder() if fmt == "sse" else NDJSONDecoder()
        batch = decoder.feed(data)
        rows: dict[int, tuple[bytes, int, str]] = {}
        for line in batch.lines + decoder.close().lines:
            try:
                envelope = json.loads(line)
                event = envelope["event"]
                row = (line, int(event["ts"]), str(event.get("category", "")))
                rows.setdefault(int(envelope["seq"]), row)
            except (ValueError, KeyError, TypeError):
                continue
        for seq in batch.skipped:
            rows.setdefault(seq, (b"", 0, ""))
        seqs = sorted(rows)
        ts = np.maximum.accumulate(np.array([rows[s][1] for s in seqs] or [0], np.int64))
        return cls(seqs, [rows[s][0] for s in seqs], ts[: len(seqs)], [rows[s][2] for s in seqs])


__all__ = ["Recording"]
