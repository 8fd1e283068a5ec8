"""The request objects handlers and hooks may ask for.

A handler parameter annotated ``Request`` (or an unannotated one named ``request``) gets
the validated request: ``await request.json()``, ``await request.body()`` and
``await request.form()`` as in Starlette, or ``get_json()``, ``get_data()`` and
``get_form()`` in a ``def`` handler; a response hook taking a second argument gets the ``HookRequest``.
Each part of a ``Request`` is converted from the Rust core's request on first access and
cached (``spikard._spikard.RequestView``), so a handler only pays for what it reads.
"""

from __future__ import annotations

import time
from typing import Any

from spikard._spikard import RequestView
from spikard.uploads import UploadFile

__all__ = ["HookRequest", "QueryParams", "Request"]


class QueryParams(dict[str, Any]):
    """The query parameters by name (see ``Request.query_params``), with every value sent."""

    __slots__ = ("_pairs",)

    def __init__(self, params: dict[str, Any], pairs: list[tuple[str, str]]) -> None:
        super().__init__(params)
        self._pairs = pairs

    def getlist(self, key: str) -> list[str]:
        """Every value sent for ``key``, in order, as sent (``[]`` when none)."""
        return [v for k, v in self._pairs if k == key]

    def multi_items(self) -> list[tuple[str, str]]:
        """Every ``(key, value)`` pair sent, in order."""
        return list(self._pairs)


class Request:
    """A validated request: read-only, except ``state`` and the headers to add to the
    response (``reply_header``). Built by the extension, which sets ``_view``."""

    __slots__ = ("_view",)
    _view: RequestView

    @property
    def method(self) -> str:
        """The HTTP method, upper case."""
        return self._view.get("method")

    @property
    def path(self) -> str:
        """The percent-decoded path."""
        return self._view.get("path")

    @property
    def path_params(self) -> dict[str, Any]:
        """Path parameters, coerced to their declared types."""
        return self._view.get("path_params")

    @property
    def query_params(self) -> QueryParams:
        """Declared query parameters (coerced, defaults applied), plus undeclared ones as
        sent (a repeated undeclared key gives a list); ``getlist(key)`` and
        ``multi_items()`` give every value sent, as Starlette's do."""
        return QueryParams(self._view.get("query_params"), self._view.get("raw_query"))

    @property
    def raw_query(self) -> list[tuple[str, str]]:
        """Every query pair as sent, in order."""
        return self._view.get("raw_query")

    @property
    def headers(self) -> dict[str, str]:
        """Request headers by lowercase name; repeated headers are joined with ``, ``."""
        return self._view.get("headers")

    @property
    def cookies(self) -> dict[str, str]:
        """Cookies sent with the request."""
        return self._view.get("cookies")

    async def body(self) -> bytes:
        """The body bytes as received (Starlette's ``await request.body()``); the core has
        read the whole body before the handler runs, so this never waits."""
        return self.get_data()

    async def json(self) -> Any:
        """The decoded, validated body (Starlette's ``await request.json()``): see ``get_json``."""
        return self.get_json()

    async def form(self) -> dict[str, Any]:
        """The decoded form fields (Starlette's ``await request.form()``): see ``get_form``."""
        return self.get_form()

    def get_data(self) -> bytes:
        """The body bytes as received, without awaiting (for ``def`` handlers)."""
        return self._view.get("body")

    def get_json(self) -> Any:
        """The decoded, validated body (JSON, or a form's fields); ``None`` when absent.
        Converted on the first call; later calls return the same object."""
        return self._view.get("json")

    def get_form(self) -> dict[str, Any]:
        """The decoded form fields (urlencoded or multipart; files appear as their metadata)."""
        return self._view.get("form")

    @property
    def files(self) -> list[UploadFile]:
        """Uploaded multipart files, in body order."""
        return self._view.get("files")

    @property
    def client(self) -> str | None:
        """The client's IP address (the peer, or the forwarded one behind a trusted proxy); ``None`` in memory."""
        return self._view.get("client")

    @property
    def state(self) -> dict[str, Any]:
        """Per-request state: values hooks and middleware handed over, then free for application code."""
        return self._view.get("state")

    def reply_header(self, name: str, value: str) -> None:
        """Add a header to the response this request gets, whatever answers it (a hook's
        early answer, the handler, an error); repeated names are all sent."""
        self._view.reply_header(name, value)

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.path}>"


class HookRequest:
    """What a response hook knows of the request behind the response."""

    __slots__ = ("_start", "method", "path", "state")

    def __init__(self, method: str, path: str, state: dict[str, Any], elapsed: float) -> None:
        self.method = method
        self.path = path
        #: The request ``state`` as the request hooks and the handler's middleware left it.
        self.state = state
        self._start = time.perf_counter() - elapsed

    @property
    def elapsed(self) -> float:
        """Seconds since the request arrived."""
        return time.perf_counter() - self._start

    def __repr__(self) -> str:
        return f"<HookRequest {self.method} {self.path}>"
