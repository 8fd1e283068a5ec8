"""Response models: results validated against ``response_model`` or the return annotation,
filtered to the model's fields; a result that does not conform is a logged 500."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any, TypedDict

import msgspec
import pydantic
import pytest

from spikard import ConfigError, Response, ResponseValidationError, RouteError, Spikard, StreamingResponse
from spikard._responses import INFER, prepare
from spikard.config import OpenApiConfig, ServerConfig
from spikard.testing import TestClient


class Item(msgspec.Struct):
    id: int
    name: str


class ItemWithSecret(msgspec.Struct):
    id: int
    name: str
    secret: str


class Other(msgspec.Struct):
    """With ``Item``, an untagged union of two structs: msgspec cannot tell them apart."""

    other: int


@dataclasses.dataclass
class Event:
    at: dt.datetime
    kind: str


class Summary(TypedDict):
    total: int


class UserOut(pydantic.BaseModel):
    id: int
    name: str


class UserIn(UserOut):
    password: str


class Row:
    """An object msgspec cannot encode (as an ORM row): read through its attributes."""

    def __init__(self) -> None:
        self.id = 7
        self.name = "row"
        self.password = "hunter2"


INTERNAL = {
    "type": "https://spikard.dev/errors/internal-server-error",
    "title": "Internal Server Error",
    "status": 500,
    "detail": "Internal server error",
}


def test_struct_annotation_filters_extra_fields_of_dicts_and_other_structs() -> None:
    app = Spikard()

    @app.get("/dict")
    def from_dict() -> Item:
        return {"id": 1, "name": "a", "secret": "s"}  # type: ignore[return-value]

    @app.get("/struct")
    async def from_struct() -> Item:
        return ItemWithSecret(2, "b", "s")  # type: ignore[return-value]

    @app.get("/row")
    def from_row() -> Item:
        return Row()  # type: ignore[return-value]

    client = TestClient(app)
    assert client.get("/dict").json() == {"id": 1, "name": "a"}
    assert client.get("/struct").json() == {"id": 2, "name": "b"}
    assert client.get("/row").json() == {"id": 7, "name": "row"}


@pytest.mark.parametrize("is_async", [False, True])
def test_a_nonconforming_result_is_a_500_with_the_details_logged(
    is_async: bool, caplog: pytest.LogCaptureFixture
) -> None:
    app = Spikard()

    def bad() -> Item:
        return Item(id="not a number", name="x")  # type: ignore[arg-type]

    async def abad() -> Item:
        return bad()

    app.add_route("GET", "/bad", abad if is_async else bad)
    app.add_route("GET", "/ok", lambda: {"ok": True})
    client = TestClient(app)
    with caplog.at_level(logging.ERROR, logger="spikard"):
        res = client.get("/bad")
    assert res.status_code == 500
    assert res.headers["content-type"] == "application/problem+json"
    assert res.json() == INTERNAL
    assert "not a number" not in res.text
    record = next(r for r in caplog.records if r.name == "spikard")
    assert record.exc_info is not None
    error = record.exc_info[1]
    assert isinstance(error, ResponseValidationError)
    assert error.errors == [{"msg": "Expected `int`, got `str`", "loc": "$.id"}]
    assert "does not match its response model Item" in caplog.text
    assert client.get("/ok").json() == {"ok": True}


def test_explicit_response_model_wins_over_the_annotation() -> None:
    app = Spikard()

    @app.get("/items", response_model=list[Item])
    def items() -> list[dict[str, Any]]:
        return [{"id": 1, "name": "a", "secret": "s"}, ItemWithSecret(2, "b", "s")]  # type: ignore[list-item]

    @app.get("/missing", response_model=Item)
    def missing() -> dict[str, Any]:
        return {"id": 1}

    client = TestClient(app)
    assert client.get("/items").json() == [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]
    assert client.get("/missing").status_code == 500


def test_response_model_none_turns_validation_off() -> None:
    app = Spikard()

    @app.get("/raw", response_model=None)
    def raw() -> Item:
        return {"id": "kept as is", "extra": True}  # type: ignore[return-value]

    assert TestClient(app).get("/raw").json() == {"id": "kept as is", "extra": True}


@pytest.mark.parametrize(
    "annotation",
    [dict, dict[str, Any], list[int], list[dict[str, Any]], str, bytes, Any, None, Response, StreamingResponse],
)
def test_annotations_without_a_structured_type_are_not_wrapped(annotation: Any) -> None:
    def handler() -> None:
        return None

    handler.__annotations__["return"] = annotation
    wrapped, schema = prepare(handler, INFER, None, "handler")
    assert wrapped is handler
    assert schema is None


def test_unannotated_handlers_are_not_wrapped() -> None:
    def handler():  # type: ignore[no-untyped-def]
        return {}

    assert prepare(handler, INFER, None, "handler")[0] is handler


def test_dataclass_and_typeddict_models_convert_and_serialise() -> None:
    app = Spikard()
    at = dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.timezone.utc)

    @app.get("/events")
    def events() -> list[Event]:
        return [Event(at=at, kind="start"), {"at": at.isoformat(), "kind": "stop", "note": "x"}]  # type: ignore[list-item]

    @app.get("/summary")
    async def summary() -> Summary:
        return {"total": "3", "debug": "dropped"}  # type: ignore[typeddict-item]

    client = TestClient(app)
    assert client.get("/events").json() == [
        {"at": "2024-05-01T12:30:00Z", "kind": "start"},
        {"at": "2024-05-01T12:30:00Z", "kind": "stop"},
    ]
    # Lax conversion, as pydantic's: a numeric string becomes the declared integer.
    assert client.get("/summary").json() == {"total": 3}


def test_optional_models_accept_none() -> None:
    app = Spikard()

    @app.get("/maybe/{found:int}")
    def maybe(found: int) -> Item | None:
        return Item(1, "a") if found else None

    client = TestClient(app)
    assert client.get("/maybe/1").json() == {"id": 1, "name": "a"}
    assert client.get("/maybe/0").json() is None


def test_pydantic_models_filter_subclass_fields_and_read_attributes() -> None:
    app = Spikard()

    @app.get("/user")
    def user() -> UserOut:
        return UserIn(id=1, name="ada", password="secret")

    @app.get("/row", response_model=list[UserOut])
    async def row() -> list[Row]:
        return [Row()]

    @app.get("/bad")
    def bad() -> UserOut:
        return {"id": "x"}  # type: ignore[return-value]

    client = TestClient(app)
    assert client.get("/user").json() == {"id": 1, "name": "ada"}
    assert client.get("/row").json() == [{"id": 7, "name": "row"}]
    assert client.get("/bad").json() == INTERNAL


def test_responses_pass_through_and_leave_a_union_annotation() -> None:
    app = Spikard()

    @app.get("/items/{item_id:int}")
    def item(item_id: int) -> Item | Response:
        if item_id == 0:
            return Response({"moved": True, "anything": "goes"}, status_code=202)
        return {"id": item_id, "name": "x", "secret": "s"}  # type: ignore[return-value]

    @app.get("/stream", response_model=Item)
    def stream() -> StreamingResponse:
        return StreamingResponse(["a", "b"])

    client = TestClient(app)
    accepted = client.get("/items/0")
    assert accepted.status_code == 202
    assert accepted.json() == {"moved": True, "anything": "goes"}
    assert client.get("/items/4").json() == {"id": 4, "name": "x"}
    assert client.get("/stream").text == "ab"


def test_models_msgspec_cannot_convert_are_refused_at_registration() -> None:
    app = Spikard()
    with pytest.raises(ConfigError, match=r"response_model=None"):
        app.add_route("GET", "/x", lambda: None, response_model=Item | Other)

    def annotated() -> Item | Other:
        return Item(1, "a")

    with pytest.raises(ConfigError, match=r"annotated: cannot validate responses against .*Other"):
        app.add_route("GET", "/y", annotated)
    app.add_route("GET", "/z", annotated, response_model=None)
    assert TestClient(app).get("/z").json() == {"id": 1, "name": "a"}


def test_the_inferred_model_documents_the_response() -> None:
    app = Spikard(ServerConfig(openapi=OpenApiConfig()))

    @app.get("/items/{item_id:int}")
    def item(item_id: int) -> Item:
        return Item(item_id, "x")

    doc = TestClient(app).get("/openapi.json").json()
    schema = doc["paths"]["/items/{item_id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    assert schema["properties"] == {"id": {"type": "integer"}, "name": {"type": "string"}}


def test_a_json_schema_model_is_checked_by_the_core() -> None:
    app = Spikard(ServerConfig(openapi=OpenApiConfig()))
    user = {
        "type": "object",
        "required": ["id", "name"],
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
    }

    @app.get("/users/{user_id:int}", response_model=user)
    def get_user(user_id: int) -> Any:
        if user_id == 0:
            return {"id": "ref-0042", "name": "nobody"}
        if user_id == 1:
            return Response({"queued": True}, status_code=202)
        return {"id": user_id, "name": "ada", "password": "hunter2"}

    client = TestClient(app)
    assert client.get("/users/7").json() == {"id": 7, "name": "ada"}
    refused = client.get("/users/0")
    assert refused.status_code == 500
    assert refused.json() == INTERNAL
    assert "ref-0042" not in refused.text
    accepted = client.get("/users/1")
    assert (accepted.status_code, accepted.json()) == (202, {"queued": True})
    doc = client.get("/openapi.json").json()
    schema = doc["paths"]["/users/{user_id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["properties"] == user["properties"]
    with pytest.raises(RouteError, match=r"GET /bad: response_model: invalid JSON Schema"):
        app.add_route("GET", "/bad", lambda: None, response_model={"type": 5})
