"""Body types: which annotations are bodies, their JSON Schemas and their converters.

Supported: ``msgspec.Struct``, dataclasses, ``TypedDict``, ``NamedTuple``, pydantic
models (when pydantic is installed) and ``dict``. The schema is computed once at
registration and validated by the Rust core; the converter turns the validated
value into the annotated type for the handler.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, get_origin, is_typeddict

import msgspec

try:  # pydantic is optional
    from pydantic import BaseModel as _PydanticModel
except ImportError:  # pragma: no cover - depends on the environment
    _PydanticModel = None

Converter = Callable[[Any], Any]


def is_pydantic_model(tp: Any) -> bool:
    return _PydanticModel is not None and isinstance(tp, type) and issubclass(tp, _PydanticModel)


def is_namedtuple(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, tuple) and hasattr(tp, "_fields")


def is_body_type(tp: Any) -> bool:
    """Whether an annotation describes a structured body (rather than a scalar parameter)."""
    if tp is dict or get_origin(tp) is dict:
        return True
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return True
    return dataclasses.is_dataclass(tp) or is_typeddict(tp) or is_namedtuple(tp) or is_pydantic_model(tp)


def _inline_root(schema: dict[str, Any]) -> dict[str, Any]:
    """msgspec puts the root under ``$defs`` and points at it; put it at the top, keep the rest."""
    ref = schema.get("$ref")
    defs = dict(schema.get("$defs", {}))
    if not isinstance(ref, str) or not ref.startswith("#/$defs/"):
        return schema
    root = dict(defs.get(ref.removeprefix("#/$defs/"), {}))
    if defs:
        root["$defs"] = defs
    return root


def body_schema(tp: Any) -> dict[str, Any]:
    """The JSON Schema of a body type."""
    if tp is dict or get_origin(tp) is dict:
        return {"type": "object"}
    if is_pydantic_model(tp):
        return tp.model_json_schema()
    return _inline_root(msgspec.json.schema(tp))


def body_converter(tp: Any) -> Converter | None:
    """How to build the handler's argument from the validated body (``None``: pass it as is)."""
    if tp is dict or get_origin(tp) is dict:
        return None
    if is_pydantic_model(tp):
        return tp.model_validate

    def convert(value: Any) -> Any:
        return msgspec.convert(value, tp, strict=False)

    return convert
