"""Property tests: envelopes generated from the OpenAPI schemas load, each into its table.

Every generated envelope (hypothesis-jsonschema over the API's own component schemas) must load
without error into the table of its type, with the value of every field it carried in that
field's column, and every field the registry does not know in ``extra``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

import telemetry_lab
from telemetry_lab.schema import CONTEXT, EVENT_TYPES

SPEC = yaml.safe_load((Path(__file__).parent / "data" / "kernel-telemetry-openapi.yml").read_text())
COMPONENTS: dict[str, Any] = SPEC["components"]["schemas"]
INT53 = 2**53


def _inline(node: Any, stack: tuple[str, ...] = ()) -> Any:
    """Refs resolved in place (a recursive one becomes a plain object); integers kept within
    what JSON carries exactly."""
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[1]
            if name in stack:
                return {"type": "object", "maxProperties": 0}
            return _inline(COMPONENTS[name], (*stack, name))
        out = {k: _inline(v, stack) for k, v in node.items() if k != "discriminator"}
        if out.get("type") == "integer":
            out.setdefault("minimum", -INT53)
            out.setdefault("maximum", INT53)
        return out
    if isinstance(node, list):
        return [_inline(v, stack) for v in node]
    return node


EVENT_SCHEMAS = [
    ref["$ref"].rsplit("/", 1)[1] for ref in COMPONENTS["BrowserTelemetryEvent"]["oneOf"]
]


def envelopes() -> st.SearchStrategy[dict[str, Any]]:
    per_type = [
        from_schema(
            {"type": "object", "required": ["seq", "event"], "additionalProperties": False,
             "properties": {"seq": {"type": "integer", "minimum": 1, "maximum": INT53},
                            "event": _inline({"$ref": f"#/components/schemas/{name}"})}},
            codec="utf-8",
        )
        for name in EVENT_SCHEMAS
    ]
    return st.one_of(per_type)


def _expected_column(name: str, kind: str, value: Any) -> Any:
    if kind == "strmap":
        return {k: str(v) for k, v in value.items()}
    if kind == "json":
        return value
    if kind == "float" or kind == "time":
        return float(value)
    return value


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, float):
        return isinstance(actual, float) and (actual == expected or math.isclose(actual, expected))
    if isinstance(expected, dict) and isinstance(actual, list):  # map column
        return dict(actual) == expected
    return bool(actual == expected)


def _check(envelope: dict[str, Any], session: telemetry_lab.Session) -> None:
    event = envelope["event"]
    name = event["type"]
    assert session.errors.empty, session.errors.to_dict("records")
    assert session.types == [name]
    row = session.frame(name).iloc[0].to_dict()
    assert row["seq"] == envelope["seq"]
    assert row["ts"] == pd.Timestamp(event["ts"], unit="us", tz="UTC")
    assert row["category"] == event["category"]
    assert row["source_kind"] == event["source"]["kind"]
    data = event.get("data") or {}
    metadata = event["source"].get("metadata") or {}
    for column, _, meta_key in CONTEXT:
        expected = data.get(column, metadata.get(meta_key) if meta_key else None)
        assert _same(row[column], expected) or (expected is None and pd.isna(row[column]))
    extra = json.loads(row["extra"]) if isinstance(row["extra"], str) else {}
    for spec in EVENT_TYPES[name].fields:
        found = [_dig(data, path) for path in spec.paths]
        value = next((v for v in found if v is not None), None)
        column = f"{spec.name}_raw" if spec.kind == "time" else spec.name
        if value is None:
            assert pd.isna(row[column]) if not isinstance(row[column], list) else True
        elif spec.kind == "json":
            assert json.loads(row[column]) == _drop_nulls(value)
        else:
            assert _same(row[column], _expected_column(spec.name, spec.kind, value)), (
                spec.name, row[column], value)
    known = {c for c, _, _ in CONTEXT} | {p[0] for f in EVENT_TYPES[name].fields for p in f.paths}
    for key, value in data.items():
        if key not in known and value is not None:
            assert f"event.data.{key}" in extra, (key, extra)


def _dig(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = data
    for part in path:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(envelopes())
def test_generated_envelope_loads_into_its_table_with_its_values(envelope: dict[str, Any]) -> None:
    _check(envelope, telemetry_lab.read_ndjson(json.dumps(envelope).encode()))


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(envelopes(), min_size=2, max_size=30, unique_by=lambda e: e["seq"]))
def test_generated_batches_load_every_envelope_once(batch: list[dict[str, Any]]) -> None:
    data = b"\n".join(json.dumps(e).encode() for e in batch)
    session = telemetry_lab.read_ndjson(data)
    assert session.errors.empty, session.errors.to_dict("records")
    assert sorted(session.events["seq"]) == sorted(e["seq"] for e in batch)
    for envelope in batch:
        name = envelope["event"]["type"]
        assert envelope["seq"] in set(session.frame(name)["seq"])
