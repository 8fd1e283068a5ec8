"""Every supported body type: schema validated in Rust, value converted for the handler."""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple, TypedDict

import msgspec
import pydantic
import pytest

from spikard import Spikard
from spikard.testing import TestClient


class StructItem(msgspec.Struct):
    name: str
    price: float
    tags: list[str] = []


@dataclasses.dataclass
class DataItem:
    name: str
    price: float


class DictItem(TypedDict):
    name: str
    price: float


class TupleItem(NamedTuple):
    name: str
    price: float


class ModelItem(pydantic.BaseModel):
    name: str
    price: float


def _client_for(body_type: Any) -> tuple[TestClient, list[Any]]:
    app = Spikard()
    seen: list[Any] = []

    def create(item):  # annotated below: the type is a local variable
        seen.append(item)
        return item

    create.__annotations__ = {"item": body_type, "return": Any}

    app.add_route("POST", "/items", create)
    return TestClient(app), seen


@pytest.mark.parametrize("body_type", [StructItem, DataItem, DictItem, ModelItem])
def test_object_bodies_reach_the_handler_as_their_type(body_type: Any) -> None:
    client, seen = _client_for(body_type)
    res = client.post("/items", json={"name": "pen", "price": 2.5})
    assert res.status_code == 200
    assert res.json()["name"] == "pen"
    assert res.json()["price"] == 2.5
    if body_type is DictItem:
        assert seen == [{"name": "pen", "price": 2.5}]
    else:
        assert type(seen[0]) is body_type
        assert seen[0].name == "pen"


@pytest.mark.parametrize("body_type", [StructItem, DataItem, DictItem, ModelItem])
def test_object_bodies_are_validated_in_rust(body_type: Any) -> None:
    client, seen = _client_for(body_type)
    res = client.post("/items", json={"name": "pen", "price": "cheap"})
    assert res.status_code == 422
    errors = res.json()["errors"]
    assert [e["loc"] for e in errors] == [["body", "price"]]
    assert errors[0]["type"] == "float_parsing" or errors[0]["type"] == "float_type"
    assert seen == []


def test_missing_required_field_reports_the_enclosing_object() -> None:
    client, _ = _client_for(StructItem)
    res = client.post("/items", json={"name": "pen"})
    assert res.status_code == 422
    assert res.json()["errors"] == [
        {"type": "missing", "loc": ["body", "price"], "msg": "Field required", "input": {"name": "pen"}}
    ]


def test_namedtuple_bodies_are_arrays() -> None:
    client, seen = _client_for(TupleItem)
    res = client.post("/items", json=["pen", 2.5])
    assert res.status_code == 200
    assert seen == [TupleItem("pen", 2.5)]
    assert res.json() == ["pen", 2.5]
    assert client.post("/items", json={"name": "pen"}).status_code == 422


def test_plain_dict_bodies_pass_through() -> None:
    client, seen = _client_for(dict)
    assert client.post("/items", json={"anything": [1, {"x": None}]}).json() == {"anything": [1, {"x": None}]}
    assert seen == [{"anything": [1, {"x": None}]}]
    assert client.post("/items", json=[1, 2]).status_code == 422


def test_form_bodies_fill_structs() -> None:
    client, seen = _client_for(StructItem)
    res = client.post("/items", data={"name": "pen", "price": "3"})
    assert res.status_code == 200
    assert seen[0] == StructItem("pen", 3.0)


def test_malformed_json_is_a_400_problem() -> None:
    client, seen = _client_for(StructItem)
    res = client.post("/items", content=b"{not json", headers={"content-type": "application/json"})
    assert res.status_code == 400
    assert res.headers["content-type"] == "application/problem+json"
    assert seen == []


class UnsetFields(msgspec.Struct, kw_only=True):
    name: str
    note: str | msgspec.UnsetType = msgspec.UNSET
    extra: Any = None


def test_unset_struct_fields_are_left_out_of_responses() -> None:
    # ``extra: Any`` makes the encoder list every field; UNSET ones must still be absent.
    app = Spikard()

    @app.get("/items", response_model=None)  # encoded as returned, not through a model
    def items() -> list[UnsetFields]:
        return [UnsetFields(name="a"), UnsetFields(name="b", note="n")]

    res = TestClient(app).get("/items")
    assert res.status_code == 200
    assert res.json() == [{"name": "a", "extra": None}, {"name": "b", "note": "n", "extra": None}]


def test_an_optional_body_may_be_left_out() -> None:
    app = Spikard()

    def patch(item: StructItem | None = None) -> dict[str, Any]:
        return {"item": None if item is None else item.name}

    schema = {"type": "object", "required": ["name", "price"], "properties": {"name": {"type": "string"}}}
    app.add_route("PATCH", "/items", patch, body_schema=schema, body_optional=True)
    client = TestClient(app)
    assert client.request("PATCH", "/items").json() == {"item": None}
    assert client.request("PATCH", "/items", json={"name": "a", "price": 1}).json() == {"item": "a"}
    assert client.request("PATCH", "/items", json={"name": "a"}).status_code == 422
