"""OpenAPI fixtures (mirrors ``e2e/rust/src/features/openapi.rs``): an app of several
routes, a request for one of the documents or docs pages, and the expected response.

The app is described under ``handler.middleware.openapi``:

- ``config``: the ``OpenApiConfig`` (omitted: defaults; ``null``: no OpenAPI at all),
- ``server``: other ``ServerConfig`` settings (e.g. ``jwt_auth``, ``api_key_auth``),
- ``routes``: route specs (``route``/``path``, ``method``, ``parameters``, ``body_schema``,
  ``content_type``, ``middleware``, ``kind`` with ``message_schema``/``event_schema``, and the
  documentation keys ``tags``, ``summary``, ``description``, ``operation_id``,
  ``deprecated``, ``include_in_schema``, ``response_schema``, ``responses``), registered
  through ``add_route``/``add_websocket`` keyword arguments.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fixture import Fixture, send
from spikard import Spikard, SpikardError, WebSocket
from spikard.config import OpenApiConfig, ServerConfig, from_rust
from spikard.testing import TestClient, TestResponse

_ROUTE_KEYS = (
    "parameters",
    "body_schema",
    "content_type",
    "middleware",
    "event_schema",
    "tags",
    "summary",
    "description",
    "operation_id",
    "deprecated",
    "include_in_schema",
    "response_schema",
    "responses",
    "status_code",
)

_WS_KEYS = (
    "message_schema",
    "event_schema",
    "tags",
    "summary",
    "description",
    "operation_id",
    "deprecated",
    "include_in_schema",
)


def section(f: Fixture) -> dict[str, Any] | None:
    middleware = f.handler.get("middleware")
    openapi = middleware.get("openapi") if isinstance(middleware, dict) else None
    return openapi if isinstance(openapi, dict) else None


def build_app(sec: dict[str, Any]) -> Spikard:
    """The app a fixture's ``handler.middleware.openapi`` section describes."""
    config = from_rust(ServerConfig, sec.get("server") or {})
    if "config" not in sec:
        config.openapi = OpenApiConfig()
    elif sec["config"] is None:
        config.openapi = None
    else:
        config.openapi = from_rust(OpenApiConfig, sec["config"])
    app = Spikard(config)
    for i, route in enumerate(sec.get("routes") or []):
        path = route.get("route") or route.get("path")
        name = route.get("handler_name")
        kind = str(route.get("kind") or "http").lower()
        try:
            if kind in ("websocket", "ws"):
                options = {k: route[k] for k in _WS_KEYS if route.get(k) is not None}
                app.add_websocket(path, _unnamed(_echo), name=name, **options)
                continue
            options = {k: route[k] for k in _ROUTE_KEYS if route.get(k) is not None}
            app.add_route(
                str(route.get("method") or "GET").upper(),
                path,
                _unnamed(_events if kind == "sse" else _called),
                name=name,
                sse=kind == "sse",
                **options,
            )
        except SpikardError as e:
            raise ValueError(f"openapi.routes[{i}] registration failed: {e}") from e
    return app


def _unnamed(handler: Callable[..., Any]) -> Callable[..., Any]:
    """A copy of ``handler`` without a name: a route the fixture does not name gets no
    summary (the package otherwise titles the function's name, as FastAPI does)."""
    if inspect.iscoroutinefunction(handler):

        async def coroutine(*args: Any, **kwargs: Any) -> Any:
            return await handler(*args, **kwargs)

        copy: Callable[..., Any] = functools.wraps(handler)(coroutine)
    else:

        def function(*args: Any, **kwargs: Any) -> Any:
            return handler(*args, **kwargs)

        copy = functools.wraps(handler)(function)
    copy.__name__ = copy.__qualname__ = ""
    return copy


def _called() -> dict[str, bool]:
    return {"handler_called": True}


def _events() -> list[Any]:
    return []


async def _echo(websocket: WebSocket) -> None:
    while True:
        await websocket.send_text(await websocket.receive_text())


def play(
    f: Fixture, compare: Callable[[Fixture, TestResponse, bool], list[str]], app_answers: bool
) -> list[str] | None:
    """Play an OpenAPI fixture (its problems), or ``None`` when the fixture is not one."""
    sec = section(f)
    if sec is None:
        return None
    try:
        client = TestClient(build_app(sec))
    except (ValueError, SpikardError) as e:
        return [str(e)]
    return compare(f, send(client, f.request), app_answers)
