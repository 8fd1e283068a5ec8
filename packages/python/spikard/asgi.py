"""ASGI 3 applications (FastAPI, Starlette, any ``async def app(scope, receive, send)``)
on Spikard's Rust server.

::

    from spikard import Spikard
    from legacy import app as fastapi_app

    app = Spikard()
    app.mount("/legacy", fastapi_app)      # everything under /legacy goes to FastAPI

    @app.get("/legacy/users/{user_id:int}")  # ...except what Spikard routes natively
    def get_user(user_id: int) -> dict[str, int]: ...

or ``spikard serve module:app`` for the whole app (``spikard.cli``). The core parses,
limits and routes requests, runs the server-wide middleware and builds the ``scope``
(``crates/spikard-py/src/asgi.rs``); this module runs the app on the package's event loop
with ``receive``/``send`` over the core's channel, and runs its lifespan.

``receive()`` gives the body as ``http.request`` messages (a body up to 64 KiB in one),
then ``http.disconnect`` once the response is complete or the client left; ``send()``
takes ``http.response.start`` and ``http.response.body`` (waiting while the client is
not reading) and raises ``ClientDisconnected`` (an ``OSError``) once the client left.
Trailers and WebSocket connections are not offered. An exception before the response
started is a logged 500 problem; no response started within ``start_timeout`` seconds is
a 504 problem.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Literal

from spikard._spikard import AsgiChannel, ClientDisconnected

__all__ = ["ASGIApp", "ClientDisconnected", "Lifespan", "LifespanFailed", "serve_http"]

#: An ASGI 3 application.
ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[MutableMapping[str, Any]]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]

logger = logging.getLogger("spikard.asgi")


def _wake(future: asyncio.Future[Any], value: Any) -> None:
    """Resolve a ``receive``/``send`` wait (scheduled on the loop by the core)."""
    if not future.done():
        future.set_result(value)


async def serve_http(app: ASGIApp, scope: dict[str, Any], channel: AsgiChannel) -> None:
    """Run ``app`` for one HTTP request (called by the core with the scope it built)."""
    loop = asyncio.get_running_loop()

    async def receive() -> dict[str, Any]:
        message = channel.receive()
        if message is None:
            future: asyncio.Future[dict[str, Any]] = loop.create_future()
            channel.wait(future)
            message = await future
        return message

    async def send(message: Any) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            headers = [(bytes(k), bytes(v)) for k, v in message.get("headers") or ()]
            channel.start(int(message["status"]), headers, bool(message.get("trailers", False)))
        elif kind == "http.response.body":
            body = bytes(message.get("body", b""))
            more = bool(message.get("more_body", False))
            while not channel.body(body, more):
                future: asyncio.Future[None] = loop.create_future()
                channel.writable(future)
                await future
        else:
            raise RuntimeError(f"unexpected ASGI message {kind!r} on an HTTP connection")

    await app(scope, receive, send)


class LifespanFailed(RuntimeError):
    """The app's lifespan startup (or shutdown) failed, with ``lifespan="on"``, or it
    reported ``lifespan.startup.failed``."""


class Lifespan:
    """An app's lifespan protocol: ``startup()`` before serving, ``shutdown()`` after;
    ``state`` is what the app stored in ``scope["state"]`` (each request gets a shallow
    copy). ``mode``: ``"auto"`` (an app that does not speak lifespan is served anyway),
    ``"on"`` (it must) or ``"off"``."""

    def __init__(self, app: ASGIApp, mode: Literal["auto", "on", "off"] = "auto") -> None:
        if mode not in {"auto", "on", "off"}:
            raise ValueError(f"lifespan is 'auto', 'on' or 'off', not {mode!r}")
        self.app = app
        self.mode = mode
        self.state: dict[str, Any] = {}
        self._inbox: asyncio.Queue[dict[str, Any]] | None = None
        self._outbox: asyncio.Queue[dict[str, Any]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._unsupported = mode == "off"

    async def startup(self) -> None:
        if self._unsupported:
            return
        self._inbox, self._outbox = asyncio.Queue(), asyncio.Queue()
        self._task = asyncio.get_running_loop().create_task(self._main())
        await self._inbox.put({"type": "lifespan.startup"})
        await self._expect("startup")

    async def shutdown(self) -> None:
        if self._unsupported or self._inbox is None or self._task is None or self._task.done():
            return
        await self._inbox.put({"type": "lifespan.shutdown"})
        await self._expect("shutdown")
        await self._task

    async def _main(self) -> None:
        assert self._inbox is not None
        assert self._outbox is not None
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": self.state}
        try:
            await self.app(scope, self._inbox.get, self._outbox.put)
        except BaseException as e:  # reported to whoever waits, as uvicorn does
            await self._outbox.put({"type": "_raised", "error": e})
        else:
            await self._outbox.put({"type": "_returned"})

    async def _expect(self, phase: str) -> None:
        assert self._outbox is not None
        message = await self._outbox.get()
        kind = message["type"]
        if kind == f"lifespan.{phase}.complete":
            return
        if kind == f"lifespan.{phase}.failed":
            raise LifespanFailed(f"lifespan {phase} failed: {message.get('message', '')}")
        if kind in {"_raised", "_returned"} and phase == "startup" and self.mode == "auto":
            # The app does not speak lifespan (it raised on the scope, or returned): serve it without.
            self._unsupported = True
            if kind == "_raised":
                logger.info("ASGI 'lifespan' protocol appears unsupported (%r)", message["error"])
            return
        error = message.get("error")
        raise LifespanFailed(f"lifespan {phase}: the application {'raised ' + repr(error) if error else 'returned'}")
