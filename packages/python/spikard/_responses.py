"""Response models: what a handler returns is validated against its model and
filtered to the model's fields before it is sent.

::

    class UserOut(msgspec.Struct):
        id: int
        name: str

    @app.get("/users/{user_id:int}")
    def get_user(user_id: int) -> UserOut:
        return {"id": user_id, "name": "Ada", "password_hash": "..."}  # sent: {"id": ..., "name": "Ada"}

``response_model=`` may also be a JSON Schema (a ``dict``): the core checks the result
against it in Rust, as it does for every binding (``RouteDecl.response_model``): fields
the schema does not declare are dropped, a result breaking it is a logged 500, a response
the handler builds with another status than 200 is sent as built. Nothing is wrapped in
Python and nothing is converted (the schema checks JSON as it is).

A model *type* stays with its library, which converts as well as checks: it reads
objects through their attributes (ORM rows), converts laxly (``"3"`` for an ``int``),
writes values in their canonical form (datetimes), runs the model's own validators and
serialisers, and refuses at registration what it cannot convert. A JSON Schema check in
the core cannot do those, so checking the converted result there again would only cost.

A route has a response model when ``response_model=`` is given, or else when the
handler's return annotation names a structured type: a ``msgspec.Struct``, dataclass,
``TypedDict``, ``NamedTuple`` or pydantic model, alone or inside ``list``/``tuple``/
``set``/``dict``/``Optional``/``Union``. Annotations without one (``-> dict``,
``-> list[int]``, ``-> str``) are not validated and cost nothing; ``response_model=None``
turns validation off for an annotated handler. ``Response``, ``StreamingResponse`` and
``EventSourceResponse`` results always pass as they are (and are dropped from a
``Union`` annotation: ``-> Item | Response`` validates ``Item`` results).

Validation happens once per response, decided at registration (a handler without a
model is not wrapped at all):

- pydantic models (anywhere in the model) go through pydantic's ``TypeAdapter``
  (``validate_python(from_attributes=True)``, then ``dump_python(mode="json")``);
- everything else through msgspec: the result as builtins is converted to the model
  (``strict=False``, ``from_attributes=True`` for objects msgspec cannot encode, such
  as ORM rows), then back to builtins.

Fields the model does not declare are dropped, as FastAPI filters its output to the
response model (so a ``UserIn`` with a password answered through a ``UserOut`` model
never leaks it). A result that does not conform raises
:class:`~spikard.exceptions.ResponseValidationError`: the client gets the generic 500
problem and the details are logged with the traceback on the ``spikard`` logger.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import functools
import inspect
import types
from collections.abc import Callable
from typing import Annotated, Any, Union, get_args, get_origin, is_typeddict

import msgspec

from spikard import _bodies, _schema
from spikard._spikard import ConfigError
from spikard.exceptions import ResponseValidationError
from spikard.responses import EventSourceResponse, Response, StreamingResponse

__all__ = ["INFER", "core_model", "prepare"]


class _Infer:
    def __repr__(self) -> str:
        return "<inferred from the return annotation>"


#: Default of ``response_model``: the handler's return annotation decides.
INFER: Any = _Infer()

#: Results that are sent as they are.
_PASS_THROUGH = (Response, StreamingResponse, EventSourceResponse)

_CONTAINERS = {
    list,
    tuple,
    set,
    frozenset,
    dict,
    collections.abc.Sequence,
    collections.abc.MutableSequence,
    collections.abc.Set,
    collections.abc.Mapping,
    collections.abc.MutableMapping,
}

Check = Callable[[Any], Any]


def prepare(
    handler: Callable[..., Any],
    response_model: Any,
    response_schema: dict[str, Any] | None,
    name: str,
) -> tuple[Callable[..., Any], dict[str, Any] | None]:
    """The handler to register (wrapped when it has a response model) and the response
    schema to document (``response_schema`` when given, else the model's)."""
    if isinstance(response_model, dict):  # a JSON Schema: the core checks and documents it
        return handler, response_schema
    explicit = response_model is not INFER
    model = response_model if explicit else _inferred(handler)
    if model is None:
        return handler, response_schema
    if response_schema is None:
        try:
            response_schema = _schema.schema_for(model)[0]
        except ConfigError:
            if explicit:
                raise
    return _validating(handler, _checker(model, name), model, name), response_schema


def with_class(handler: Callable[..., Any], response_class: type[Response]) -> Callable[..., Any]:
    """``handler`` whose plain results are sent as ``response_class(result)`` (FastAPI's
    ``response_class=``); responses it builds itself pass as they are."""
    if not (isinstance(response_class, type) and issubclass(response_class, Response)):
        raise ConfigError(f"response_class must be a Response class, not {response_class!r}")

    def wrap(value: Any) -> Any:
        return value if isinstance(value, _PASS_THROUGH) else response_class(value)

    if inspect.iscoroutinefunction(handler):

        @functools.wraps(handler)
        async def wrapped_async(*args: Any, **kwargs: Any) -> Any:
            return wrap(await handler(*args, **kwargs))

        return wrapped_async

    @functools.wraps(handler)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return wrap(handler(*args, **kwargs))

    return wrapped


def documented(response_class: type[Response]) -> dict[str, Any]:
    """The success response of a route with ``response_class``, for the OpenAPI document."""
    media_type = getattr(response_class, "default_media_type", None) or "application/json"
    doc: dict[str, Any] = {"description": "Successful Response", "content_type": media_type.split(";")[0]}
    if not media_type.startswith("application/json"):
        doc["schema"] = {"type": "string"}
    return doc


def core_model(response_model: Any) -> dict[str, Any] | None:
    """The JSON Schema the core checks results against (``RouteDecl.response_model``), if
    ``response_model`` is one."""
    return response_model if isinstance(response_model, dict) else None


def _inferred(handler: Callable[..., Any]) -> Any:
    """The model a return annotation names, or ``None``."""
    try:
        annotation = inspect.signature(handler, eval_str=True).return_annotation
    except (NameError, TypeError, ValueError):
        return None
    if annotation is inspect.Signature.empty:
        return None
    annotation = _without_responses(annotation)
    return annotation if annotation is not None and _is_structured(annotation) else None


def _without_responses(tp: Any) -> Any:
    """``tp`` without response classes (``None`` when nothing else is left)."""
    if get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    if isinstance(tp, type) and issubclass(tp, _PASS_THROUGH):
        return None
    if get_origin(tp) in (Union, types.UnionType):
        rest = [a for a in get_args(tp) if not (isinstance(a, type) and issubclass(a, _PASS_THROUGH))]
        if not rest:
            return None
        return Union[tuple(rest)] if len(rest) > 1 else rest[0]  # noqa: UP007 - rebuilt from its parts
    return tp


def _is_structured(tp: Any) -> bool:
    """Whether ``tp`` is, or contains, a type with declared fields."""
    origin = get_origin(tp)
    if origin is Annotated:
        return _is_structured(get_args(tp)[0])
    if origin in (Union, types.UnionType) or origin in _CONTAINERS:
        return any(_is_structured(a) for a in get_args(tp) if a is not Ellipsis)
    if not isinstance(tp, type) or origin is not None:
        return False
    return (
        issubclass(tp, msgspec.Struct)
        or dataclasses.is_dataclass(tp)
        or is_typeddict(tp)
        or _bodies.is_namedtuple(tp)
        or _bodies.is_pydantic_model(tp)
    )


def _mentions_pydantic(tp: Any) -> bool:
    if _bodies.is_pydantic_model(tp):
        return True
    return any(_mentions_pydantic(a) for a in get_args(tp))


def _checker(model: Any, name: str) -> Check:
    """Validate-and-filter for ``model``; unsupported models are refused here, at registration."""
    hint = "pass response_model=None to send the result unvalidated"
    if _mentions_pydantic(model):  # pydantic is imported: the model is one of its classes
        from pydantic import TypeAdapter, ValidationError  # noqa: PLC0415 - optional, loaded only for pydantic models

        try:
            adapter = TypeAdapter(model)
        except Exception as e:
            raise ConfigError(f"{name}: cannot validate responses against {model!r} ({e}); {hint}") from e

        def pydantic_check(value: Any) -> Any:
            try:
                validated = adapter.validate_python(value, from_attributes=True)
            except ValidationError as e:
                raise _Refused(
                    [{"msg": err["msg"], "loc": ".".join(map(str, err["loc"]))} for err in e.errors()]
                ) from None
            return adapter.dump_python(validated, mode="json")

        return pydantic_check
    try:
        msgspec.json.Decoder(model)
    except TypeError as e:
        raise ConfigError(f"{name}: cannot validate responses against {model!r} ({e}); {hint}") from e

    def msgspec_check(value: Any) -> Any:
        try:
            try:
                validated = msgspec.convert(msgspec.to_builtins(value), model, strict=False)
            except TypeError:  # objects msgspec cannot encode (ORM rows, pydantic models): read attributes
                validated = msgspec.convert(value, model, strict=False, from_attributes=True)
        except msgspec.ValidationError as e:
            raise _Refused([_msgspec_error(str(e))]) from None
        return _bodies.to_builtins(validated)

    return msgspec_check


def _msgspec_error(message: str) -> dict[str, str]:
    msg, sep, loc = message.rpartition(" - at ")
    return {"msg": msg, "loc": loc.strip("`")} if sep else {"msg": message, "loc": ""}


class _Refused(Exception):
    def __init__(self, errors: list[dict[str, str]]) -> None:
        self.errors = errors


def _validating(handler: Callable[..., Any], check: Check, model: Any, name: str) -> Callable[..., Any]:
    def conform(value: Any) -> Any:
        if isinstance(value, _PASS_THROUGH):
            return value
        try:
            return check(value)
        except _Refused as e:
            raise ResponseValidationError(name, model, e.errors) from None

    if inspect.iscoroutinefunction(handler):

        @functools.wraps(handler)
        async def validated_async(*args: Any, **kwargs: Any) -> Any:
            return conform(await handler(*args, **kwargs))

        return validated_async

    @functools.wraps(handler)
    def validated(*args: Any, **kwargs: Any) -> Any:
        return conform(handler(*args, **kwargs))

    return validated
