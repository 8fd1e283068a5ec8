"""WebSocket routes, in the style FastAPI and Litestar users know::

    from spikard import Spikard, WebSocket, WebSocketDisconnect

    app = Spikard()

    @app.websocket("/chat/{room}", message_schema={"type": "object", "required": ["text"]})
    async def chat(websocket: WebSocket, room: str) -> None:
        while True:
            message = await websocket.receive_json()
            await websocket.send_json({"room": room, **message})

The Rust core does the handshake, answers pings, enforces ``max_message_size`` (close
1009), refuses invalid UTF-8 (1007) and validates incoming JSON against
``message_schema`` (an error frame is sent and the connection stays open), so the
handler only sees accepted messages. It runs as one task on the asyncio loop; when it
returns the connection is closed with 1000, when it raises with 1011. ``receive*``
raises ``WebSocketDisconnect`` once the client closed.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from spikard._bodies import encode_json
from spikard._spikard import WebSocketConnection

if TYPE_CHECKING:
    import asyncio

__all__ = ["WebSocket", "WebSocketDisconnect"]

_log = logging.getLogger("spikard")

#: Messages waiting for the handler before the core stops reading from the client.
QUEUE_SIZE = 16


class WebSocketDisconnect(Exception):
    """The client closed the connection (``code``, ``reason``)."""

    def __init__(self, code: int = 1000, reason: str = "") -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


class _Closed:
    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        self.reason = reason


class WebSocket:
    """One connection: receive the messages the core accepted, send, close."""

    def __init__(self, connection: WebSocketConnection) -> None:
        import asyncio  # noqa: PLC0415 - apps without WebSockets or async code never load asyncio (nor ssl)

        self._conn = connection
        self._request = connection.request
        self._queue: asyncio.Queue[str | bytes | _Closed] = asyncio.Queue(QUEUE_SIZE)
        self._closed: _Closed | None = None
        self.closed_by_server = False

    @property
    def path(self) -> str:
        return self._request.path

    @property
    def path_params(self) -> dict[str, Any]:
        return self._request.path_params

    @property
    def query_params(self) -> dict[str, Any]:
        return self._request.query_params

    @property
    def headers(self) -> dict[str, Any]:
        return self._request.headers

    async def accept(self) -> None:
        """The core completed the handshake already; kept so FastAPI-style handlers run unchanged."""

    async def receive(self) -> str | bytes:
        """The next message: ``str`` for text (and validated JSON), ``bytes`` for binary."""
        if self._closed is not None and self._queue.empty():
            raise WebSocketDisconnect(self._closed.code, self._closed.reason)
        item = await self._queue.get()
        if isinstance(item, _Closed):
            raise WebSocketDisconnect(item.code, item.reason)
        return item

    async def receive_text(self) -> str:
        message = await self.receive()
        if not isinstance(message, str):
            raise TypeError("expected a text message, got a binary one")
        return message

    async def receive_bytes(self) -> bytes:
        message = await self.receive()
        return message.encode() if isinstance(message, str) else message

    async def receive_json(self) -> Any:
        return json.loads(await self.receive_text())

    async def send_text(self, text: str) -> None:
        await self._conn.send(text)

    async def send_bytes(self, data: bytes) -> None:
        await self._conn.send(bytes(data))

    async def send_json(self, value: Any) -> None:
        """Send a value as one JSON text frame."""
        await self._conn.send(encode_json(value).decode())

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closed_by_server = True
        await self._conn.close(code, reason)


class _Session:
    """What the core drives per connection (``start``, ``push``, ``closed``)."""

    def __init__(self, handler: Callable[..., Any], params: tuple[str, ...], connection: WebSocketConnection) -> None:
        self.websocket = WebSocket(connection)
        self._handler = handler
        self._params = params
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        import asyncio  # noqa: PLC0415 - see WebSocket.__init__

        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        ws = self.websocket
        path_params = ws.path_params
        kwargs = {name: path_params[name] for name in self._params if name in path_params}
        try:
            await self._handler(ws, **kwargs)
        except WebSocketDisconnect:
            return
        except Exception:
            _log.exception("WebSocket handler %s raised", getattr(self._handler, "__qualname__", self._handler))
            if ws._closed is None and not ws.closed_by_server:
                await ws.close(1011, "Internal error")
            return
        if ws._closed is None and not ws.closed_by_server:
            await ws.close(1000)

    async def push(self, message: str | bytes) -> None:
        if self._task is not None and self._task.done():
            return
        await self.websocket._queue.put(message)

    async def closed(self, code: int, reason: str) -> None:
        ws = self.websocket
        ws._closed = _Closed(code, reason)
        if not ws._queue.full():
            ws._queue.put_nowait(ws._closed)
        elif self._task is not None:
            self._task.cancel()


def session_factory(handler: Callable[..., Any]) -> Callable[[WebSocketConnection], _Session]:
    """The factory the core calls per connection for ``handler(websocket, **path_params)``."""
    if not inspect.iscoroutinefunction(handler):
        raise TypeError("a WebSocket handler must be an async function")
    params = tuple(inspect.signature(handler).parameters)[1:]
    return lambda connection: _Session(handler, params, connection)
