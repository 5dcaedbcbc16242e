"""Seq arithmetic: gaps between known seqs."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from telemetry_lab.seqs import gaps, holes, neighbours, sorted_seqs

seq_sets = st.sets(st.integers(1, 300), max_size=60)


@given(seq_sets, seq_sets, seq_sets)
def test_gaps_are_exactly_the_unknown_seqs_between_the_first_and_last_known(
    events: set[int], skipped: set[int], errors: set[int]
) -> None:
    starts, ends = gaps(np.array(sorted(events), np.int64), skipped=np.array(sorted(skipped)),
                        errors=np.array(sorted(errors), np.int64))
    missing = {s for a, b in zip(starts.tolist(), ends.tolist(), strict=True)
               for s in range(a, b + 1)}
    known = events | skipped | errors
    expected = set(range(min(known), max(known) + 1)) - events - skipped if known else set()
    assert missing == expected
    assert (starts <= ends).all() and (starts[1:] > ends[:-1] + 1).all()


def test_holes_within_bounds() -> None:
    assert [a.tolist() for a in holes(np.array([5]), 5, 5)] == [[], []]
    assert [a.tolist() for a in holes(np.array([], np.int64), 3, 4)] == [[3], [4]]


@given(st.sets(st.integers(1, 300), min_size=1, max_size=60), st.integers(1, 10),
       st.integers(300, 310))
def test_gaps_widened_to_lo_and_hi_cover_every_absent_seq_in_that_range(
    events: set[int], lo: int, hi: int
) -> None:
    none = np.array([], np.int64)
    starts, ends = gaps(np.array(sorted(events), np.int64), skipped=none, errors=none,
                        lo=lo, hi=hi)
    missing = {s for a, b in zip(starts.tolist(), ends.tolist(), strict=True)
               for s in range(a, b + 1)}
    assert missing == set(range(lo, hi + 1)) - events


@given(seq_sets)
def test_neighbours_are_the_events_either_side_of_each_gap(events: set[int]) -> None:
    seqs = sorted_seqs([np.array(sorted(events, reverse=True), np.int64)])
    assert seqs.tolist() == sorted(events)
    starts, ends = gaps(seqs, skipped=seqs[:0], errors=np.array([301]))
    before, after = neighbours(seqs, starts)
    for b, a, start, end in zip(before, after, starts, ends, strict=True):
        assert b == -1 or seqs[b] == start - 1
        assert a == len(seqs) or seqs[a] == end + 1
    assert (after - before == 1).all()
