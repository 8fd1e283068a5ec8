"""Spikard: a Rust-powered web framework for Python.

::

    from spikard import Spikard, get

    app = Spikard()

    @get("/hello/{name}")
    def hello(name: str, excited: bool = False) -> dict:
        return {"greeting": f"Hello, {name}{'!' if excited else ''}"}

    if __name__ == "__main__":
        app.run(port=8000)

Routing, parameter coercion, validation and error responses run in Rust; handlers
(sync or ``async``) receive typed arguments built from their annotations.
"""

from spikard import _support  # noqa: F401 - registers the package's objects with the extension
from spikard.app import Spikard, current_app, delete, get, head, options, patch, post, put
from spikard.config import ServerConfig
from spikard.di import Dependency, Depends, Provide
from spikard.exceptions import (
    ConfigError,
    HTTPException,
    ResponseValidationError,
    RouteError,
    ServerError,
    SpikardError,
)
from spikard.params import Body, Cookie, File, Form, Header, Path, Query
from spikard.requests import HookRequest, Request
from spikard.responses import (
    EventSourceResponse,
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    SseEvent,
    StreamingResponse,
)
from spikard.routing import Router
from spikard.uploads import UploadFile
from spikard.websocket import WebSocket, WebSocketDisconnect

__all__ = [
    "Body",
    "ConfigError",
    "Cookie",
    "Dependency",
    "Depends",
    "EventSourceResponse",
    "File",
    "FileResponse",
    "Form",
    "HTMLResponse",
    "HTTPException",
    "Header",
    "HookRequest",
    "JSONResponse",
    "Path",
    "PlainTextResponse",
    "Provide",
    "Query",
    "RedirectResponse",
    "Request",
    "Response",
    "ResponseValidationError",
    "RouteError",
    "Router",
    "ServerConfig",
    "ServerError",
    "Spikard",
    "SpikardError",
    "SseEvent",
    "StreamingResponse",
    "UploadFile",
    "WebSocket",
    "WebSocketDisconnect",
    "current_app",
    "delete",
    "get",
    "head",
    "options",
    "patch",
    "post",
    "put",
]
