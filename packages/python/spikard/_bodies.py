"""Structured types in and out: body annotations, their schemas and converters, and results.

In: ``msgspec.Struct``, dataclasses, ``TypedDict``, ``NamedTuple``, pydantic models
(when pydantic is installed) and ``dict`` are bodies. The schema is computed once at
registration and validated by the Rust core; the converter turns the validated value
into the annotated type for the handler.

Out: the binding converts ``dict``/``list``/``tuple``/``str``/``int``/``float``/``bool``/
``None`` itself; anything else a handler returns (structs, dataclasses, NamedTuples,
models, UUIDs, dates, enums, decimals, sets) goes through :func:`to_builtins`, which the
package registers with the binding at import.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from typing import Any, get_origin, is_typeddict

import msgspec

Converter = Callable[[Any], Any]


def pydantic_base() -> Any:
    """pydantic's ``BaseModel`` when the application imported pydantic (a value or type can
    only be a pydantic model then), else ``None``: pydantic is optional and never imported
    here, which keeps it out of the memory of apps that do not use it."""
    module = sys.modules.get("pydantic")
    return getattr(module, "BaseModel", None)


def is_pydantic_model(tp: Any) -> bool:
    base = pydantic_base()
    return base is not None and isinstance(tp, type) and issubclass(tp, base)


def is_pydantic_value(value: Any) -> bool:
    base = pydantic_base()
    return base is not None and isinstance(value, base)


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
        schema: dict[str, Any] = tp.model_json_schema()
        return schema
    return _inline_root(msgspec.json.schema(tp))


def body_converter(tp: Any) -> Converter | None:
    """How to build the handler's argument from the validated body (``None``: pass it as is)."""
    if tp is dict or get_origin(tp) is dict:
        return None
    if is_pydantic_model(tp):
        validate: Converter = tp.model_validate
        return validate

    def convert(value: Any) -> Any:
        return msgspec.convert(value, tp, strict=False)

    return convert


def _encode_hook(value: Any) -> Any:
    if is_pydantic_value(value):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot serialise a value of type {type(value).__name__} to JSON")


def to_builtins(value: Any) -> Any:
    """``value`` as JSON-compatible builtins."""
    if is_pydantic_value(value):
        return value.model_dump(mode="json")
    return msgspec.to_builtins(value, enc_hook=_encode_hook)


def encode_json(value: Any) -> bytes:
    """``value`` as JSON bytes (used by the test client)."""
    return msgspec.json.encode(value, enc_hook=to_builtins)
