"""Seq arithmetic: which seqs of a stream are missing. Pure, shared by the Session and capture.

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

import numpy as np


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


def gaps(events: np.ndarray, *, skipped: np.ndarray, errors: np.ndarray
         ) -> tuple[np.ndarray, np.ndarray]:
    """Missing seq ranges (starts, ends inclusive) given event, skipped and undecodable seqs.

    Sorting, not ``np.unique``/``np.union1d``: numpy's hash-based unique is ~8x slower on a
    million seqs.
    """
    present = np.sort(np.concatenate([events, skipped]).astype(np.int64))
    known = np.concatenate([present, np.asarray(errors, np.int64)])
    if not len(known):
        empty = np.array([], np.int64)
        return empty, empty
    return holes(present, int(known.min()), int(known.max()))
