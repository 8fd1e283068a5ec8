"""Turning handler results that are not builtins into builtins (registered with the binding).

The binding converts ``dict``/``list``/``tuple``/``str``/``int``/``float``/``bool``/``None``
itself; anything else (msgspec structs, dataclasses, NamedTuples, pydantic models,
UUIDs, dates, enums, decimals, sets) comes here once per value.
"""

from __future__ import annotations

from typing import Any

import msgspec

try:  # pydantic is optional
    from pydantic import BaseModel as _PydanticModel
except ImportError:  # pragma: no cover - depends on the environment
    _PydanticModel = None


def _hook(value: Any) -> Any:
    if _PydanticModel is not None and isinstance(value, _PydanticModel):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot serialise a value of type {type(value).__name__} to JSON")


def to_builtins(value: Any) -> Any:
    """``value`` as JSON-compatible builtins."""
    if _PydanticModel is not None and isinstance(value, _PydanticModel):
        return value.model_dump(mode="json")
    return msgspec.to_builtins(value, enc_hook=_hook)


def encode_json(value: Any) -> bytes:
    """``value`` as JSON bytes (used by the test client)."""
    return msgspec.json.encode(value, enc_hook=to_builtins)
