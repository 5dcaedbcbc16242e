"""Property tests of CLS: non-negative, at most the plain sum, order-free, equal to web-vitals."""

from __future__ import annotations

import random

import pytest
from envelopes import Recording
from hypothesis import given, settings
from hypothesis import strategies as st

from telemetry_lab.metrics.vitals import layout_shifts, vitals

shift = st.tuples(
    st.integers(min_value=0, max_value=15_000),  # timeline ms after navigation start
    st.floats(min_value=0.0, max_value=1.0, allow_nan=False),
    st.booleans(),  # had_recent_input
    st.booleans(),  # from an iframe
)


def web_vitals_cls(entries: list[tuple[int, float]]) -> float:
    """web-vitals 6 onCLS session windows, entry by entry (the reference semantics)."""
    best = window = 0.0
    first = last = None
    for at, value in sorted(entries, key=lambda e: e[0]):
        if first is not None and last is not None and at - last < 1000 and at - first < 5000:
            window += value
        else:
            window, first = value, at
        last = at
        best = max(best, window)
    return best


def recording(shifts: list[tuple[int, float, bool, bool]], order: int) -> Recording:
    rec = Recording()
    rec.navigate(0, 1, request_ms=0)
    for at, value, recent, iframe in shifts:
        rec.shift(at, value, recent=recent, frame="IFRAME" if iframe else None)
    head, body = rec.envelopes[:2], rec.envelopes[2:]
    random.Random(order).shuffle(body)
    rec.envelopes = head + body
    return rec


@settings(max_examples=40, deadline=None)
@given(shifts=st.lists(shift, max_size=25), order=st.integers(0, 2**16))
def test_cls_properties(shifts: list[tuple[int, float, bool, bool]], order: int) -> None:
    counted = [(at, value) for at, value, recent, iframe in shifts if not recent and not iframe]
    session = recording(shifts, order).session()
    cls = float(vitals(session)["cls"].iloc[0])
    assert cls >= 0
    assert cls <= sum(value for _, value in counted) + 1e-12
    assert cls == pytest.approx(web_vitals_cls(counted), abs=1e-9)
    in_order = float(vitals(recording(shifts, 0).session())["cls"].iloc[0])
    assert cls == pytest.approx(in_order, abs=1e-12)
    audit = layout_shifts(session)
    assert int(audit["counted"].sum()) == len(counted)
    assert (audit["window_sum"].dropna() >= 0).all()
