"""From a handler's signature to a route spec and the binding's call plan.

Each parameter becomes one argument of the core's argument plan (``spikard._decl.arg``:
name, source, key, converter, optional) and, except for ``Request`` and dependencies,
one entry of the route's parameter schemas or its body schema. Dependencies are found by name, then by the class they
provide (see ``spikard.di``); path parameters are found by name in the pattern; other
scalars are query parameters unless a marker says otherwise; structured types are the
body.
"""

from __future__ import annotations

import inspect
import typing
from dataclasses import dataclass, field
from typing import Any

import msgspec

from spikard import _bodies, _decl, _schema
from spikard._spikard import route_params
from spikard.di import DependencyMarker, Provider, by_type
from spikard.exceptions import ConfigError
from spikard.params import REQUIRED, BodyParam, FileParam, FormParam, HeaderParam, Param
from spikard.requests import Request
from spikard.uploads import UploadFile

_FILE_SCHEMA = {"type": "string", "format": "binary"}

#: JSON types of annotations, checked by the core against resolved dependencies.
_JSON_TYPES: dict[Any, str] = {
    dict: "object",
    list: "array",
    tuple: "array",
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


@dataclass
class Plan:
    """What registration needs: parameter schemas by source, the body schema, the arguments."""

    parameters: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {"path": {}, "query": {}, "headers": {}, "cookies": {}}
    )
    body_schema: dict[str, Any] | None = None
    content_type: str | None = None
    args: list[_decl.Arg] = field(default_factory=list)
    file_fields: dict[str, Any] = field(default_factory=dict)
    required_files: list[str] = field(default_factory=list)
    #: Dependencies declared inline as a parameter's default (``db = Provide(open_db)``).
    inline_dependencies: dict[str, Provider] = field(default_factory=dict)
    #: ``(dependency, JSON type)`` the resolved values must match (from annotations).
    expected_types: list[tuple[str, str]] = field(default_factory=list)
    #: Parameters taken from the request (not dependencies), by name.
    request_parameters: list[str] = field(default_factory=list)
    #: Parameters read from the body, shaped by ``_finish_body``.
    body_params: list[_BodyParam] = field(default_factory=list)


def path_param_names(path: str) -> list[str]:
    """The parameter names of a route pattern (parsed by the core)."""
    return route_params(path)


def _json_default(value: Any) -> Any:
    return msgspec.to_builtins(value)


def _file_kind(inner: Any) -> str | None:
    if inner is UploadFile:
        return "file"
    origin = typing.get_origin(inner)
    if origin is list and typing.get_args(inner) and typing.get_args(inner)[0] is UploadFile:
        return "files"
    return None


def _marker_and_default(param: inspect.Parameter, info: _schema.TypeInfo) -> tuple[Param | None, Any]:
    marker = info.marker
    default = param.default
    if isinstance(default, Param):
        marker = default
        default = default.default
    elif marker is not None and default is inspect.Parameter.empty:
        default = marker.default
    if default is inspect.Parameter.empty:
        default = REQUIRED
    return marker, default


def analyze(
    function: Any,
    path: str,
    dependencies: dict[str, Provider] | None = None,
    *,
    route: str | None = None,
    factory: bool = False,
    keep_defaults: bool = False,
) -> Plan:
    """The plan for ``function`` served at ``path``, given the dependencies registered for it
    (``route`` names it in errors). A dependency's ``factory`` is read like a handler,
    except that a required parameter without a marker is the dependency of its name (it
    may be registered later), an unannotated ``request`` the request, and no route pattern
    is known (``Path()`` marks path ones); with ``keep_defaults`` (a singleton, created
    once) parameters with a default keep it instead of reading the request."""
    plan = Plan()
    in_path = set() if factory else set(path_param_names(path))
    dependencies = dependencies or {}
    provided_types = by_type(dependencies)
    try:
        signature = inspect.signature(function, eval_str=True)
    except NameError as e:
        raise ConfigError(f"cannot resolve the annotations of {function!r}: {e}") from e
    for name, param in signature.parameters.items():
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        annotation = param.annotation
        if annotation is inspect.Parameter.empty:
            annotation = str if name in in_path else Any
        if annotation is Request:
            plan.args.append(_decl.arg(name, "request"))
            continue
        if factory and _factory_only(plan, param, annotation, keep_defaults=keep_defaults):
            continue
        dependency = _dependency_key(
            param, annotation, dependencies, provided_types=provided_types, in_path=in_path, route=route or path
        )
        if dependency is not None:
            _add_dependency(plan, param, annotation, dependency)
            continue
        plan.request_parameters.append(name)
        info = _schema.type_info(annotation)
        marker, default = _marker_and_default(param, info)
        optional = info.optional or default is None
        none_if_absent = optional and (default is None or default is REQUIRED)
        if _add_file(plan, name, info, marker, required=not optional and default is REQUIRED, none=none_if_absent):
            continue
        source = _source(name, marker, info, in_path)
        if source in ("body", "form"):
            plan.body_params.append(_BodyParam(name, info, marker, default, len(plan.args), none_if_absent))
            plan.args.append(_decl.arg(name, "body", converter=info.converter, optional=none_if_absent))
            continue
        key = _key(name, marker, source)
        schema: dict[str, Any] = _schema.apply_constraints(info.schema, marker, info.is_array)
        if source != "path":
            if default is not None and default is not REQUIRED:
                schema = {**schema, "default": _json_default(default)}
            elif optional:
                schema = {**schema, "optional": True}
        section = {"path": "path", "query": "query", "header": "headers", "cookie": "cookies"}[source]
        plan.parameters[section][key] = schema
        plan.args.append(_decl.arg(name, source, key, info.converter, optional=none_if_absent))
    _finish_body(plan)
    _merge_files(plan)
    return plan


