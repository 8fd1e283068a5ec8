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

import contextlib
import dataclasses
import enum
import sys
from collections.abc import Callable
from typing import Any, Literal, get_args, get_origin, get_type_hints, is_typeddict

import msgspec
import msgspec.inspect
import msgspec.structs

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
    return _declared_order(_inline_root(msgspec.json.schema(tp)), tp)


def _declared_order(schema: dict[str, Any], tp: Any) -> dict[str, Any]:
    """msgspec sorts the values of ``Enum`` and ``Literal`` schemas; put them back in the
    order the type declares them (as a query parameter's schema has them, so validation
    messages list them the same way) and give them their JSON ``type``."""
    declared: dict[tuple[str, ...], list[Any]] = {}
    _collect_choices(tp, declared, set())
    if declared:
        _reorder(schema, declared)
    return schema


def _choice_key(values: list[Any]) -> tuple[str, ...]:
    return tuple(sorted(repr(v) for v in values))


def _collect_choices(tp: Any, out: dict[tuple[str, ...], list[Any]], seen: set[int]) -> None:
    """The value lists of the ``Enum`` and ``Literal`` types inside ``tp``, as declared."""
    if id(tp) in seen:
        return
    seen.add(id(tp))
    values: list[Any] | None = None
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        values = [m.value for m in tp]
    elif get_origin(tp) is Literal:
        values = list(get_args(tp))
    if values is not None:
        out.setdefault(_choice_key(values), values)
        return
    nested: list[Any] = list(get_args(tp))
    if isinstance(tp, type) and get_origin(tp) is None and is_body_type(tp) and tp is not dict:
        with contextlib.suppress(NameError, TypeError):  # unresolvable annotations: msgspec's order stays
            nested += list(get_type_hints(tp).values())
    for child in nested:
        _collect_choices(child, out, seen)


def _children(info: Any) -> list[Any]:
    """The nested types of a ``msgspec.inspect`` type."""
    children: list[Any] = [getattr(info, attr, None) for attr in ("item_type", "key_type", "value_type")]
    children += list(getattr(info, "item_types", ()) or ())
    children += list(getattr(info, "types", ()) or ())
    children += [f.type for f in getattr(info, "fields", ()) or ()]
    return [c for c in children if isinstance(c, msgspec.inspect.Type)]


def _reorder(schema: Any, declared: dict[tuple[str, ...], list[Any]]) -> None:
    if isinstance(schema, list):
        for item in schema:
            _reorder(item, declared)
        return
    if not isinstance(schema, dict):
        return
    values = schema.get("enum")
    if isinstance(values, list):
        order = declared.get(_choice_key(values))
        if order is not None:
            schema["enum"] = list(order)
        if "type" not in schema:
            kinds = {type(v) for v in schema["enum"]}
            if kinds == {str}:
                schema["type"] = "string"
            elif kinds == {int}:
                schema["type"] = "integer"
    for key, value in schema.items():
        if key not in ("enum", "const", "default", "examples"):
            _reorder(value, declared)


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
    """``value`` as JSON-compatible builtins, every field included: a ``msgspec.Struct``
    declared with ``omit_defaults=True`` (anywhere inside ``value``) keeps the fields equal
    to their default, as a dataclass, ``NamedTuple``, ``TypedDict`` or pydantic model does.
    Fields holding ``msgspec.UNSET`` are left out, as msgspec leaves them out.
    A response holds what the handler returned; omitting defaults is a storage format's
    economy, not an API's."""
    if is_pydantic_value(value):
        return value.model_dump(mode="json")
    cls = type(value)
    may_omit = _MAY_OMIT.get(cls)
    if may_omit is None:
        may_omit = _MAY_OMIT[cls] = _may_omit(cls)
    if may_omit:
        value = _every_field(value)
    return msgspec.to_builtins(value, enc_hook=_encode_hook)


#: Per class: whether its values may hold a struct omitting its defaults.
_MAY_OMIT: dict[type, bool] = {}


def _may_omit(cls: type) -> bool:
    """Whether a value of ``cls`` may hold a struct omitting its defaults (one of an
    ``omit_defaults`` class, or anywhere its annotations do not pin the type)."""
    if not (isinstance(cls, type) and (issubclass(cls, msgspec.Struct) or dataclasses.is_dataclass(cls))):
        return False
    try:
        info = msgspec.inspect.type_info(cls)
    except (TypeError, ValueError, NameError):  # unresolvable annotations: look at the values
        return True
    return _omits(info, set())


def _omits(info: Any, seen: set[int]) -> bool:
    if id(info) in seen:
        return False
    seen.add(id(info))
    if isinstance(info, (msgspec.inspect.AnyType, msgspec.inspect.CustomType)):
        return True
    if isinstance(info, msgspec.inspect.StructType) and info.cls.__struct_config__.omit_defaults:
        return True
    return any(_omits(c, seen) for c in _children(info))


def _every_field(value: Any) -> Any:
    """``value`` with each struct as a dict (or list, ``array_like``) of all its fields."""
    if isinstance(value, msgspec.Struct):
        config = value.__struct_config__
        fields = msgspec.structs.fields(value)
        if config.array_like:
            items = [_every_field(getattr(value, f.name)) for f in fields]
            return [config.tag, *items] if config.tag_field is not None else items
        out: dict[str, Any] = {}
        if config.tag_field is not None:
            out[config.tag_field] = config.tag
        for f in fields:
            field_value = getattr(value, f.name)
            if field_value is not msgspec.UNSET:  # UNSET is "absent", never a value to send
                out[f.encode_name] = _every_field(field_value)
        return out
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _every_field(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: _every_field(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_every_field(v) for v in value]
    return value


def encode_json(value: Any) -> bytes:
    """``value`` as JSON bytes (used by the test client)."""
    return msgspec.json.encode(value, enc_hook=to_builtins)
