"""Canonical JSON text: dumps against a walk of the value, arrow_dumps against dumps."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.json as pj
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from telemetry_lab.jsontext import MAX_FIELDS, arrow_dumps, dumps


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


# Arrow arrays: a type first (as the JSON reader infers them), then values of that type.
_STRING = st.text(alphabet=st.sampled_from([*'ab",:{}[]\\é\n\t\x01\x1f\u2028', "😀"]),
                  max_size=6)
_LEAF_TYPE = st.sampled_from([pa.string(), pa.int64(), pa.bool_(), pa.float64(),
                              pa.timestamp("s"), pa.null()])
_TYPE = st.recursive(
    _LEAF_TYPE,
    lambda inner: inner.map(pa.list_)
    | st.lists(st.tuples(_STRING, inner), max_size=4, unique_by=lambda f: f[0]).map(pa.struct),
    max_leaves=8,
)


def _values(dtype: pa.DataType) -> SearchStrategy[Any]:
    if pa.types.is_struct(dtype):
        value: SearchStrategy[Any] = st.fixed_dictionaries(
            {f.name: _values(f.type) for f in dtype})
    elif pa.types.is_list(dtype):
        value = st.lists(_values(dtype.value_type), max_size=3)
    else:
        value = {
            "string": _STRING,
            "int64": st.integers(-(2**63), 2**63 - 1),
            "bool": st.booleans(),
            "double": st.floats(allow_nan=False, allow_infinity=False),
            "timestamp[s]": st.datetimes(),
            "null": st.none(),
        }[str(dtype)]
    return st.none() | value


@st.composite
def _arrays(draw: st.DrawFn) -> pa.Array:
    dtype = draw(_TYPE)
    array = pa.array(draw(st.lists(_values(dtype), max_size=6)), type=dtype)
    if len(array) > 1 and draw(st.booleans()):  # a slice: offsets that do not start at 0
        array = array.slice(1, len(array) - draw(st.integers(1, len(array) - 1)))
    return array


def _row_by_row(array: pa.Array) -> list[str | None]:
    return [None if value is None else dumps(value) for value in array.to_pylist()]


@settings(max_examples=300, deadline=None)
@given(_arrays())
def test_arrow_dumps_equals_dumps_row_by_row(array: pa.Array) -> None:
    assert arrow_dumps(array).to_pylist() == _row_by_row(array)


def test_arrow_dumps_on_what_the_reader_infers() -> None:
    lines = [
        {"v": {"callFrames": [{"url": "a.js", "lineNumber": 3, "functionName": ""}]}},
        {"v": {"callFrames": [], "description": 'Error: "x"\n  at f'}},
        {"v": None},
        {"v": {"callFrames": [None, {"url": "b", "columnNumber": 0.5}],
               "at": "2026-12-01T10:00:00Z"}},
        {"v": {}},
    ]
    data = "\n".join(json.dumps(line) for line in lines).encode()
    column = pj.read_json(pa.BufferReader(data))["v"]
    assert arrow_dumps(column).to_pylist() == _row_by_row(column.combine_chunks())
    assert arrow_dumps(column)[0].as_py() == (
        '{"callFrames":[{"functionName":"","lineNumber":3,"url":"a.js"}]}')


def test_arrow_dumps_goes_row_by_row_past_max_fields() -> None:
    wide = pa.array([{f"k{i}": i for i in range(MAX_FIELDS + 1)}, None])
    assert arrow_dumps(wide).to_pylist() == _row_by_row(wide)