def _add_file(
    plan: Plan, name: str, info: _schema.TypeInfo, marker: Param | None, *, required: bool, none: bool
) -> bool:
    """Add an ``UploadFile`` parameter; ``False`` when it is none."""
    file_kind = _file_kind(info.inner)
    if file_kind is None:
        return False
    key = marker.alias if marker and marker.alias else name
    plan.file_fields[key] = _FILE_SCHEMA if file_kind == "file" else {"type": "array", "items": _FILE_SCHEMA}
    if required:
        plan.required_files.append(key)
    plan.args.append(_decl.arg(name, file_kind, key, optional=none))
    return True


def _factory_only(plan: Plan, param: inspect.Parameter, annotation: Any, *, keep_defaults: bool) -> bool:
    """What only a factory's parameters mean: an unannotated ``request`` is the request, a
    required one without a marker the dependency of its name; ``True`` when handled."""
    if param.name == "request" and param.annotation is inspect.Parameter.empty:
        plan.args.append(_decl.arg(param.name, "request"))
        return True
    if _request_marker(param, annotation) is not None or _inline_provide(param, annotation) is not None:
        return False
    if param.default is inspect.Parameter.empty:
        plan.args.append(_decl.arg(param.name, "dependency"))
        return True
    return keep_defaults


def _inline_provide(param: inspect.Parameter, annotation: Any) -> Provider | None:
    """A dependency declared in place: ``= Provide(f)``, ``= Depends(f)`` or
    ``Annotated[T, Depends(f)]``; ``Depends()`` provides the annotated class."""
    provide = param.default if isinstance(param.default, Provider) else None
    if provide is None and typing.get_origin(annotation) is typing.Annotated:
        provide = next((m for m in typing.get_args(annotation)[1:] if isinstance(m, Provider)), None)
        annotation = typing.get_args(annotation)[0]
    if provide is not None and provide.dependency is None:
        if not inspect.isclass(annotation):
            raise ConfigError(f"parameter '{param.name}': Depends() without a callable needs a class annotation")
        return Provider(annotation, cacheable=provide.cacheable, singleton=provide.singleton)
    return provide


def _dependency_key(
    param: inspect.Parameter,
    annotation: Any,
    dependencies: dict[str, Provider],
    *,
    provided_types: dict[type, str],
    in_path: set[str],
    route: str,
) -> str | None:
    """The dependency a parameter receives, if any: an inline ``Provide`` default, a
    ``Dependency()`` marker, a dependency of the same name, or the one dependency
    providing the parameter's class. A parameter named like a dependency that reads the
    request (a path parameter, a marker, a default) is ambiguous: a ``ConfigError``."""
    name = param.name
    if _inline_provide(param, annotation) is not None:
        return name
    if isinstance(param.default, DependencyMarker):
        return param.default.name or name
    reads_request = (
        name in in_path
        or _request_marker(param, annotation) is not None
        or param.default is not inspect.Parameter.empty
    )
    if name in dependencies:
        if reads_request:
            raise _shadowing(route, param, annotation, in_path)
        return name
    if name in in_path:
        return None
    if inspect.isclass(annotation):
        return provided_types.get(annotation)
    return None


