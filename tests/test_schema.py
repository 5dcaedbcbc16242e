"""The registry against its oracles: the kernel==0.131.0 SDK models and the OpenAPI file."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import yaml

from telemetry_lab.schema import CONTEXT, EVENT_TYPES, KINDS, SCHEMAS, epoch_to_timestamp

sdk = pytest.importorskip("kernel.types.browsers.browser_telemetry_event")
from pydantic import BaseModel  # noqa: E402 (pydantic comes with the SDK)

CONTEXT_NAMES = {name for name, _, _ in CONTEXT}


def _strip_optional(annotation: Any) -> Any:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) is typing.Union and len(args) == 1:
        return args[0]
    return annotation


def _arrow_type(annotation: Any) -> pa.DataType:
    """The column type the registry should give an SDK field annotation."""
    annotation = _strip_optional(annotation)
    origin = typing.get_origin(annotation)
    if origin is typing.Literal or annotation is str:
        return pa.string()
    if annotation is bool:
        return pa.bool_()
    if annotation is int:
        return pa.int64()
    if annotation is float:
        return pa.float64()
    if origin is list:
        item = typing.get_args(annotation)[0]
        if item is str or typing.get_origin(item) is typing.Literal:
            return KINDS["strlist"]
        return KINDS["json"]
    if origin is dict:
        return KINDS["strmap"]
    return KINDS["json"]  # nested models such as the call stack: JSON text


def _data_models(event_model: type[BaseModel]) -> list[type[BaseModel]]:
    annotation = _strip_optional(event_model.model_fields["data"].annotation)
    variants = typing.get_args(annotation) if typing.get_origin(annotation) is typing.Union \
        else (annotation,)
    return [v for v in variants if isinstance(v, type) and issubclass(v, BaseModel)]


def sdk_columns() -> dict[str, dict[str, pa.DataType]]:
    """Per SDK event type: every data field as the column it must have, with its type."""
    union = typing.get_args(typing.get_args(sdk.BrowserTelemetryEvent)[0])
    out: dict[str, dict[str, pa.DataType]] = {}
    for model in union:
        name = typing.get_args(model.model_fields["type"].annotation)[0]
        columns: dict[str, pa.DataType] = {}
        for data_model in _data_models(model):
            for key, field in data_model.model_fields.items():
                inner = _strip_optional(field.annotation)
                if isinstance(inner, type) and issubclass(inner, BaseModel) and key.endswith(
                        "_details"):
                    for sub, subfield in inner.model_fields.items():
                        column = f"{key.removesuffix('_details')}_{sub}"
                        columns[column] = _arrow_type(subfield.annotation)
                else:
                    columns[key] = _arrow_type(field.annotation)
        out[name] = columns
    return out


SDK = sdk_columns()


def test_the_registry_knows_every_sdk_type_with_its_category() -> None:
    union = typing.get_args(typing.get_args(sdk.BrowserTelemetryEvent)[0])
    categories = {typing.get_args(m.model_fields["type"].annotation)[0]:
                  typing.get_args(m.model_fields["category"].annotation)[0] for m in union}
    assert len(categories) == 36
    assert {name: et.category for name, et in EVENT_TYPES.items()} == categories


@pytest.mark.parametrize("name", sorted(SDK))
def test_every_sdk_field_has_a_column_of_the_right_type(name: str) -> None:
    schema = SCHEMAS[name]
    for column, expected in SDK[name].items():
        assert column in schema.names, f"{name}.{column} has no column"
        actual = schema.field(column).type
        if column in CONTEXT_NAMES:
            continue  # context columns are shared across types
        if actual == KINDS["time"]:
            # performance-timeline times: normalised timestamp, raw number alongside
            assert expected == pa.float64()
            assert schema.field(f"{column}_raw").type == pa.float64()
        elif name == "cdp_command" and expected == pa.int64() and actual == pa.float64():
            continue  # a union of command variants: int in one, float in another
        else:
            assert actual == expected, (name, column, actual, expected)


def test_no_column_is_invented() -> None:
    for name, schema in SCHEMAS.items():
        own = {f.name.removesuffix("_raw") for f in schema} - {
            "seq", "ts", "type", "category", "source_kind", "source_event", "truncated", "extra",
            *CONTEXT_NAMES}
        assert own <= set(SDK[name]), (name, own - set(SDK[name]))


def test_openapi_types_are_all_registered() -> None:
    spec = yaml.safe_load((Path(__file__).parent / "data" / "kernel-telemetry-openapi.yml")
                          .read_text())
    mapping = spec["components"]["schemas"]["BrowserTelemetryEvent"]["discriminator"]["mapping"]
    assert len(mapping) == 30
    assert set(mapping) <= set(EVENT_TYPES)


def test_epoch_unit_detection_rejects_what_is_not_a_time() -> None:
    values = pa.array([None, -5.0, 0.0, 12.5, 1e300, 1796014657.25])
    out = epoch_to_timestamp(values)
    assert out.to_pylist()[:5] == [None] * 5
    assert out[5].value == 1796014657250000
