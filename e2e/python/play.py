"""Playing one fixture through the public Python API (mirrors ``e2e/rust/src/play.rs``).

The runner builds a ``Spikard`` app with one route described by the fixture's
``handler`` (schemas passed to ``add_route``), whose Python handler answers as the
fixture's application would, then sends the fixture's request with the Python
``TestClient`` and compares.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from answer import app_response, application_answers, configures_middleware

from compare import compare, is_problem
from features import after_checks, build_route, openapi, play_without_request
from fixture import Fixture, decode_path, route_path, send
from spikard import Request, ServerConfig, Spikard, SpikardError
from spikard.testing import TestClient

_SPEC_KEYS = (
    "body_schema",
    "body_optional",
    "content_type",
    "max_body_size",
    "max_nesting_depth",
    "middleware",
    "cors",
    "response_model",
    "response_schema",
    "status_code",
)


def route_of(f: Fixture) -> tuple[str, str, dict[str, Any]]:
    """``(method, path, options for add_route)`` from the fixture's ``handler``."""
    handler = f.handler if "route" in f.handler else {}
    # A route is a path: a query string written into ``handler.route`` describes the request, not the route.
    path = (handler.get("route") or handler.get("path") or "").split("?")[0] or decode_path(route_path(f.request))
    method = (handler.get("method") or f.request.get("method") or "GET").upper()
    options: dict[str, Any] = {k: handler[k] for k in _SPEC_KEYS if handler.get(k) is not None}
    parameters = handler.get("parameters")
    if isinstance(parameters, dict):
        options["parameters"] = parameters
    return method, path, options


def server_config(f: Fixture) -> ServerConfig:
    """Server settings a fixture gives on its handler: ``max_header_size`` is checked before
    routing, so it is a server setting here (one route per fixture). ``max_uri_length`` is not
    read: a 414 is the application's answer in ``status_codes``."""
    config = ServerConfig()
    limit = f.handler.get("max_header_size")
    if isinstance(limit, int) and not isinstance(limit, bool) and limit >= 0:
        config.max_header_size = limit
    return config


def play(f: Fixture) -> list[str]:
    """Play one fixture; the list of differences (empty when it passes)."""
    whole = play_without_request(f)
    if whole is None:
        whole = openapi.play(f, compare, application_answers(f))
    if whole is not None:
        return whole
    app_answers = application_answers(f)
    keep_headers = not configures_middleware(f)
    expected = f.expected

    sleep_ms = _hint(f, "request_timeout", "sleep_ms")
    if sleep_ms is not None:
        # The handler takes time, so the request deadline is exercised for real (no headers kept).
        async def handler(request: Request) -> Any:
            await asyncio.sleep(sleep_ms / 1000)
            return app_response(expected, False) if app_answers else {"handler_called": True}

    elif "returns" in f.handler:
        # What the handler returns, checked by the route's response model (a JSON Schema).
        returns = f.handler["returns"]

        def handler(request: Request) -> Any:
            return returns

    else:

        def handler(request: Request) -> Any:
            if app_answers:
                return app_response(expected, keep_headers)
            return {"handler_called": True}

    method, path, options = route_of(f)
    app = Spikard(server_config(f))
    try:
        built = build_route(f, app, handler)
        if built is not None:
            handler, extra = built
            options.update(extra)
        app.add_route(method, path, handler, **options)
    except SpikardError as e:
        return [f"route registration failed: {e}"]
    except ValueError as e:
        return [f"fixture: {e}"]
    try:
        client = TestClient(app)
    except SpikardError as e:
        return [f"app did not build: {e}"]
    problems = warmup(f, client)
    response = send(client, f.request)
    problems += compare(f, response, app_answers)
    for check in after_checks(f):
        problems += check(client)
    return problems


def _hint(f: Fixture, middleware: str, key: str) -> int | None:
    value = (f.handler.get("middleware") or {}).get(middleware, {})
    value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def warmup(f: Fixture, client: TestClient) -> list[str]:
    """Send the fixture's request ``middleware.rate_limit.warmup_requests`` times before the
    compared one (``sleep_ms_between`` apart), each expected to answer ``warmup_expect_status``
    when given (mirrors ``e2e/rust/src/features/timing.rs``)."""
    count = min(_hint(f, "rate_limit", "warmup_requests") or 0, 1000)
    expect = _hint(f, "rate_limit", "warmup_expect_status")
    pause = (_hint(f, "rate_limit", "sleep_ms_between") or 0) / 1000
    problems = []
    for i in range(count):
        res = send(client, f.request)
        if expect is not None and res.status_code != expect:
            problems.append(f"warmup request {i + 1}: status {res.status_code} != expected {expect}")
        if pause:
            time.sleep(pause)
    return problems


__all__ = ["application_answers", "is_problem", "play"]
