"""The ``Spikard`` application and its route decorators.

::

    from spikard import Spikard, get

    app = Spikard()

    @get("/users/{user_id:int}")
    def get_user(user_id: int, verbose: bool = False) -> dict:
        return {"id": user_id, "verbose": verbose}

Module-level decorators (``get``, ``post``...) register on *the* app: the only
``Spikard`` alive in the process (routes declared before it exists are adopted by the
first one created). With two or more apps alive they cannot tell which one is meant and
raise ``ConfigError``: decorate with the app's own methods (``@app.get``) then.

Registration analyses the handler's signature once (see ``spikard._signature``),
hands the resulting JSON Schemas to the Rust core and raises on conflicts or
invalid schemas right at the decorator.
"""

from __future__ import annotations

import functools
import gc
import inspect
import os
import weakref
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Literal, TypeVar

from spikard import _decl, _responses, _server, _signature, _support
from spikard import routing as _routing
from spikard import sse as _sse
from spikard import websocket as _websocket
from spikard._spikard import App as _CoreApp
from spikard.config import ServerConfig, to_rust
from spikard.di import Dependencies, Provider, hook_dependencies, split_dependencies
from spikard.exceptions import ConfigError
from spikard.responses import Response
from spikard.routing import Router

__all__ = ["Spikard", "current_app", "delete", "get", "head", "options", "patch", "post", "put"]

F = TypeVar("F", bound=Callable[..., Any])

#: Lifecycle phases, in the order they run.
PHASES = ("on_request", "pre_validation", "pre_handler", "on_response", "on_error")
#: A route's hooks: one callable or a list of them, per phase keyword.
Hooks = Callable[..., Any] | list[Callable[..., Any]] | None

#: The apps alive in the process.
_apps: weakref.WeakSet[Spikard] = weakref.WeakSet()
#: Routes declared with module-level decorators before any app existed.
_pending: list[tuple[tuple[Any, ...], dict[str, Any]]] = []


def current_app() -> Spikard | None:
    """The app module-level decorators register on: the only ``Spikard`` alive (``None``
    before one exists). Raises ``ConfigError`` when several are alive."""
    apps = list(_apps)
    if len(apps) > 1:  # apps only kept alive by reference cycles are not "alive"
        gc.collect()
        apps = list(_apps)
    if len(apps) > 1:
        raise ConfigError(
            f"module-level route decorators register on the only app, but {len(apps)} Spikard apps exist: "
            "decorate with the app's own methods (@app.get(...)) instead"
        )
    return apps[0] if apps else None


