"""Server-sent events::

    from spikard import Spikard, SseEvent

    app = Spikard()

    @app.get("/ticks", sse=True, event_schema={"type": "object", "required": ["n"]})
    async def ticks():
        for n in range(3):
            yield SseEvent(data={"n": n}, event="tick", id=str(n))

A handler of an SSE route (``sse=True`` or an ``event_schema``) may be an (async)
generator, return an (async) iterator, or return an ``EventSourceResponse`` (for a
status, headers or ``keep_alive`` seconds). Items are ``SseEvent``s, dicts with the same
keys (``data``, ``event``, ``id``, ``retry``, ``comment``), or bare data; data that is not
a ``str`` is sent as JSON. The Rust core formats the stream, sends keep-alive comments,
validates each event against ``event_schema`` and stops when the client goes away.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from spikard.responses import EventSourceResponse, SseEvent, StreamingResponse

__all__ = ["EventSourceResponse", "SseEvent", "event_source"]


def _as_response(value: Any) -> Any:
    if isinstance(value, (EventSourceResponse, StreamingResponse)) or not (
        hasattr(value, "__aiter__") or hasattr(value, "__iter__")
    ):
        return value
    if isinstance(value, (str, bytes, dict)):
        return value
    return EventSourceResponse(value)


def event_source(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an SSE route's handler so an iterator (or a generator function's result)
    becomes an ``EventSourceResponse``; other answers (a ``Response``, an exception) pass."""
    if inspect.isasyncgenfunction(handler) or inspect.isgeneratorfunction(handler):

        @functools.wraps(handler)
        def generator(*args: Any, **kwargs: Any) -> Any:
            return EventSourceResponse(handler(*args, **kwargs))

        return generator
    if inspect.iscoroutinefunction(handler):

        @functools.wraps(handler)
        async def coroutine(*args: Any, **kwargs: Any) -> Any:
            return _as_response(await handler(*args, **kwargs))

        return coroutine

    @functools.wraps(handler)
    def function(*args: Any, **kwargs: Any) -> Any:
        return _as_response(handler(*args, **kwargs))

    return function
