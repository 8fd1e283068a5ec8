"""Routers: routes declared apart from the app, included under a prefix.

::

    from spikard import Router, Spikard

    users = Router(prefix="/users", tags=["users"], dependencies={"db": Provide(open_db)})

    @users.get("/{user_id:int}")
    def get_user(user_id: int, db: Database) -> dict[str, object]: ...

    app = Spikard()
    app.include_router(users, prefix="/v1")  # GET /v1/users/{user_id:int}

A router records its routes (HTTP and WebSocket) and registers them when an app (or a
router, itself included later) includes it: the paths get the include's prefix, then the
router's; the tags are the include's, the router's, then the route's; ``dependencies``
(``{name: Provide(...) or a value}``) are the route ``dependencies=`` of every route,
a route's own winning over the router's and the router's over the include's. As route
``dependencies=``, they are available to the handlers and hooks that take them (by name
or class); FastAPI's list form, ``Router(dependencies=[Depends(verify_token)])``, runs
``verify_token`` for every request of every route of the router (and of an include).
Registration errors (conflicts, bad patterns) surface at ``include_router``, naming the
route.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from spikard.di import Dependencies

__all__ = ["Router"]

F = TypeVar("F", bound=Callable[..., Any])


class _Registrar(Protocol):
    """An app or a router: what routes are registered on."""

    @property
    def add_route(self) -> Callable[..., None]: ...
    @property
    def add_websocket(self) -> Callable[..., None]: ...


def _join(prefix: str, path: str) -> str:
    if prefix and not prefix.startswith("/"):
        raise ValueError(f"a router prefix starts with '/': {prefix!r}")
    return prefix.rstrip("/") + path if prefix else path


class Router:
    """Routes under a ``prefix`` with shared ``tags`` and ``dependencies`` (see the module docs)."""

    def __init__(
        self,
        *,
        prefix: str = "",
        tags: list[str] | None = None,
        dependencies: Dependencies | None = None,
    ) -> None:
        _join(prefix, "/")  # a bad prefix fails here
        self.prefix = prefix
        self.tags = list(tags or [])
        #: As given: ``{name: dependency}`` or a list of ``Depends(...)`` (and mappings).
        self.dependencies = _as_list(dependencies)
        #: ``(kind, method, path, handler, options)`` in declaration order.
        self.routes: list[tuple[str, str, str, Callable[..., Any], dict[str, Any]]] = []

    def add_route(self, method: str, path: str, handler: Callable[..., Any], **options: Any) -> None:
        """Record a route (the keywords of ``Spikard.add_route``)."""
        self.routes.append(("http", method.upper(), path, handler, options))

    def add_websocket(self, path: str, handler: Callable[..., Any], **options: Any) -> None:
        """Record a WebSocket route (the keywords of ``Spikard.add_websocket``)."""
        self.routes.append(("websocket", "GET", path, handler, options))

    def include_router(
        self,
        router: Router,
        *,
        prefix: str = "",
        tags: list[str] | None = None,
        dependencies: Dependencies | None = None,
    ) -> None:
        """Record another router's routes as this router's, under ``prefix``."""
        include(self, router, prefix=prefix, tags=tags, dependencies=dependencies)

    def route(self, path: str, methods: list[str] | tuple[str, ...] = ("GET",), **options: Any) -> Callable[[F], F]:
        def decorator(handler: F) -> F:
            for method in methods:
                self.add_route(method, path, handler, **options)
            return handler

        return decorator

    def websocket(self, path: str, **options: Any) -> Callable[[F], F]:
        def decorator(handler: F) -> F:
            self.add_websocket(path, handler, **options)
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


def include(
    target: _Registrar,
    router: Router,
    *,
    prefix: str = "",
    tags: list[str] | None = None,
    dependencies: Dependencies | None = None,
) -> None:
    """Register ``router``'s routes on ``target`` (an app or a router) under ``prefix``."""
    base = _join(prefix, router.prefix) if router.prefix else prefix
    _join(base, "/")
    shared_tags = [*(tags or []), *router.tags]
    shared_dependencies = [*_as_list(dependencies), *router.dependencies]
    for kind, method, path, handler, options in router.routes:
        merged = dict(options)
        merged["tags"] = [*shared_tags, *(options.get("tags") or [])]
        if kind == "websocket":
            target.add_websocket(_join(base, path), handler, **merged)
            continue
        merged["dependencies"] = [*shared_dependencies, *_as_list(options.get("dependencies"))]
        target.add_route(method, _join(base, path), handler, **merged)


def _as_list(dependencies: Dependencies | None) -> list[Any]:
    """``dependencies=`` as a list (a mapping is one item), so that includes concatenate:
    later mappings win over earlier ones of the same name."""
    if dependencies is None:
        return []
    if isinstance(dependencies, Mapping):
        return [dict(dependencies)]
    return list(dependencies)
