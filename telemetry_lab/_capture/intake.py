"""What a capture received: filtered by category, queued, parsed into tables in batches.

The stream thread adds batches; readers (a snapshot, the status line) take :attr:`Intake.lock`
and call :meth:`Intake.parse` first. The resume point, :attr:`Intake.last_id`, is the largest
SSE id received (framing already ignores, and reports, ids that cannot be a seq: garbage, ids
beyond int64).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from telemetry_lab.decode import Batch
from telemetry_lab.tables import TableBuilder

#: Received envelopes are parsed in batches of up to this many lines or bytes, or sooner when
#: someone looks (a snapshot, the status): each batch costs the table builder a fixed overhead
#: per event type, so big batches parse much faster than small ones.
PARSE_LINES = 16_384
PARSE_BYTES = 32 << 20
_CATEGORY = re.compile(rb'"category"\s*:\s*"([^"\\]*)"')


class Intake:
    """The table builder of one capture, the batches queued for it, and the resume point."""

    def __init__(self, categories: Sequence[str] | None) -> None:
        self.categories = frozenset(categories) if categories else None
        self.builder = TableBuilder()
        self.lock = threading.Lock()
        self.last_id = 0
        self.filtered = 0
        self._queued: list[Batch] = []
        self._queued_lines = self._queued_bytes = 0

    def add(self, batch: Batch) -> None:
        """Queue ``batch`` (filtered), moving the resume point; parse once enough is queued."""
        ids = [i for i in batch.ids or () if i is not None] + batch.skipped
        if ids:
            self.last_id = max(self.last_id, *ids)
        if self.categories is not None and batch.lines:
            batch = self._filter(batch)
        with self.lock:
            self._queued.append(batch)
            self._queued_lines += len(batch.lines)
            self._queued_bytes += sum(map(len, batch.lines))
            if self._queued_lines >= PARSE_LINES or self._queued_bytes >= PARSE_BYTES:
                self.parse()

    def parse(self) -> None:
        """Hand the batches queued since the last call to the builder, as one (hold the lock)."""
        if not self._queued:
            return
        self.builder.add(Batch.concat(self._queued))
        self._queued, self._queued_lines, self._queued_bytes = [], 0, 0

    def known(self) -> tuple[dict[str, pa.Table], np.ndarray, np.ndarray, np.ndarray, int]:
        """Everything received, parsed: the tables, the seqs held, skipped (id-only frames and
        filtered categories) and undecodable, and the number of events."""
        with self.lock:
            self.parse()
            b = self.builder
            errors = np.asarray([e.seq for e in b.errors if e.seq is not None], np.int64)
            return (b.tables(), b.seqs(), np.unique(np.asarray(b.skipped, np.int64)), errors,
                    b.events)

    def held(self) -> int:
        """How many events the builder holds, everything queued included."""
        with self.lock:
            self.parse()
            self.builder.flush()
            return self.builder.events

    def _filter(self, batch: Batch) -> Batch:
        """Only the wanted categories; the seqs of the others count as skipped, not missing."""
        assert self.categories is not None
        keep = [(m := _CATEGORY.search(line)) is None or m.group(1).decode() in self.categories
                for line in batch.lines]
        ids = batch.ids or [None] * len(keep)
        dropped = [i for i, k in zip(ids, keep, strict=True) if not k and i is not None]
        self.filtered += len(keep) - sum(keep)
        return Batch(
            [line for line, k in zip(batch.lines, keep, strict=True) if k],
            [p for p, k in zip(batch.positions, keep, strict=True) if k],
            [i for i, k in zip(ids, keep, strict=True) if k],
            batch.skipped + dropped,
            batch.errors,
            batch.warnings,
        )


__all__ = ["Intake"]