class Spikard:
    """A Spikard application: routes plus a server config and app-level dependencies
    (``{name: Provide(...) or a value}``, see ``spikard.di``; FastAPI's
    ``dependencies=[Depends(check)]`` runs ``check`` for every route's requests)."""

    def __init__(self, config: ServerConfig | None = None, *, dependencies: Dependencies | None = None) -> None:
        self.config = config or ServerConfig()
        self._core = _CoreApp(self.config.to_rust())
        self._dependencies: dict[str, Provider] = {}
        #: Request parameter names of registered routes (``name -> "METHOD /path"``).
        self._request_parameters: dict[str, str] = {}
        #: Lifespans of the mounted ASGI apps, run around serving (and by ``with TestClient``).
        self._lifespans: list[Any] = []
        named, self._run_dependencies = split_dependencies(dependencies)
        for name, dependency in named.items():
            self.provide(name, dependency)
        _apps.add(self)
        while _pending:
            args, kwargs = _pending.pop(0)
            self.add_route(*args, **kwargs)

    def add_route(
        self,
        method: str,
        path: str,
        handler: Callable[..., Any],
        *,
        parameters: dict[str, dict[str, Any]] | None = None,
        body_schema: dict[str, Any] | None = None,
        body_optional: bool = False,
        content_type: str | None = None,
        max_body_size: int | None = None,
        max_nesting_depth: int | None = None,
        middleware: dict[str, Any] | None = None,
        cors: dict[str, Any] | None = None,
        name: str | None = None,
        sse: bool = False,
        event_schema: dict[str, Any] | None = None,
        tags: list[str] | None = None,
        summary: str | None = None,
        description: str | None = None,
        operation_id: str | None = None,
        deprecated: bool = False,
        include_in_schema: bool = True,
        response_model: Any = _responses.INFER,
        response_schema: dict[str, Any] | None = None,
        responses: dict[str | int, dict[str, Any]] | None = None,
        status_code: int | None = None,
        response_class: type[Response] | None = None,
        dependencies: Dependencies | None = None,
        defer_dependency_errors: bool = False,
        on_request: Hooks = None,
        pre_validation: Hooks = None,
        pre_handler: Hooks = None,
        on_response: Hooks = None,
        on_error: Hooks = None,
        sync_to_thread: bool = True,
    ) -> None:
        """Register ``handler`` for ``method path``.

        Schemas come from the handler's annotations; ``parameters`` (``{"query": {name:
        schema}, "headers": ..., "cookies": ..., "path": ...}``) and ``body_schema`` add
        or replace JSON Schemas explicitly, as a route spec would (``body_optional=True``: a
        request may leave the body out, as OpenAPI's ``requestBody.required: false``); ``middleware`` (per-route
        overrides such as ``{"request_timeout": {"seconds": 2}}``) and ``cors`` are passed to
        the core as given (see ``spikard.config`` for the shapes).

        ``sse=True`` makes a server-sent events route: the handler returns an
        ``EventSourceResponse`` or an (async) iterator of ``SseEvent``s, dicts or data;
        ``event_schema`` (which implies ``sse``) is checked by the core against every
        event's data, ending the stream at the first event breaking it.

        Documentation (the OpenAPI document of ``ServerConfig.openapi``): ``tags``,
        ``summary``, ``description``, ``operation_id``, ``deprecated``,
        ``include_in_schema``, ``response_model`` (a type whose JSON Schema documents the
        successful response; ``response_schema`` gives the schema itself) and ``responses``
        (``{status: {"description", "content_type", "schema"}}``).

        A sync (``def``) handler runs on the pool of ``ServerConfig.blocking_threads``
        threads (40), as FastAPI runs it in a thread pool, so one that blocks (sleep, I/O,
        a lock) holds up neither other requests nor shutdown; its hooks, dependency
        factories and iterators do too. ``sync_to_thread=False`` (Litestar's name) calls a
        sync handler that never blocks on the server's thread instead, saving the hop
        (ignored for ``async def`` handlers, which run on the event loop).

        ``response_class`` (``HTMLResponse``, ``PlainTextResponse``...) wraps the results
        the handler returns as plain values, and documents its media type.

        ``status_code`` (FastAPI's: ``201`` for a creation) is the status the handler's
        results are sent with when they bring none (a plain value, a response left at
        200); the core applies it and documents it as the success response.

        ``dependencies`` (``{name: Provide(...) or a value}``) replace the app's of the same
        name for this route (see ``spikard.di``); FastAPI's ``dependencies=[Depends(check)]``
        runs ``check`` for every request of the route though the handler does not take it
        (its parameters read, validated and documented as the route's; a check that raises
        refuses the request); ``defer_dependency_errors`` answers each
        request with the dependency problem (500) instead of failing when the app is built.
        ``on_request``, ``pre_validation``, ``pre_handler``, ``on_response`` and ``on_error``
        add hooks (a callable or a list) run after the app-wide ones of their phase.

        ``response_model`` (by default the return annotation when it names a structured
        type; ``None`` for none; or a JSON Schema ``dict``, checked by the core) also
        validates what the handler returns and drops the fields the model does not declare;
        a result that does not conform is a logged 500 (see ``spikard._responses``).
        """
        if event_schema is not None:
            sse = True
        if sse:
            handler = _sse.event_source(handler)
        route_dependencies, run = split_dependencies(dependencies, taken=self._dependencies)
        plan = _signature.analyze(
            handler, path, {**self._dependencies, **route_dependencies}, route=f"{method.upper()} {path}"
        )
        route_dependencies.update(plan.inline_dependencies)
        _add_nested(route_dependencies)
        spec_parameters = plan.parameters
        for section, schemas in (parameters or {}).items():
            spec_parameters.setdefault(_section(section), {}).update(schemas)
        spec: dict[str, Any] = {
            "method": method.upper(),
            "path": path,
            "parameters": spec_parameters,
            "body_schema": body_schema if body_schema is not None else plan.body_schema,
            "body_optional": body_optional,
            "content_type": content_type or plan.content_type,
            "max_body_size": max_body_size,
            "max_nesting_depth": max_nesting_depth,
            "middleware": _plain(middleware or {}),
            "cors": _plain(cors),
            "handler_name": name or getattr(handler, "__name__", None),
        }
        if sse:
            spec["kind"] = "sse"
            spec["event_schema"] = event_schema
        route_name = spec["handler_name"] or f"{method} {path}"
        handler, response_schema = _responses.prepare(handler, response_model, response_schema, route_name)
        if response_class is not None:
            handler = _responses.with_class(handler, response_class)
            success = str(status_code or 200)
            if success not in {str(k) for k in (responses or {})}:
                responses = {**(responses or {}), success: _responses.documented(response_class)}
        doc = {
            "tags": list(tags or []),
            "summary": summary,
            "description": description,
            "operation_id": operation_id,
            "deprecated": deprecated,
            "include_in_schema": include_in_schema,
            "response_schema": response_schema,
            "responses": {str(k): v for k, v in (responses or {}).items()},
            "status_code": status_code,
        }
        spec.update({k: v for k, v in doc.items() if v is not None})
        objects = _decl.Objects()
        decl = {
            "route": spec,
            "handler": objects.function(
                handler, plan.args, is_async=inspect.iscoroutinefunction(handler), inline=not sync_to_thread
            ),
            "hooks": [
                _hook_decl(phase, hook, objects)
                for phase, given in zip(
                    PHASES, (on_request, pre_validation, pre_handler, on_response, on_error), strict=True
                )
                for hook in ([] if given is None else given if isinstance(given, list) else [given])
            ],
            "dependencies": {name: d.describe(name, objects) for name, d in route_dependencies.items()},
            "expected_types": dict(plan.expected_types),
            "defer_dependency_errors": defer_dependency_errors,
            "response_model": _responses.core_model(response_model),
            "run_dependencies": [*self._run_dependencies, *run],
        }
        self._core.add_route(decl, objects.items)
        for param in plan.request_parameters:
            self._request_parameters.setdefault(param, f"{spec['method']} {path}")

    @property
    def dependencies(self) -> dict[str, Provider]:
        """The app-level dependencies, by name (a copy)."""
        return dict(self._dependencies)

    def provide(self, name: str, dependency: Any, *, cacheable: bool = True, singleton: bool = False) -> None:
        """Register an app-level dependency: a ``Provide``, or a factory / value with the
        given options (see ``spikard.di``). Register it before the routes that take it:
        a route registered earlier read a parameter of that name from the request."""
        provide = (
            dependency
            if isinstance(dependency, Provider)
            else Provider(dependency, cacheable=cacheable, singleton=singleton)
        )
        route = self._request_parameters.get(name)
        if route is not None:
            raise ConfigError(
                f"dependency '{name}' is registered after route {route}, which already takes '{name}' "
                "from the request: register dependencies before the routes that use them"
            )
        for nested_name, nested in provide.nested(name).items():
            if nested_name not in self._dependencies:
                self.provide(nested_name, nested)
        objects = _decl.Objects()
        self._core.provide(name, provide.describe(name, objects), objects.items)
        self._dependencies[name] = provide

    def add_websocket(
        self,
        path: str,
        handler: Callable[..., Any],
        *,
        message_schema: dict[str, Any] | None = None,
        max_message_size: int | None = None,
        name: str | None = None,
        event_schema: dict[str, Any] | None = None,
        tags: list[str] | None = None,
        summary: str | None = None,
        description: str | None = None,
        operation_id: str | None = None,
        deprecated: bool = False,
        include_in_schema: bool = True,
    ) -> None:
        """Register ``async def handler(websocket, **path_params)`` for WebSocket
        connections to ``path`` (see ``spikard.websocket``). ``message_schema`` validates
        incoming messages; ``event_schema`` (outgoing messages) and the documentation
        keywords describe the channel in the AsyncAPI document."""
        spec: dict[str, Any] = {
            "method": "GET",
            "path": path,
            "kind": "websocket",
            "message_schema": message_schema,
            "event_schema": event_schema,
            "max_message_size": max_message_size,
            "handler_name": name or getattr(handler, "__name__", None),
            "tags": list(tags or []),
            "deprecated": deprecated,
            "include_in_schema": include_in_schema,
        }
        doc = {"summary": summary, "description": description, "operation_id": operation_id}
        spec.update({k: v for k, v in doc.items() if v is not None})
        self._core.add_websocket(spec, _websocket.session_factory(handler))

    def mount(
        self,
        path: str,
        app: Any,
        *,
        lifespan: Literal["auto", "on", "off"] = "auto",
        root_path: str = "",
        start_timeout: float = 30.0,
    ) -> None:
        """Mount an ASGI 3 app (FastAPI, Starlette...) at ``path`` (``"/"`` for everything):
        requests under it that no Spikard route matches go to it, through the server-wide
        middleware, with ``scope["root_path"]`` the prefix (``root_path`` is prepended, as
        uvicorn's ``--root-path``). Its lifespan runs when the server starts and stops, and in
        ``with TestClient(app)``; ``start_timeout``: seconds the app may take to start a
        response (then a 504 problem). See ``spikard.asgi``."""
        from spikard import asgi  # noqa: PLC0415 - loaded only by apps that mount one

        cycle = asgi.Lifespan(app, lifespan)
        self._core.mount_asgi(
            path,
            functools.partial(asgi.serve_http, app),
            asgi._wake,
            cycle.state,
            root_path,
            start_timeout,
        )
        self._lifespans.append(cycle)

    def startup(self) -> None:
        """Run the mounted ASGI apps' lifespan startup (``run`` does it before serving)."""
        for cycle in self._lifespans:
            _support.submit(cycle.startup()).result()

    def shutdown(self) -> None:
        """Run the mounted ASGI apps' lifespan shutdown, last mounted first."""
        for cycle in reversed(self._lifespans):
            _support.submit(cycle.shutdown()).result()

    def include_router(
        self,
        router: Router,
        *,
        prefix: str = "",
        tags: list[str] | None = None,
        dependencies: Dependencies | None = None,
    ) -> None:
        """Register a ``Router``'s routes under ``prefix`` (then the router's own), with
        ``tags`` and ``dependencies`` before the router's (see ``spikard.routing``)."""
        _routing.include(self, router, prefix=prefix, tags=tags, dependencies=dependencies)

    def websocket(self, path: str, **options: Any) -> Callable[[F], F]:
        """Decorator form of ``add_websocket``."""

        def decorator(handler: F) -> F:
            self.add_websocket(path, handler, **options)
            return handler

        return decorator

    def route(self, path: str, methods: list[str] | tuple[str, ...] = ("GET",), **options: Any) -> Callable[[F], F]:
        """Decorator registering a handler for several methods."""

        def decorator(handler: F) -> F:
            for method in methods:
                self.add_route(method, path, handler, **options)
            return handler

        return decorator

    def get(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.route(path, ("GET",), **options)

    def post(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.route(path, ("POST",), **options)

    def put(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.route(path, ("PUT",), **options)

    def patch(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.route(path, ("PATCH",), **options)

    def delete(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.route(path, ("DELETE",), **options)

    def head(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.route(path, ("HEAD",), **options)

    def options(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.route(path, ("OPTIONS",), **options)

    def _hook(self, phase: str, hook: F) -> F:
        objects = _decl.Objects()
        self._core.add_hook(_hook_decl(phase, hook, objects), objects.items)
        return hook

    def on_request(self, hook: F) -> F:
        """App-wide hook after routing, before the body is read: ``hook(request)`` returns
        ``None`` to go on (``request.state`` reaches the handler, ``request.reply_header``
        adds response headers) or a response to answer early. Required parameters after
        the first receive the dependencies of those names."""
        return self._hook("on_request", hook)

    def pre_validation(self, hook: F) -> F:
        """App-wide hook once the body is read, before validation (same contract as ``on_request``)."""
        return self._hook("pre_validation", hook)

    def pre_handler(self, hook: F) -> F:
        """App-wide hook after validation, just before the handler (same contract as ``on_request``)."""
        return self._hook("pre_handler", hook)

    def on_response(self, hook: F) -> F:
        """App-wide hook for responses with status < 400: ``hook(response)`` (or
        ``hook(response, request)`` to get the ``HookRequest``: method, path, state,
        elapsed) changes the ``Response`` in place (returning ``None``) or returns another
        response."""
        return self._hook("on_response", hook)

    def on_error(self, hook: F) -> F:
        """App-wide hook for responses with status >= 400, problems included (as ``on_response``)."""
        return self._hook("on_error", hook)

    def __len__(self) -> int:
        return len(self._core)

    def run(
        self,
        host: str | None = None,
        port: int | None = None,
        workers: int | None = None,
        config: ServerConfig | None = None,
    ) -> None:
        """Serve until SIGINT/SIGTERM; ``workers`` processes share the port."""
        base = config or self.config
        overrides: dict[str, Any] = {
            k: v for k, v in {"host": host, "port": port, "workers": workers}.items() if v is not None
        }
        effective = replace(base, **overrides)
        self._core.configure(effective.to_rust())
        serves_here = effective.workers <= 1 or bool(os.environ.get("SPIKARD_WORKER"))
        if serves_here:
            self.startup()
        try:
            _server.run(self._core, effective)
        finally:
            if serves_here:
                self.shutdown()


def _hook_decl(phase: str, hook: Callable[..., Any], objects: _decl.Objects) -> dict[str, Any]:
    """A hook as the core registers it (a ``HookDecl``): a request hook gets the request by
    position and its dependencies by name; a response hook the response (and the
    ``HookRequest`` when it takes a second argument)."""
    if phase not in PHASES:
        raise ConfigError(f"'{phase}' is not a hook phase ({', '.join(PHASES)})")
    dependencies, with_request = hook_dependencies(hook, phase)
    args: list[_decl.Arg] = []
    if phase not in ("on_response", "on_error"):
        args = [_decl.arg("request", "request", positional=True)]
        args += [_decl.arg(name, "dependency") for name in dependencies]
    decl = objects.function(
        hook, args, is_async=inspect.iscoroutinefunction(hook), name=getattr(hook, "__qualname__", phase)
    )
    return {"phase": phase, **decl, "with_request": with_request}


def _add_nested(dependencies: dict[str, Provider]) -> None:
    """Add the dependencies the given ones declare in place (``= Depends(f)``), recursively;
    a name already given keeps its registration."""
    pending = list(dependencies.items())
    while pending:
        name, provide = pending.pop()
        for nested_name, nested in provide.nested(name).items():
            if nested_name not in dependencies:
                dependencies[nested_name] = nested
                pending.append((nested_name, nested))


def _plain(value: Any) -> Any:
    """Config dataclasses as plain data (dicts pass through)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return to_rust(value)


def _section(name: str) -> str:
    return {"header": "headers", "cookie": "cookies"}.get(name, name)


def _module_decorator(method: str) -> Callable[..., Callable[[F], F]]:
    def register(path: str, **options: Any) -> Callable[[F], F]:
        def decorator(handler: F) -> F:
            try:
                app = current_app()
            except ConfigError as e:
                raise ConfigError(f"@{method.lower()}({path!r}): {e}") from None
            if app is None:
                _pending.append(((method, path, handler), options))
            else:
                app.add_route(method, path, handler, **options)
            return handler

        return decorator

    register.__name__ = method.lower()
    register.__doc__ = (
        f"Register a ``{method}`` route on the only app alive (see :func:`current_app`); "
        "with several apps, use the app's own method."
    )
    return register


get = _module_decorator("GET")
post = _module_decorator("POST")
put = _module_decorator("PUT")
patch = _module_decorator("PATCH")
delete = _module_decorator("DELETE")
head = _module_decorator("HEAD")
options = _module_decorator("OPTIONS")