def _request_marker(param: inspect.Parameter, annotation: Any) -> Param | None:
    """The marker (``Query()``, ``Header()``...) a parameter declares, as its default or in ``Annotated``."""
    if isinstance(param.default, Param):
        return param.default
    if typing.get_origin(annotation) is typing.Annotated:
        return next((m for m in typing.get_args(annotation)[1:] if isinstance(m, Param)), None)
    return None


def _shadowing(route: str, param: inspect.Parameter, annotation: Any, in_path: set[str]) -> ConfigError:
    """The error for a parameter read from the request although a dependency has its name."""
    name = param.name
    marker = _request_marker(param, annotation)
    if name in in_path:
        why = "a path parameter"
    elif marker is not None:
        why = f"{marker.spelling}() marks it a {marker.source} parameter"
    else:
        why = f"it has a default, {param.default!r}"
    return ConfigError(
        f"route {route}: parameter '{name}' is read from the request ({why}) and is also the name of "
        f"dependency '{name}': rename one, or declare '{name} = Dependency()' to receive the dependency"
    )


def _add_dependency(plan: Plan, param: inspect.Parameter, annotation: Any, dependency: str) -> None:
    """Bind a parameter to a dependency; a JSON-like annotation becomes an expected type."""
    inline = _inline_provide(param, annotation)
    if inline is not None:
        plan.inline_dependencies[param.name] = inline
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    json_type = _JSON_TYPES.get(typing.get_origin(annotation) or annotation)
    if json_type is not None:
        plan.expected_types.append((dependency, json_type))
    plan.args.append(_decl.arg(param.name, "dependency", dependency))


def _source(name: str, marker: Param | None, info: _schema.TypeInfo, in_path: set[str]) -> str:
    if isinstance(marker, FileParam):
        raise ConfigError(f"parameter '{name}': File() reads an UploadFile or a list[UploadFile]")
    if marker is not None:
        return marker.source
    if name in in_path:
        return "path"
    if _bodies.is_body_type(info.inner):
        return "body"
    return "query"


def _key(name: str, marker: Param | None, source: str) -> str:
    if marker is not None and marker.alias:
        return marker.alias
    if source == "header" and (not isinstance(marker, HeaderParam) or marker.convert_underscores):
        return name.replace("_", "-")
    return name


@dataclass
class _BodyParam:
    """A parameter read from the body, until the body's shape is known."""

    name: str
    info: _schema.TypeInfo
    marker: Param | None
    default: Any
    arg: int
    none_if_absent: bool

    @property
    def embedded(self) -> bool:
        return isinstance(self.marker, FormParam) or (isinstance(self.marker, BodyParam) and self.marker.embed)


def _finish_body(plan: Plan) -> None:
    """One body parameter (not ``Form()`` or ``Body(embed=True)``) is the whole body;
    otherwise each is the body member of its name (FastAPI's rule): an object with one
    property per parameter, each passed by the core as a ``field`` argument."""
    params = plan.body_params
    for p in params:
        if isinstance(p.marker, BodyParam) and p.marker.media_type:
            plan.content_type = p.marker.media_type
    if not params:
        return
    if len(params) == 1 and not params[0].embedded:
        p = params[0]
        schema = _schema.apply_constraints(p.info.schema, p.marker, p.info.is_array)
        plan.body_schema = {"anyOf": [schema, {"type": "null"}]} if p.info.optional else schema
        return
    properties: dict[str, Any] = {}
    required: list[str] = []
    for p in params:
        key = p.marker.alias if p.marker is not None and p.marker.alias else p.name
        schema = _schema.apply_constraints(p.info.schema, p.marker, p.info.is_array)
        if p.info.optional:
            schema = {"anyOf": [schema, {"type": "null"}]}
        if p.default is not REQUIRED and p.default is not None:
            schema = {**schema, "default": _json_default(p.default)}
        elif not p.info.optional and p.default is REQUIRED:
            required.append(key)
        properties[key] = schema
        field_arg = _decl.arg(p.name, "field", key, p.info.converter, optional=p.none_if_absent)
        if p.default is not REQUIRED and p.default is not None:
            field_arg["default"] = _json_default(p.default)  # the marker holds it, not the signature
        plan.args[p.arg] = field_arg
    plan.body_schema = {"type": "object", "properties": properties, **({"required": required} if required else {})}


def _merge_files(plan: Plan) -> None:
    """Upload fields join the body schema as binary strings (the core validates them as filenames)."""
    if not plan.file_fields:
        return
    body = dict(plan.body_schema or {"type": "object"})
    body["properties"] = {**body.get("properties", {}), **plan.file_fields}
    required = [*body.get("required", []), *plan.required_files]
    if required:
        body["required"] = required
    plan.body_schema = body
