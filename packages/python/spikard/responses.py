"""What a handler may return besides plain values (see ``spikard.app``):

- ``Response(content, status_code, headers, cookies, media_type)``: content ``str``
  (``text/plain``), ``bytes`` (``application/octet-stream``), ``None`` (empty) or any
  JSON-convertible value; ``set_cookie(...)`` adds a ``Set-Cookie`` header;
- ``HTMLResponse``, ``PlainTextResponse``, ``JSONResponse`` (a media type set) and
  ``RedirectResponse(url, status_code=307)`` (a ``Location`` header), as in Starlette;
- ``FileResponse(path, filename=..., media_type=...)``: a file read when the response is
  sent (streamed beyond 256 KiB), with ``ETag``/``Last-Modified``, 304s, byte ranges
  (206/416) and the content type by extension, answered by the core;
- ``StreamingResponse(iterable, status_code, headers, media_type)``: a sync or async
  iterator of ``bytes``/``str`` chunks, pulled as the client reads;
- ``EventSourceResponse(iterable, status_code, headers, keep_alive)``: server-sent
  events: ``SseEvent``s, dicts with the same keys or bare data.

The extension recognises these classes (``spikard._support``) and reads their
attributes once per response; formatting, validation and streaming happen in Rust.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any, ClassVar, Literal

from spikard import _spikard

__all__ = [
    "EventSourceResponse",
    "FileResponse",
    "HTMLResponse",
    "JSONResponse",
    "PlainTextResponse",
    "RedirectResponse",
    "Response",
    "SseEvent",
    "StreamingResponse",
]


def _status(status_code: int) -> int:
    if not 100 <= status_code <= 999:
        raise ValueError(f"invalid status {status_code}")
    return status_code


class Response:
    """An explicit response: content, status, headers (a value or a list of values per
    name), cookies and media type (a ``content-type`` header wins)."""

    __slots__ = ("_cookies", "content", "headers", "media_type", "status_code")
    #: The media type the class sends its content as (``None``: from the content).
    default_media_type: ClassVar[str | None] = None

    def __init__(
        self,
        content: Any = None,
        status_code: int = 200,
        headers: dict[str, Any] | None = None,
        cookies: dict[str, Any] | None = None,
        media_type: str | None = None,
    ) -> None:
        self.content = content
        self.status_code = _status(status_code)
        self.headers: dict[str, Any] = dict(headers or {})
        self.media_type = media_type
        self._cookies = [_spikard.cookie_header({"name": k, "value": str(v)}) for k, v in (cookies or {}).items()]

    def set_cookie(  # noqa: PLR0917 - the positional order of Starlette's set_cookie
        self,
        key: str,
        value: str = "",
        max_age: int | None = None,
        path: str | None = None,
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
    ) -> None:
        """Add a ``Set-Cookie`` header."""
        cookie: dict[str, Any] = {"name": key, "value": value, "max_age": max_age, "path": path, "domain": domain}
        cookie.update(secure=secure, http_only=httponly, same_site=samesite)
        self._cookies.append(_spikard.cookie_header(cookie))

    @property
    def cookies(self) -> list[str]:
        """The ``Set-Cookie`` header values this response will send."""
        return list(self._cookies)

    def __repr__(self) -> str:
        return f"<Response {self.status_code}>"


class HTMLResponse(Response):
    """An HTML page: ``text/html; charset=utf-8``."""

    __slots__ = ()
    default_media_type = "text/html; charset=utf-8"

    def __init__(
        self,
        content: str | bytes = "",
        status_code: int = 200,
        headers: dict[str, Any] | None = None,
        cookies: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(content, status_code, headers, cookies, self.default_media_type)


class PlainTextResponse(Response):
    """Plain text: ``text/plain; charset=utf-8``."""

    __slots__ = ()
    default_media_type = "text/plain; charset=utf-8"

    def __init__(
        self,
        content: str | bytes = "",
        status_code: int = 200,
        headers: dict[str, Any] | None = None,
        cookies: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(content, status_code, headers, cookies, self.default_media_type)


class JSONResponse(Response):
    """A JSON value (what a plain return value is), with a status, headers or cookies.
    A ``str`` is sent as a JSON string (``"abc"`` with its quotes), unlike ``Response``."""

    __slots__ = ()
    default_media_type = "application/json"

    def __init__(
        self,
        content: Any = None,
        status_code: int = 200,
        headers: dict[str, Any] | None = None,
        cookies: dict[str, Any] | None = None,
    ) -> None:
        if isinstance(content, str):
            content = json.dumps(content, ensure_ascii=False).encode()
        super().__init__(content, status_code, headers, cookies, self.default_media_type)


class FileResponse(Response):
    """A file, as Starlette's: ``path`` is read when the response is sent; ``filename``
    names the download (``Content-Disposition: attachment``, or ``inline`` with
    ``content_disposition_type="inline"``); the media type is ``media_type`` or guessed
    from ``filename`` or the path. ``ETag``, ``Last-Modified``, conditional requests
    (304) and single byte ranges (206, 416) are the core's, as for static files. A path
    that is not a readable file is the application's error: a logged 500."""

    __slots__ = ("content_disposition_type", "filename", "path")

    def __init__(  # noqa: PLR0917 - Starlette's signature
        self,
        path: str | os.PathLike[str],
        status_code: int = 200,
        headers: dict[str, Any] | None = None,
        media_type: str | None = None,
        filename: str | None = None,
        content_disposition_type: Literal["attachment", "inline"] = "attachment",
        cookies: dict[str, Any] | None = None,
    ) -> None:
        if content_disposition_type not in {"attachment", "inline"}:
            raise ValueError(f"content_disposition_type is 'attachment' or 'inline', not {content_disposition_type!r}")
        super().__init__(None, status_code, headers, cookies, media_type)
        self.path = os.fspath(path)
        self.filename = filename
        self.content_disposition_type = content_disposition_type

    def __repr__(self) -> str:
        return f"<FileResponse {self.status_code} {self.path!r}>"


