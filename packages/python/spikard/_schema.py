"""Annotations to JSON Schemas (and converters), decided once at registration.

``schema_for(int)`` is ``{"type": "integer"}``; ``Optional``/``X | None`` marks the
parameter optional; ``list[X]``, ``Enum``, ``Literal``, ``UUID``, ``date``,
``datetime``, ``time`` and ``Decimal`` map to the schemas the Rust core validates.
A converter turns the validated JSON value into the annotated Python type when
the two differ (an ``Enum`` member, a ``UUID``, a ``datetime``...).
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import types
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from spikard import _bodies
from spikard.exceptions import ConfigError
from spikard.params import Param
from spikard.uploads import UploadFile

Converter = Callable[[Any], Any]

_SEQUENCES = (list, set, frozenset, tuple, Sequence)


@dataclass
class TypeInfo:
    """What an annotation means for a parameter."""

    schema: dict[str, Any]
    converter: Converter | None = None
    optional: bool = False
    is_array: bool = False
    marker: Param | None = None
    inner: Any = None


def _parse_datetime(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)


def _parse_time(value: str) -> dt.time:
    return dt.time.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)


def _scalar(tp: Any) -> tuple[dict[str, Any], Converter | None] | None:
    if tp is bool:
        return {"type": "boolean"}, None
    if tp is int:
        return {"type": "integer"}, None
    if tp is float:
        return {"type": "number"}, None
    if tp is str:
        return {"type": "string"}, None
    if tp is uuid.UUID:
        return {"type": "string", "format": "uuid"}, uuid.UUID
    if tp is dt.datetime:
        return {"type": "string", "format": "date-time"}, _parse_datetime
    if tp is dt.date:
        return {"type": "string", "format": "date"}, dt.date.fromisoformat
    if tp is dt.time:
        return {"type": "string", "format": "time"}, _parse_time
    if tp is decimal.Decimal:
        return {"type": "number"}, lambda v: decimal.Decimal(str(v))
    if tp is UploadFile:
        return {"type": "string", "format": "binary"}, None
    if tp is Any or tp is object:
        return {}, None
    return None


def _enum_schema(values: list[Any]) -> dict[str, Any]:
    schema: dict[str, Any] = {"enum": values}
    if all(isinstance(v, str) for v in values):
        schema["type"] = "string"
    elif all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        schema["type"] = "integer"
    return schema


def _split_optional(tp: Any) -> tuple[Any, bool]:
    origin = get_origin(tp)
    if origin is Union or origin is types.UnionType:
        args = [a for a in get_args(tp) if a is not type(None)]
        optional = len(args) != len(get_args(tp))
        if len(args) == 1:
            return args[0], optional
        return Union[tuple(args)], optional  # noqa: UP007 - rebuilding a Union from its parts
    return tp, False


def type_info(annotation: Any) -> TypeInfo:
    """Schema, converter and optionality of an annotation (``Annotated`` markers collected)."""
    marker: Param | None = None
    if get_origin(annotation) is Annotated:
        base, *extras = get_args(annotation)
        marker = next((e for e in extras if isinstance(e, Param)), None)
        annotation = base
    inner, optional = _split_optional(annotation)
    schema, converter, is_array = schema_for(inner)
    return TypeInfo(schema, converter, optional, is_array, marker, inner)


def schema_for(tp: Any) -> tuple[dict[str, Any], Converter | None, bool]:
    """``(schema, converter, is_array)`` of a type without ``Optional``."""
    scalar = _scalar(tp)
    if scalar is not None:
        return scalar[0], scalar[1], False
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _enum_schema([m.value for m in tp]), tp, False
    origin = get_origin(tp)
    if origin is Literal:
        return _enum_schema(list(get_args(tp))), None, False
    if origin is Union or origin is types.UnionType:
        branches = [type_info(a) for a in get_args(tp)]
        return {"anyOf": [b.schema for b in branches]}, None, False
    if tp in _SEQUENCES or origin in _SEQUENCES:
        args = [a for a in get_args(tp) if a is not Ellipsis]
        item = type_info(args[0]) if args else TypeInfo({})
        item_convert = item.converter
        converter = (lambda vs: [item_convert(v) for v in vs]) if item_convert else None
        return {"type": "array", "items": item.schema}, converter, True
    if _bodies.is_body_type(tp):
        return _bodies.body_schema(tp), _bodies.body_converter(tp), False
    raise ConfigError(f"unsupported parameter type {tp!r}")


def apply_constraints(schema: dict[str, Any], marker: Param | None, is_array: bool) -> dict[str, Any]:
    """Add a marker's constraints (and description) to a schema."""
    if marker is None:
        return schema
    out = dict(schema)
    keywords = {
        "exclusiveMinimum": marker.gt,
        "minimum": marker.ge,
        "exclusiveMaximum": marker.lt,
        "maximum": marker.le,
        "minItems" if is_array else "minLength": marker.min_length,
        "maxItems" if is_array else "maxLength": marker.max_length,
        "pattern": marker.pattern,
        "description": marker.description,
    }
    out.update({k: v for k, v in keywords.items() if v is not None})
    return out
