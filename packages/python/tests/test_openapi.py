"""Route documentation keywords reach the core's OpenAPI/AsyncAPI documents."""

from __future__ import annotations

import msgspec
import pytest

from spikard import Spikard, WebSocket
from spikard.config import OpenApiConfig, ServerConfig, from_rust
from spikard.testing import TestClient


class Book(msgspec.Struct):
    id: int
    title: str


def test_documentation_keywords_and_response_model() -> None:
    app = Spikard(ServerConfig(openapi=OpenApiConfig(title="Shop", version="2.0.0")))

    @app.get("/books", tags=["books"], summary="List books", response_model=list[Book])
    def list_books() -> list[dict]:
        return []

    @app.delete(
        "/books/{book_id:int}",
        operation_id="removeBook",
        description="Deletes the book.",
        deprecated=True,
        responses={204: {"description": "Deleted"}},
    )
    def remove_book(book_id: int) -> None:
        return None

    @app.get("/internal", include_in_schema=False)
    def internal() -> str:
        return "hidden"

    doc = TestClient(app).get("/openapi.json").json()
    assert doc["info"] == {"title": "Shop", "version": "2.0.0"}
    listing = doc["paths"]["/books"]["get"]
    assert listing["tags"] == ["books"]
    assert listing["summary"] == "List books"
    schema = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["type"] == "array"
    removal = doc["paths"]["/books/{book_id}"]["delete"]
    assert removal["operationId"] == "removeBook"
    assert removal["deprecated"] is True
    assert removal["description"] == "Deletes the book."
    assert removal["summary"] == "Remove Book"
    assert removal["responses"]["204"] == {"description": "Deleted"}
    assert "/internal" not in doc["paths"]


def test_websocket_channels_are_documented() -> None:
    app = Spikard(ServerConfig(openapi=OpenApiConfig()))

    @app.websocket("/ws/chat", message_schema={"type": "object"}, tags=["chat"], summary="Chat")
    async def chat(websocket: WebSocket) -> None:
        await websocket.receive()

    doc = TestClient(app).get("/asyncapi.json").json()
    (channel,) = doc["channels"].values()
    assert channel["address"] == "/ws/chat"
    assert channel["summary"] == "Chat"


def test_config_from_plain_data() -> None:
    config = from_rust(ServerConfig, {"openapi": {"title": "X"}, "jwt_auth": None})
    assert config.openapi == OpenApiConfig(title="X")
    assert from_rust(ServerConfig, ServerConfig().to_rust()) == ServerConfig()
    with pytest.raises(ValueError, match="unknown field"):
        from_rust(ServerConfig, {"bogus": 1})


class Gadget(msgspec.Struct):
    name: str
    price: float


def test_a_struct_used_as_body_and_result_is_one_component() -> None:
    app = Spikard(ServerConfig(openapi=OpenApiConfig()))

    @app.post("/gadgets")
    def create(gadget: Gadget) -> Gadget:
        return gadget

    doc = TestClient(app).get("/openapi.json").json()
    operation = doc["paths"]["/gadgets"]["post"]
    ref = {"$ref": "#/components/schemas/Gadget"}
    assert operation["requestBody"]["content"]["application/json"]["schema"] == ref
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == ref
    assert [n for n in doc["components"]["schemas"] if n.startswith("Gadget")] == ["Gadget"]
