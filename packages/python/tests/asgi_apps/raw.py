"""A raw ASGI app for the bridge's socket-level checks (``test_asgi_spec.py``): ``/endless``
streams until the client leaves, recording what ``receive`` and ``send`` did then;
``/events`` tells it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

EVENTS: list[str] = []


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    if scope["path"] == "/events":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": json.dumps(EVENTS).encode()})
        return
    await receive()

    async def watch() -> None:
        message = await receive()
        EVENTS.append(message["type"])

    watcher = asyncio.ensure_future(watch())
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    try:
        for _ in range(100_000):
            await send({"type": "http.response.body", "body": b"x" * 1024, "more_body": True})
            await asyncio.sleep(0.001)
    except OSError as e:
        EVENTS.append(type(e).__name__)
    await asyncio.wait_for(watcher, 5)
