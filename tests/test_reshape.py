"""reshape.dumps: canonical JSON text of reader values, checked against a walk of the value."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from telemetry_lab.reshape import dumps


def _walked(value: Any) -> Any:
    """The rule spelled out: null members dropped, lists kept whole, timestamps as ISO text."""
    if isinstance(value, dict):
        return {k: _walked(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_walked(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat().replace("+00:00", "Z")
    return value


def _reference(value: Any) -> str:
    return json.dumps(_walked(value), ensure_ascii=False, separators=(",", ":"),
                      sort_keys=True)


# keys and strings full of the characters the null-dropping must not be fooled by
_TRICKY = st.text(alphabet=st.sampled_from(list('ab",:{}[]\\nul é')), max_size=8)
_LEAF = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _TRICKY
         | st.datetimes())
_VALUE = st.recursive(
    _LEAF,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TRICKY, inner, max_size=4)
    | st.tuples(inner, inner),
    max_leaves=20,
)


@settings(max_examples=3000, deadline=None)
@given(_VALUE)
def test_dumps_equals_the_walked_value(value: Any) -> None:
    assert dumps(value) == _reference(value)


def test_dumps_drops_null_members_at_every_depth_and_keeps_null_items() -> None:
    value = {"b": None, "a": {"x": None, "y": [None, 1]}, '":null,"': None, "c": '",":null'}
    assert dumps(value) == '{"a":{"y":[null,1]},"c":"\\",\\":null"}'
