"""Background work started by a handler and run after the response, by the Rust core's
task runner (bounded by ``ServerConfig.background.max_concurrent``, failures logged with
their traceback, drained on graceful shutdown)::

    from spikard import background, post

    async def send_welcome(email: str) -> None: ...

    @post("/users")
    async def create_user(user: User) -> dict:
        background.run(send_welcome, user.email)
        return {"created": True}

``run`` accepts a coroutine function (called with the arguments, then run on the asyncio
loop), a coroutine object, or a plain callable (run on a worker thread).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable
from typing import Any

from spikard import _spikard, _support

_spikard.enable_background()


def run(task: Callable[..., Any] | Any, /, *args: Any, **kwargs: Any) -> bool:
    """Start ``task(*args, **kwargs)`` in the background of the current request.

    Returns ``False`` when the server is shutting down and refuses new work; raises
    ``RuntimeError`` outside a handler.
    """
    runner = _support.background.get(None)
    if runner is None:
        raise RuntimeError("background.run is only available while a request is being handled")
    name = getattr(task, "__qualname__", "background task")
    if inspect.iscoroutine(task):
        return bool(runner.spawn_coroutine(task, name))
    if inspect.iscoroutinefunction(task):
        return bool(runner.spawn_coroutine(task(*args, **kwargs), name))
    return bool(runner.spawn_coroutine(asyncio.to_thread(functools.partial(task, *args, **kwargs)), name))


__all__ = ["run"]
