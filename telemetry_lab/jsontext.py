"""Canonical JSON text of free-form values, from Python objects or, column-wise, from Arrow arrays.

Free-form objects (stack traces, unknown fields, ``data`` of an unregistered type) are kept as
JSON text in one canonical form, the same whatever batch a row was parsed in: keys sorted, no
spaces, non-ASCII kept, members whose value is null left out (the JSON reader gives null for a key
absent from a row). :func:`dumps` writes it for a Python value; :func:`arrow_dumps` writes the
same text for every row of an Arrow array with whole-column string kernels, so parsing a file
runs no Python per row: only strings that need escaping, floats and timestamps (whose Python
spelling Arrow does not share) are converted value by value.

Examples
--------
>>> import pyarrow as pa
>>> frames = pa.array([{"url": "a.js", "line": 3, "col": None}, None, {"url": 'say "hi"'}])
>>> arrow_dumps(frames).to_pylist()
['{"line":3,"url":"a.js"}', None, '{"url":"say \\\\"hi\\\\""}']
>>> dumps({"url": "a.js", "line": 3, "col": None})
'{"line":3,"url":"a.js"}'
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def _iso(value: Any) -> str:
    """A value the JSON encoder does not know: the reader infers ISO-8601 strings as
    timestamps, which go back to ISO-8601 text."""
    if isinstance(value, datetime | date):
        return value.isoformat().replace("+00:00", "Z")
    raise TypeError(f"{type(value).__name__} is not JSON data")


#: A member whose value is null, after the first of its object (``,"key":null``) ...
_NULL_MEMBER = re.compile(r',"(?:[^"\\]|\\.)*":null(?=[,}])')
#: ... and as the first (``{"key":null,`` or ``{"key":null}``). Outside strings only: inside
#: one, json.dumps escapes every quote, so ``,"`` and ``{"`` cannot occur there.
_NULL_FIRST = re.compile(r'\{"(?:[^"\\]|\\.)*":null(?:,|(?=\}))')


def dumps(value: Any) -> str:
    """Canonical JSON text of a Python value (see the module's docstring).

    Examples
    --------
    >>> dumps({"b": [1, None], "a": {"x": None}})
    '{"a":{},"b":[1,null]}'
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True,
                      default=_iso)
    if ":null" in text:
        text = _NULL_FIRST.sub("{", _NULL_MEMBER.sub("", text))
    return text


#: Above this many fields in one type, a column is converted row by row: a kernel call per
#: field would cost more than the rows (an object with thousands of keys).
MAX_FIELDS = 256
#: Characters JSON strings escape.
_NEEDS_ESCAPE = r'[\x00-\x1f"\\]'


def _fields(dtype: pa.DataType) -> int:
    """How many fields and list levels ``dtype`` holds, all levels counted (no recursion)."""
    count, stack = 0, [dtype]
    while stack:
        node = stack.pop()
        count += 1
        stack += [node.field(i).type for i in range(node.num_fields)]
    return count


def _by_row(array: pa.Array) -> pa.Array:
    """Text of each non-null value of ``array`` by :func:`dumps`, row by row."""
    valid = np.flatnonzero(array.is_valid().to_numpy(zero_copy_only=False))
    texts = np.full(len(array), None, dtype=object)
    texts[valid] = [dumps(v) for v in array.take(valid).to_pylist()]
    return pa.array(texts, pa.string())


def _wrap(before: str, text: pa.Array, after: str) -> pa.Array:
    return pc.binary_join_element_wise(before, text, after, "")


def _string(array: pa.Array) -> pa.Array:
    quoted = _wrap('"', array, '"')
    needs = pc.match_substring_regex(array, _NEEDS_ESCAPE).fill_null(False)
    if not pc.any(needs).as_py():
        return quoted
    rows = pc.indices_nonzero(needs)
    escaped = [json.dumps(s, ensure_ascii=False) for s in array.take(rows).to_pylist()]
    return pc.replace_with_mask(quoted, needs, pa.array(escaped, pa.string()))


def _list(array: pa.Array) -> pa.Array:
    offsets = array.offsets
    first, last = offsets[0].as_py(), offsets[-1].as_py()
    items = _text(array.values.slice(first, last - first)).fill_null("null")
    starts = pc.subtract(offsets, first)
    lists = pa.ListArray.from_arrays(starts, items, mask=array.is_null())
    return _wrap("[", pc.binary_join(lists, ","), "]")


def _struct(array: pa.Array) -> pa.Array:
    children = dict(zip((f.name for f in array.type), array.flatten(), strict=True))
    # each member with its leading comma, null when its value is; the first comma is cut after
    # (joining with null_handling="skip" drops rows whose members are all null, pyarrow 26)
    members = [
        _wrap("," + json.dumps(name, ensure_ascii=False) + ":", _text(child), "")
        for name, child in sorted(children.items())
        if not pa.types.is_null(child.type) and child.null_count < len(child)
    ]
    if members:
        joined = pc.binary_join_element_wise(*members, "", null_handling="replace",
                                             null_replacement="")
        inner = pc.utf8_slice_codeunits(joined, 1)
    else:
        inner = pa.array([""] * len(array), pa.string())
    return pc.if_else(array.is_valid(), _wrap("{", inner, "}"), pa.scalar(None, pa.string()))


def _text(array: pa.Array) -> pa.Array:
    """JSON text of each value of ``array`` (null where the value is null)."""
    dtype = array.type
    if pa.types.is_null(dtype):
        return pa.nulls(len(array), pa.string())
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return _string(array.cast(pa.string()))
    if pa.types.is_integer(dtype) or pa.types.is_boolean(dtype):
        return array.cast(pa.string())
    if pa.types.is_struct(dtype):
        return _struct(array)
    if pa.types.is_list(dtype):
        return _list(array)
    return _by_row(array)  # floats and timestamps: Python spells them its own way


def arrow_dumps(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    """:func:`dumps` of each non-null value of ``array``; null stays null.

    Objects with up to :data:`MAX_FIELDS` fields are written with Arrow's string kernels;
    wider ones row by row.
    """
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if _fields(array.type) > MAX_FIELDS:
        return _by_row(array)
    return _text(array)


__all__ = ["MAX_FIELDS", "arrow_dumps", "dumps"]
