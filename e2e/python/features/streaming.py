"""Fixtures with a ``streaming`` section (mirrors ``e2e/rust/src/features/streaming.rs``):
the handler streams the given chunks (``{"type": "text", "value"}`` as UTF-8,
``{"type": "bytes", "base64"}`` decoded) through ``StreamingResponse`` with the
section's ``content_type``. The body must equal the chunks' concatenation byte for
byte; the fixture's ``expected_response.body`` string is only a display of it."""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import AsyncIterator, Callable
from typing import Any

from fixture import Fixture
from spikard import Request, Spikard, StreamingResponse

MIDDLEWARE_HEADERS = ("vary", "content-encoding", "content-length", "x-request-id", "transfer-encoding")


class ChunkError(ValueError):
    """A malformed ``streaming.chunks`` entry."""


def chunks(f: Fixture) -> list[bytes] | None:
    """The decoded chunks of the fixture's ``streaming`` section (``None`` without one)."""
    section = f.data.get("streaming")
    items = section.get("chunks") if isinstance(section, dict) else None
    if not isinstance(items, list):
        return None
    out = []
    for i, c in enumerate(items):
        kind = c.get("type") if isinstance(c, dict) else None
        if kind == "text" and isinstance(c.get("value"), str):
            out.append(c["value"].encode())
        elif kind == "bytes" and isinstance(c.get("base64"), str):
            try:
                out.append(base64.b64decode(c["base64"], validate=True))
            except binascii.Error as e:
                raise ChunkError(f"streaming chunk {i}: invalid base64: {e}") from e
        else:
            raise ChunkError(f"streaming chunk {i}: unknown type {kind!r} or missing value")
    return out


def expected_body(f: Fixture) -> bytes | None:
    """The body a streaming fixture expects: every chunk, in order."""
    try:
        parts = chunks(f)
    except ChunkError:
        return None
    return None if parts is None else b"".join(parts)


def build(f: Fixture, app: Spikard) -> Callable[..., Any] | None:
    """The handler of a ``streaming`` fixture (chunks from an async generator); ``None`` otherwise."""
    parts = chunks(f)
    if parts is None:
        return None
    expected = f.expected
    status = int(expected.get("status_code") or 200)
    content_type = (
        f.data["streaming"].get("content_type")
        or (expected.get("headers") or {}).get("content-type")
        or "application/octet-stream"
    )
    headers: dict[str, str] = {}
    if not ("middleware" in f.handler or "cors" in f.handler or "lifecycle_hooks" in f.data):
        for name, value in (expected.get("headers") or {}).items():
            lower = name.lower()
            if (
                not isinstance(value, str)
                or lower == "content-type"
                or lower.startswith("access-control-")
                or lower in MIDDLEWARE_HEADERS
                or value.startswith("<<")
                or value == ".*"
            ):
                continue
            headers[name] = value

    async def stream() -> AsyncIterator[bytes]:
        for part in parts:
            await asyncio.sleep(0)
            yield part

    def handler(request: Request) -> StreamingResponse:
        return StreamingResponse(stream(), status_code=status, headers=headers, media_type=content_type)

    return handler
