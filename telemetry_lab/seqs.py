"""Seq arithmetic: which seqs of a stream are held, which are missing, and what lies either
side of a gap. Pure, shared by the Session, the table builder, capture and the metrics.

A seq is *present* when its event is held or the server skipped it (an id-only frame); it is
*missing* when it lies between the first and last seq known — present or seen in a frame that
could not be decoded — and is not present.

Examples
--------
>>> starts, ends = gaps(np.array([1, 2, 6]), skipped=np.array([3]), errors=np.array([9]))
>>> starts.tolist(), ends.tolist()
([4, 7], [5, 9])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pyarrow as pa

_EMPTY = np.array([], np.int64)


def sorted_seqs(parts: Iterable[np.ndarray]) -> np.ndarray:
    """The seqs of ``parts`` (one array per table, say) as one sorted int64 array.

    Examples
    --------
    >>> sorted_seqs([np.array([5, 2]), np.array([3])]).tolist()
    [2, 3, 5]
    """
    arrays = [np.asarray(p, np.int64) for p in parts]
    return np.sort(np.concatenate(arrays)) if arrays else _EMPTY


def seq_ts(tables: Mapping[str, pa.Table]) -> tuple[np.ndarray, np.ndarray]:
    """``seq`` and ``ts`` (µs) of every event of ``tables``, ordered by seq.

    Examples
    --------
    >>> t = pa.table({"seq": [4, 1], "ts": pa.array([40, 10], pa.timestamp("us", "UTC"))})
    >>> [a.tolist() for a in seq_ts({"page_load": t})]
    [[1, 4], [10, 40]]
    """
    if not tables:
        return _EMPTY, _EMPTY
    seqs = np.concatenate([t["seq"].to_numpy() for t in tables.values()])
    ts = np.concatenate([t["ts"].cast(pa.int64()).to_numpy() for t in tables.values()])
    order = np.argsort(seqs, kind="stable")
    return seqs[order], ts[order]


def holes(present: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Ranges of seqs in ``lo..hi`` not in sorted ``present``: (starts, ends), inclusive.

    Examples
    --------
    >>> [a.tolist() for a in holes(np.array([3, 4, 7]), 1, 9)]
    [[1, 5, 8], [2, 6, 9]]
    """
    bounds = np.concatenate([[lo - 1], present[(present >= lo) & (present <= hi)], [hi + 1]])
    jumps = np.flatnonzero(np.diff(bounds) > 1)
    return bounds[jumps] + 1, bounds[jumps + 1] - 1


def gaps(events: np.ndarray, *, skipped: np.ndarray, errors: np.ndarray,
         lo: int | None = None, hi: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Missing seq ranges (starts, ends inclusive) given event, skipped and undecodable seqs.

    ``lo``/``hi`` widen the range looked at (default: the first and last seq known), e.g. to
    seq 1 for events older than the first one received. Nothing known: no gaps.

    Sorting, not ``np.unique``/``np.union1d``: numpy's hash-based unique is ~8x slower on a
    million seqs.

    Examples
    --------
    >>> [a.tolist() for a in gaps(np.array([3, 5]), skipped=_EMPTY, errors=_EMPTY, lo=1)]
    [[1, 4], [2, 4]]
    """
    present = sorted_seqs([events, skipped])
    known = np.concatenate([present, np.asarray(errors, np.int64)])
    if not len(known):
        return _EMPTY, _EMPTY
    return holes(present, int(known.min()) if lo is None else lo,
                 int(known.max()) if hi is None else hi)


def neighbours(seqs: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions in sorted ``seqs`` of the events just before and just after each gap.

    ``starts`` are gap starts (no seq of a gap is in ``seqs``); -1 means no event before the
    gap, ``len(seqs)`` none after it.

    Examples
    --------
    >>> [a.tolist() for a in neighbours(np.array([1, 2, 6]), np.array([3, 7]))]
    [[1, 2], [2, 3]]
    """
    after = np.searchsorted(seqs, starts, side="left")
    return after - 1, after