class RedirectResponse(Response):
    """A redirect to ``url`` (``Location``), ``307 Temporary Redirect`` unless told
    otherwise (``301``, ``302``, ``303``, ``308``), with an empty body."""

    __slots__ = ()

    def __init__(
        self,
        url: str,
        status_code: int = 307,
        headers: dict[str, Any] | None = None,
        cookies: dict[str, Any] | None = None,
    ) -> None:
        if not 300 <= status_code < 400:
            raise ValueError(f"a redirect has a 3xx status, not {status_code}")
        super().__init__(None, status_code, {**(headers or {}), "location": url}, cookies)


def _iterable(content: Any) -> Any:
    if not (hasattr(content, "__aiter__") or hasattr(content, "__iter__")):
        raise TypeError(f"'{type(content).__name__}' object is not iterable")
    return content


class StreamingResponse:
    """A body produced chunk by chunk (``bytes`` or ``str``) by a sync or async iterator."""

    __slots__ = ("content", "headers", "media_type", "status_code")

    def __init__(
        self,
        content: Any,
        status_code: int = 200,
        headers: dict[str, Any] | None = None,
        media_type: str | None = None,
    ) -> None:
        self.content = _iterable(content)
        self.status_code = _status(status_code)
        self.headers: dict[str, Any] = dict(headers or {})
        self.media_type = media_type

    def __repr__(self) -> str:
        return f"<StreamingResponse {self.status_code}>"


class SseEvent:
    """One server-sent event; every field optional. ``data`` that is not a ``str`` is
    sent as JSON; ``retry`` is the reconnection delay in milliseconds; a ``comment`` line
    is ignored by clients."""

    __slots__ = ("comment", "data", "event", "id", "retry")

    def __init__(
        self,
        data: Any = None,
        event: str | None = None,
        id: str | None = None,
        retry: int | None = None,
        comment: str | None = None,
    ) -> None:
        self.data = data
        self.event = event
        self.id = id
        self.retry = retry
        self.comment = comment

    def __repr__(self) -> str:
        return f"<SseEvent event={self.event!r} id={self.id!r}>"


class EventSourceResponse:
    """A ``text/event-stream`` response of the events an iterator yields; ``keep_alive``
    sends a comment after that many seconds without an event."""

    __slots__ = ("content", "headers", "keep_alive", "status_code")

    def __init__(
        self,
        content: Any,
        status_code: int = 200,
        headers: dict[str, Any] | None = None,
        keep_alive: float | None = None,
    ) -> None:
        if keep_alive is not None and not (math.isfinite(keep_alive) and keep_alive > 0):
            raise ValueError("keep_alive must be a positive number of seconds")
        self.content = _iterable(content)
        self.status_code = _status(status_code)
        self.headers: dict[str, Any] = dict(headers or {})
        self.keep_alive = keep_alive

    def __repr__(self) -> str:
        return f"<EventSourceResponse {self.status_code}>"
