"""SSE and WebSocket message fixtures (``channel``, ``protocol``, ``schema``, ``examples``; no request),
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
- WebSocket: a route validating incoming messages against ``schema`` and echoing valid
  ones. Each example is sent: one that validates must come back, one that does not must
  get the validation error frame; a message derived from the schema (a required field
  dropped, or a value of the wrong type) too, and the connection must stay usable.
  Project extension: ``exchanges`` (``send`` JSON / ``send_text`` / ``send_binary_base64``,
  then ``expect`` JSON reply, ``expect_text``, ``expect_binary_base64`` or
  ``expect_close`` code) and ``max_message_size``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

from fixture import Fixture
from spikard import EventSourceResponse, Spikard, SpikardError, SseEvent, WebSocket
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
    if kind == "websocket":
        return play_websocket(f)
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


def _invalid_message(schema: Any, example: Any) -> tuple[Any, str | None] | None:
    """A message the schema refuses, derived from it: an example without a required field
    (with that field's name), or a value of another type."""
    required = schema.get("required") if isinstance(schema, dict) else None
    if isinstance(example, dict) and isinstance(required, list):
        for field in required:
            if isinstance(field, str) and field in example:
                return {k: v for k, v in example.items() if k != field}, field
    wrong = {
        "object": [],
        "array": {},
        "string": 0,
        "integer": "not of the schema's type",
        "number": "not of the schema's type",
        "boolean": "not of the schema's type",
        "null": "not of the schema's type",
    }
    kind = schema.get("type") if isinstance(schema, dict) else None
    if not isinstance(kind, str) or kind not in wrong:
        return None
    return wrong[kind], None


def _frame_json(frame: tuple[str, Any] | None) -> Any:
    if frame is None or frame[0] != "text":
        return _NO_JSON
    try:
        return json.loads(frame[1])
    except ValueError:
        return _NO_JSON


_NO_JSON: Any = object()


def _same(a: Any, b: Any) -> bool:
    return a is not _NO_JSON and json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _is_validation_frame(frame: Any, field: str | None) -> bool:
    typed = (
        isinstance(frame, dict)
        and all(k in frame for k in ("type", "title", "status"))
        and frame["type"] == "https://spikard.dev/errors/validation-error"
        and frame["status"] == 422
    )
    if not typed or field is None:
        return typed
    errors = frame.get("errors")
    return isinstance(errors, list) and any(
        isinstance(e, dict) and e.get("type") == "missing" and e.get("loc") == ["body", field] for e in errors
    )


def _websocket_client(f: Fixture, pattern: str) -> TestClient | str:
    """A client of an app whose WebSocket route echoes every accepted message as it came."""

    async def echo(websocket: WebSocket) -> None:
        while True:
            message = await websocket.receive()
            if isinstance(message, bytes):
                await websocket.send_bytes(message)
            else:
                await websocket.send_text(message)

    max_size = f.data.get("max_message_size")
    app = Spikard()
    try:
        app.add_websocket(
            pattern,
            echo,
            message_schema=f.data.get("schema"),
            max_message_size=max_size if isinstance(max_size, int) and not isinstance(max_size, bool) else None,
        )
        return TestClient(app)
    except SpikardError as e:
        return f"WebSocket route {pattern}: {e}"


def play_websocket(f: Fixture) -> list[str]:
    try:
        valid = schema_check(f)
    except SpikardError as e:
        return [f"fixture schema: {e}"]
    pattern, path = channel(f, "/ws")
    client = _websocket_client(f, pattern)
    if isinstance(client, str):
        return [client]
    try:
        ws = client.websocket_connect(path)
    except ValueError as e:
        return [f"upgrade of {path} refused: {e}"]
    out: list[str] = []
    examples = f.data.get("examples") or []
    for i, example in enumerate(examples):
        ws.send_json(example)
        reply = ws.receive()
        ok = valid is None or valid(example)
        got = _frame_json(reply)
        if ok and not _same(got, example):
            out.append(f"example {i}: reply {reply!r}, expected the message back")
        if not ok and not _is_validation_frame(got, None):
            out.append(f"example {i} does not validate against the schema: expected the error frame, got {reply!r}")
    schema = f.data.get("schema")
    if schema is not None:
        out += _invalid_message_check(ws, schema, examples, valid)
    out += _exchanges(f, ws)
    exchanges = f.data.get("exchanges")
    expects_close = isinstance(exchanges, list) and any(isinstance(x, dict) and "expect_close" in x for x in exchanges)
    if not out and not expects_close:
        ws.close(1000, "done")
        reply = ws.receive()
        if reply is None or reply[0] != "close" or reply[1][0] != 1000:
            out.append(f"closing: expected the close reply 1000, got {reply!r}")
    return out


def _invalid_message_check(ws: Any, schema: Any, examples: list[Any], valid: Callable[[Any], bool] | None) -> list[str]:
    out: list[str] = []
    first_valid = next((e for e in examples if valid is None or valid(e)), None)
    derived = _invalid_message(schema, first_valid if first_valid is not None else (examples or [None])[0])
    if derived is None or valid is None or valid(derived[0]):
        return out
    message, field = derived
    ws.send_json(message)
    reply = ws.receive()
    if not _is_validation_frame(_frame_json(reply), field):
        out.append(f"invalid message {message}: expected the error frame, got {reply!r}")
    if first_valid is not None:
        ws.send_json(first_valid)
        if not _same(_frame_json(ws.receive()), first_valid):
            out.append("the connection did not stay usable after the error frame")
    return out


def _exchanges(f: Fixture, ws: Any) -> list[str]:
    out: list[str] = []
    exchanges = f.data.get("exchanges")
    if not isinstance(exchanges, list):
        return out
    for i, x in enumerate(exchanges):
        try:
            if "send" in x:
                ws.send_json(x["send"])
            elif isinstance(x.get("send_text"), str):
                ws.send_text(x["send_text"])
            elif isinstance(x.get("send_binary_base64"), str):
                ws.send_bytes(base64.b64decode(x["send_binary_base64"]))
            else:
                raise ValueError("nothing to send")
        except (ValueError, binascii.Error) as e:
            out.append(f"exchange {i}: {e}")
            break
        reply = ws.receive()
        if "expect_close" in x:
            if reply is None or reply[0] != "close" or reply[1][0] != x["expect_close"]:
                out.append(f"exchange {i}: expected close {x['expect_close']}, got {reply!r}")
        elif isinstance(x.get("expect_text"), str):
            if reply != ("text", x["expect_text"]):
                out.append(f"exchange {i}: reply {reply!r} != expected text {x['expect_text']!r}")
        elif isinstance(x.get("expect_binary_base64"), str):
            want = base64.b64decode(x["expect_binary_base64"])
            if reply != ("bytes", want):
                out.append(f"exchange {i}: reply {reply!r} != expected bytes {want!r}")
        elif "expect" in x and not _same(_frame_json(reply), x["expect"]):
            out.append(f"exchange {i}: reply {reply!r} != expected {x['expect']}")
    return out
