"""``@app.websocket``: FastAPI-style handlers over the core's WebSocket sessions."""

from __future__ import annotations

import pytest

from spikard import Spikard, WebSocket, WebSocketDisconnect
from spikard.testing import TestClient

SCHEMA = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}


def test_json_echo_with_path_params_and_schema_error_frames() -> None:
    app = Spikard()

    @app.websocket("/chat/{room}", message_schema=SCHEMA)
    async def chat(websocket: WebSocket, room: str) -> None:
        await websocket.accept()
        while True:
            message = await websocket.receive_json()
            await websocket.send_json({"room": room, **message})

    ws = TestClient(app).websocket_connect("/chat/lobby")
    ws.send_json({"text": "hi"})
    kind, payload = ws.receive()  # type: ignore[misc]
    assert kind == "text"
    assert payload == '{"room":"lobby","text":"hi"}'
    ws.send_json({"nope": 1})
    kind, payload = ws.receive()  # type: ignore[misc]
    assert '"type":"missing"' in payload
    # The connection stays usable after the error frame.
    ws.send_json({"text": "again"})
    assert ws.receive() == ("text", '{"room":"lobby","text":"again"}')
    ws.close()
    assert ws.receive() == ("close", (1000, ""))


def test_text_and_binary_without_schema_and_server_close() -> None:
    app = Spikard()
    seen: list[object] = []

    @app.websocket("/raw")
    async def raw(websocket: WebSocket) -> None:
        text = await websocket.receive_text()
        data = await websocket.receive_bytes()
        seen.extend([text, data])
        await websocket.send_text(text.upper())
        await websocket.send_bytes(data[::-1])
        await websocket.close(4000, "done")

    ws = TestClient(app).websocket_connect("/raw")
    ws.send_text("abc")
    ws.send_bytes(b"\x00\x01")
    assert ws.receive() == ("text", "ABC")
    assert ws.receive() == ("bytes", b"\x01\x00")
    assert ws.receive() == ("close", (4000, "done"))
    assert seen == ["abc", b"\x00\x01"]


def test_disconnect_reaches_the_handler_and_raising_closes_1011() -> None:
    app = Spikard()
    codes: list[int] = []

    @app.websocket("/watch")
    async def watch(websocket: WebSocket) -> None:
        try:
            await websocket.receive()
        except WebSocketDisconnect as e:
            codes.append(e.code)
            raise

    @app.websocket("/boom")
    async def boom(websocket: WebSocket) -> None:
        await websocket.receive_text()
        raise RuntimeError("handler bug")

    client = TestClient(app)
    ws = client.websocket_connect("/watch")
    ws.close(1001, "bye")
    assert ws.receive() == ("close", (1001, "bye"))
    ws = client.websocket_connect("/boom")
    ws.send_text("x")
    assert ws.receive() == ("close", (1011, "Internal error"))
    # Plain HTTP is refused on a WebSocket route; the app keeps serving.
    assert client.get("/boom").status_code >= 400
    assert codes == [1001]


def test_sync_handlers_are_refused() -> None:
    app = Spikard()
    with pytest.raises(TypeError, match="async"):
        app.add_websocket("/sync", lambda websocket: None)
