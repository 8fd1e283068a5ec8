"""In-memory test clients driving the real Rust pipeline (no socket).

::

    from spikard.testing import TestClient

    client = TestClient(app)
    res = client.post("/items", json={"name": "x"})
    assert res.status_code == 201 and res.json()["name"] == "x"

``AsyncTestClient`` has the same methods as coroutines, for async tests. A client
sees the routes registered when it was created. Responses expose ``status_code``,
``headers`` (lowercase names; ``get_all(name)`` for repeated ones), ``text``,
``json()`` and ``body_bytes``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from spikard._bodies import encode_json
from spikard._spikard import TestStream, TestWebSocket
from spikard.uploads import UploadFile

if TYPE_CHECKING:
    from types import TracebackType

    from spikard.app import Spikard

__all__ = ["AsyncTestClient", "TestClient", "TestResponse", "TestStreamResponse", "TestWebSocket"]

_UNSET: Any = object()

Pairs = Mapping[str, Any] | Iterable[tuple[str, Any]]
FileValue = UploadFile | tuple[str, bytes | str] | tuple[str, bytes | str, str]


def _pairs(values: Pairs | None) -> list[tuple[str, str]]:
    if values is None:
        return []
    items = values.items() if isinstance(values, Mapping) else values
    out: list[tuple[str, str]] = []
    for key, value in items:
        if isinstance(value, list | tuple):
            out.extend((key, _text(v)) for v in value)
        else:
            out.append((key, _text(value)))
    return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _upload(field: str, value: FileValue) -> UploadFile:
    if isinstance(value, UploadFile):
        return UploadFile(value.filename, value.read(), value.content_type, field)
    filename, content, *rest = value
    data = content.encode() if isinstance(content, str) else bytes(content)
    return UploadFile(filename, data, rest[0] if rest else "application/octet-stream", field)


Files = Mapping[str, FileValue | list[FileValue]] | Iterable[tuple[str, FileValue]]


def _uploads(files: Files) -> list[UploadFile]:
    items = files.items() if isinstance(files, Mapping) else files
    out: list[UploadFile] = []
    for field, value in items:
        values = value if isinstance(value, list) else [value]
        out.extend(_upload(field, v) for v in values)
    return out


class TestResponse:
    """A response, fully read: ``status_code``, ``headers`` (lowercase names; a repeated
    header's values joined with ``, ``), ``get_all(name)``, ``body_bytes``, ``text`` and
    ``json()``."""

    __test__ = False
    __slots__ = ("body_bytes", "header_list", "status_code")

    def __init__(self, status_code: int, header_list: list[tuple[str, str]], body: bytes) -> None:
        self.status_code = status_code
        #: Every header as ``(lowercase name, value)``, in order (repeats kept).
        self.header_list = header_list
        self.body_bytes = body

    @property
    def headers(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, value in self.header_list:
            out[name] = f"{out[name]}, {value}" if name in out else value
        return out

    def get_all(self, name: str) -> list[str]:
        """Every value of a header (case-insensitive)."""
        return [v for k, v in self.header_list if k.lower() == name.lower()]

    @property
    def content(self) -> bytes:
        """The body bytes (httpx's and Starlette's ``TestClient`` name)."""
        return self.body_bytes

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (invalid sequences replaced)."""
        return self.body_bytes.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON; raises ``ValueError`` if it is not JSON."""
        try:
            return json.loads(self.body_bytes)
        except (ValueError, UnicodeDecodeError) as e:
            raise ValueError(f"body is not JSON: {e}") from e

    def __repr__(self) -> str:
        return f"<TestResponse {self.status_code}>"


class TestStreamResponse:
    """A response read as it arrives: chunk by chunk (``next_chunk()``) or event by event
    (``next_event()``, ``next_event_text()``), each ``None`` at the end. ``close()`` (or
    leaving a ``with`` block) drops it as a client that disconnects would: the server stops
    the stream (closing its iterator) and later reads return ``None``."""

    __test__ = False
    __slots__ = ("_stream", "header_list", "status_code")

    def __init__(self, status_code: int, header_list: list[tuple[str, str]], stream: TestStream) -> None:
        self.status_code = status_code
        #: Every header as ``(lowercase name, value)``, in order.
        self.header_list = header_list
        self._stream = stream

    @property
    def headers(self) -> dict[str, str]:
        """Headers by lowercase name (the last value of a repeated header)."""
        return dict(self.header_list)

    def next_chunk(self) -> bytes | None:
        """The next chunk; ``None`` at the end. Raises ``ValueError`` when the stream failed."""
        return self._stream.next_chunk()

    def next_event_text(self) -> str | None:
        """The next event block exactly as sent (with its blank line); ``None`` at the end."""
        return self._stream.next_event_text()

    def next_event(self) -> dict[str, Any] | None:
        """The next event as a dict (``event``, ``id``, ``data``, ``retry``, ``comments``); ``None`` at the end."""
        event = self._stream.next_event()
        if event is None:
            return None
        return dict(zip(("event", "id", "data", "retry", "comments"), event, strict=True))

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> TestStreamResponse:
        return self

    def __exit__(
        self, _exc_type: type[BaseException] | None, _exc: BaseException | None, _traceback: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<TestStreamResponse {self.status_code}>"


class TestClient:
    """Synchronous in-memory client."""

    __test__ = False  # not a pytest test class

    def __init__(self, app: Spikard) -> None:
        self._app = app
        self._client = app._core.test_client()

    def __enter__(self) -> TestClient:
        """Run the lifespan startup of the app's mounted ASGI apps (as Starlette's client does)."""
        self._app.startup()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._app.shutdown()

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Pairs | None = None,
        headers: Pairs | None = None,
        cookies: Mapping[str, Any] | None = None,
        json: Any = _UNSET,
        data: Pairs | None = None,
        files: Files | None = None,
        content: bytes | str | None = None,
    ) -> TestResponse:
        """Send a request: ``json`` (encoded), ``data`` (urlencoded, or multipart fields when
        ``files`` is given, even empty) or raw ``content``; ``params`` extend the query string.
        ``files`` maps a field to ``(filename, content[, content_type])``, an ``UploadFile``
        or a list of them, or is a list of ``(field, file)`` pairs."""
        query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in _pairs(params))
        if query:
            url = f"{url}{'&' if '?' in url else '?'}{query}"
        header_list = _pairs(headers)
        if cookies:
            header_list.append(("cookie", "; ".join(f"{k}={_text(v)}" for k, v in cookies.items())))
        has_type = any(k.lower() == "content-type" for k, _ in header_list)
        body: bytes | None = None
        form = multipart = None
        if files is not None:
            multipart = (_pairs(data), _uploads(files))
        elif data is not None:
            form = _pairs(data)
        elif json is not _UNSET:
            body = encode_json(json)
            if not has_type:
                header_list.append(("content-type", "application/json"))
        elif content is not None:
            body = content.encode() if isinstance(content, str) else bytes(content)
        return TestResponse(*self._client.request(method.upper(), url, header_list, body, form, multipart))

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        return self.request("GET", url, **kwargs)

    def websocket_connect(self, url: str, *, headers: Pairs | None = None) -> TestWebSocket:
        """Open an in-memory WebSocket: ``send_text/send_bytes/send_json``, ``receive()``
        (``("text", str)``, ``("bytes", bytes)``, ``("close", (code, reason))`` or ``None``),
        ``close(code, reason)``. Raises ``ValueError`` when the upgrade is refused."""
        return self._client.websocket(url, _pairs(headers))

    def stream(self, method: str, url: str, *, headers: Pairs | None = None) -> TestStreamResponse:
        """Send a bodiless request and read the response as it arrives: ``next_chunk()``,
        ``next_event()`` (a dict of ``event``, ``id``, ``data``, ``retry``, ``comments``) or
        ``next_event_text()``, each ``None`` at the end (for endless streams and SSE)."""
        return TestStreamResponse(*self._client.stream(method.upper(), url, _pairs(headers)))

    def post(self, url: str, **kwargs: Any) -> TestResponse:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> TestResponse:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> TestResponse:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> TestResponse:
        return self.request("DELETE", url, **kwargs)

    def head(self, url: str, **kwargs: Any) -> TestResponse:
        return self.request("HEAD", url, **kwargs)

    def options(self, url: str, **kwargs: Any) -> TestResponse:
        return self.request("OPTIONS", url, **kwargs)


class AsyncTestClient:
    """Asynchronous in-memory client: the same methods, awaited (the pipeline runs off the caller's loop)."""

    __test__ = False

    def __init__(self, app: Spikard) -> None:
        self._sync = TestClient(app)

    async def __aenter__(self) -> AsyncTestClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        return None

    async def request(self, method: str, url: str, **kwargs: Any) -> TestResponse:
        return await asyncio.to_thread(self._sync.request, method, url, **kwargs)

    async def get(self, url: str, **kwargs: Any) -> TestResponse:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> TestResponse:
        return await self.request("POST", url, **kwargs)

    async def put(self, url: str, **kwargs: Any) -> TestResponse:
        return await self.request("PUT", url, **kwargs)

    async def patch(self, url: str, **kwargs: Any) -> TestResponse:
        return await self.request("PATCH", url, **kwargs)

    async def delete(self, url: str, **kwargs: Any) -> TestResponse:
        return await self.request("DELETE", url, **kwargs)

    async def head(self, url: str, **kwargs: Any) -> TestResponse:
        return await self.request("HEAD", url, **kwargs)

    async def options(self, url: str, **kwargs: Any) -> TestResponse:
        return await self.request("OPTIONS", url, **kwargs)
