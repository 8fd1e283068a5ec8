"""SSE message fixtures (``channel``, ``protocol``, ``schema``, ``examples``; no request),
mirroring ``e2e/rust/src/features/realtime.rs``. The runner registers the channel on the
real Python API and reads it with the test client:

- a route (``sse=True``, with ``schema`` as its ``event_schema``) emitting every example as
  an event (JSON data, named after the fixture); each received event's data must equal
  its example. The framework ends the stream at the first example that breaks the schema,
  so only the examples before it may arrive (validity is asked of the core, through a
  route with the schema as its body schema).
- project extension: ``sse_events`` (events to emit: ``event``, ``id``, ``data`` (string or
  JSON), ``retry``, ``comment``) with ``expected_body`` (the exact stream), and
  ``keep_alive_ms`` (after the events, a keep-alive comment must follow).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

from fixture import Fixture
from spikard import EventSourceResponse, Spikard, SpikardError, SseEvent
from spikard.testing import TestClient


def protocol(f: Fixture) -> str | None:
    if "request" in f.data:
        return None
    named = str(f.data.get("protocol") or f.category).lower()
    if named in ("sse", "server-sent-events"):
        return "sse"
    if named in ("websocket", "websockets", "ws", "wss"):
        return "websocket"
    return None


def channel(f: Fixture, default: str) -> tuple[str, str]:
    """The channel as a route pattern and as a concrete path (``{param}`` filled in)."""
    raw = f.data.get("channel")
    pattern = default if not isinstance(raw, str) or not raw else raw if raw.startswith("/") else f"/{raw}"
    return pattern, re.sub(r"\{[^}]*\}", "sample", pattern)


def schema_check(f: Fixture) -> Callable[[Any], bool] | None:
    """Whether a value satisfies the fixture's ``schema``, as the core's validator says."""
    schema = f.data.get("schema")
    if schema is None:
        return None
    app = Spikard()
    app.add_route("POST", "/check", lambda: {"ok": True}, body_schema=schema)
    client = TestClient(app)
    return lambda value: client.post("/check", json=value).status_code == 200


def _event_of(spec: dict[str, Any]) -> SseEvent:
    def text(key: str) -> str | None:
        value = spec.get(key)
        return value if isinstance(value, str) else None

    data = spec.get("data")
    retry = spec.get("retry")
    return SseEvent(
        data=None if data is None else data if isinstance(data, str) else json.dumps(data, separators=(",", ":")),
        event=text("event"),
        id=text("id"),
        retry=retry if isinstance(retry, int) and not isinstance(retry, bool) else None,
        comment=text("comment"),
    )


def play(f: Fixture) -> list[str] | None:
    """Play a message fixture (its problems), or ``None`` when the fixture is not one."""
    kind = protocol(f)
    if kind == "sse":
        return play_sse(f)
    return None


def play_sse(f: Fixture) -> list[str]:
    out: list[str] = []
    try:
        valid = schema_check(f)
    except SpikardError as e:
        return [f"fixture schema: {e}"]
    examples = f.data.get("examples") or []
    name = f.data.get("name") if isinstance(f.data.get("name"), str) else None
    specs = f.data.get("sse_events")
    if isinstance(specs, list):
        events = [_event_of(s) for s in specs]
    else:
        events = [SseEvent(data=json.dumps(e, separators=(",", ":")), event=name) for e in examples]
    keep_alive_ms = f.data.get("keep_alive_ms")
    keep_alive = keep_alive_ms if isinstance(keep_alive_ms, int) and not isinstance(keep_alive_ms, bool) else None
    pattern, path = channel(f, "/events")
    client = _sse_client(f, pattern, events, keep_alive)
    if isinstance(client, str):
        return [client]
    res = client.stream("GET", path)
    if res.status_code != 200:
        return [f"GET {path}: status {res.status_code}"]
    for header, want in (("content-type", "text/event-stream"), ("cache-control", "no-cache")):
        if res.headers.get(header) != want:
            out.append(f"header {header}: {res.headers.get(header)!r}, expected {want!r}")
    deliverable = len(events)
    if valid is not None and not isinstance(specs, list):
        deliverable = 0
        for example in examples:
            if not valid(example):
                break
            deliverable += 1
    received: list[dict[str, Any]] = []
    body = ""
    while len(received) < deliverable:
        block = res.next_event_text()
        if block is None:
            break
        received.append(_parse_block(block))
        body += block
    if len(received) != deliverable:
        out.append(f"received {len(received)} events, expected {deliverable}")
    if deliverable < len(events):
        extra = res.next_event_text()
        if extra is not None:
            out.append(f"example {deliverable} breaks the schema, yet the stream went on: {extra!r}")
    if keep_alive is not None:
        block = res.next_event()
        if not (block is not None and block["comments"] == ["keep-alive"] and block["data"] is None):
            out.append(f"expected a keep-alive comment after {keep_alive} ms, got {block!r}")
    want_body = f.data.get("expected_body")
    if isinstance(want_body, str) and body != want_body:
        out.append(f"event stream {body!r} != expected {want_body!r}")
    if not isinstance(specs, list):
        out += _check_examples(received, examples, valid)
    return out


def _sse_client(f: Fixture, pattern: str, events: list[SseEvent], keep_alive: int | None) -> TestClient | str:
    """A client of an app whose SSE route at ``pattern`` emits ``events`` (or the problem)."""

    async def emit() -> AsyncIterator[SseEvent]:
        for event in events:
            yield event
        if keep_alive is not None:
            await asyncio.Event().wait()

    def handler() -> Any:
        return EventSourceResponse(emit(), keep_alive=None if keep_alive is None else keep_alive / 1000)

    app = Spikard()
    schema = f.data.get("schema")
    try:
        if schema is not None:
            app.add_route("GET", pattern, handler, event_schema=schema)
        else:
            app.add_route("GET", pattern, handler, sse=True)
    except SpikardError as e:
        return f"SSE route {pattern}: {e}"
    try:
        return TestClient(app)
    except SpikardError as e:
        return f"app did not build: {e}"


def _check_examples(
    received: list[dict[str, Any]], examples: list[Any], valid: Callable[[Any], bool] | None
) -> list[str]:
    """Each received event's data must be its example, valid against the schema."""
    out = []
    for i, (block, example) in enumerate(zip(received, examples, strict=False)):
        try:
            data = json.loads(block["data"]) if block["data"] is not None else None
        except ValueError:
            out.append(f"event {i}: data {block['data']!r} is not JSON")
            continue
        if json.dumps(data, sort_keys=True) != json.dumps(example, sort_keys=True):
            out.append(f"event {i}: data {data} != example {example}")
        if valid is not None and not valid(data):
            out.append(f"event {i}: data does not validate against the schema")
    return out


def _parse_block(block: str) -> dict[str, Any]:
    """One ``text/event-stream`` block: ``data`` lines joined with ``\\n``, comments listed."""
    parsed: dict[str, Any] = {"event": None, "id": None, "data": None, "retry": None, "comments": []}
    for line in block.split("\n"):
        if not line:
            continue
        if line.startswith(":"):
            parsed["comments"].append(line[1:].removeprefix(" "))
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "data":
            parsed["data"] = value if parsed["data"] is None else f"{parsed['data']}\n{value}"
        elif field in ("event", "id"):
            parsed[field] = value
        elif field == "retry":
            parsed["retry"] = int(value) if value.isdigit() else None
    return parsed
