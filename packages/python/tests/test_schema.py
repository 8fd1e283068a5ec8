"""Annotations to route specs: parameter schemas, sources, keys and converters."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Annotated, Any, Literal

import pytest

from spikard import Body, ConfigError, Cookie, Header, Path, Query, Request
from spikard._schema import type_info
from spikard._signature import analyze, path_param_names


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


def _query(function: Any, path: str = "/x") -> dict[str, Any]:
    return analyze(function, path).parameters["query"]


@pytest.mark.parametrize(
    ("annotation", "schema"),
    [
        (int, {"type": "integer"}),
        (float, {"type": "number"}),
        (bool, {"type": "boolean"}),
        (str, {"type": "string"}),
        (uuid.UUID, {"type": "string", "format": "uuid"}),
        (dt.date, {"type": "string", "format": "date"}),
        (dt.datetime, {"type": "string", "format": "date-time"}),
        (list[int], {"type": "array", "items": {"type": "integer"}}),
        (Color, {"enum": ["red", "green"], "type": "string"}),
        (Literal[1, 2], {"enum": [1, 2], "type": "integer"}),
        (int | str, {"anyOf": [{"type": "integer"}, {"type": "string"}]}),
    ],
)
def test_scalar_schemas(annotation: Any, schema: dict[str, Any]) -> None:
    assert type_info(annotation).schema == schema


def test_optional_is_not_nullable_but_optional() -> None:
    info = type_info(int | None)
    assert info.schema == {"type": "integer"}
    assert info.optional


def test_converters_build_the_annotated_type() -> None:
    assert type_info(uuid.UUID).converter("6f1c5f1e-3f4a-4c1e-9a43-1d2b3c4d5e6f") == uuid.UUID(
        "6f1c5f1e-3f4a-4c1e-9a43-1d2b3c4d5e6f"
    )
    assert type_info(dt.datetime).converter("2024-01-02T03:04:05Z") == dt.datetime(
        2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc
    )
    assert type_info(list[Color]).converter(["red"]) == [Color.RED]
    assert type_info(int).converter is None


def test_scalars_are_query_parameters_and_path_names_are_path_parameters() -> None:
    def handler(item_id: int, q: str, page: int = 1, tag: str | None = None) -> None: ...

    plan = analyze(handler, "/items/{item_id:int}")
    assert plan.parameters["path"] == {"item_id": {"type": "integer"}}
    assert plan.parameters["query"] == {
        "q": {"type": "string"},
        "page": {"type": "integer", "default": 1},
        "tag": {"type": "string", "optional": True},
    }
    assert [(a["name"], a["source"], a.get("optional", False)) for a in plan.args] == [
        ("item_id", "path", False),
        ("q", "query", False),
        ("page", "query", False),
        ("tag", "query", True),
    ]


def test_marker_constraints_become_schema_keywords() -> None:
    def handler(
        limit: Annotated[int, Query(gt=0, le=100)],
        name: str = Query(min_length=2, max_length=5, pattern="^[a-z]+$"),
        ids: list[int] = Query(default=[], max_length=3),
        price: float = Query(default=1.5, ge=1, lt=10, description="in euros"),
    ) -> None: ...

    assert _query(handler) == {
        "limit": {"type": "integer", "exclusiveMinimum": 0, "maximum": 100},
        "name": {"type": "string", "minLength": 2, "maxLength": 5, "pattern": "^[a-z]+$"},
        "ids": {"type": "array", "items": {"type": "integer"}, "maxItems": 3, "default": []},
        "price": {"type": "number", "minimum": 1, "exclusiveMaximum": 10, "description": "in euros", "default": 1.5},
    }


def test_headers_cookies_aliases_and_enum_defaults() -> None:
    def handler(
        x_token: str = Header(),
        raw_name: str = Header(default="a", convert_underscores=False),
        session: str = Cookie(alias="sid"),
        color: Color = Query(default=Color.GREEN),
        item_id: int = Path(ge=1),
    ) -> None: ...

    plan = analyze(handler, "/x/{item_id}")
    assert plan.parameters["headers"] == {"x-token": {"type": "string"}, "raw_name": {"type": "string", "default": "a"}}
    assert plan.parameters["cookies"] == {"sid": {"type": "string"}}
    assert plan.parameters["query"] == {"color": {"enum": ["red", "green"], "type": "string", "default": "green"}}
    assert plan.parameters["path"] == {"item_id": {"type": "integer", "minimum": 1}}


def test_request_dict_body_and_media_type() -> None:
    def handler(request: Request, payload: dict[str, Any] = Body(media_type="application/json")) -> None: ...

    plan = analyze(handler, "/x")
    assert plan.body_schema == {"type": "object"}
    assert plan.content_type == "application/json"
    assert [a["source"] for a in plan.args] == ["request", "body"]


def test_two_bodies_are_members_of_the_body_by_name() -> None:
    def handler(a: dict, b: dict) -> None: ...

    plan = analyze(handler, "/x")
    assert plan.body_schema == {
        "type": "object",
        "properties": {"a": {"type": "object"}, "b": {"type": "object"}},
        "required": ["a", "b"],
    }
    assert [(arg["source"], arg.get("key", arg["name"])) for arg in plan.args] == [("field", "a"), ("field", "b")]


class Opaque:
    pass


def test_unsupported_types_are_refused_at_registration() -> None:
    def handler(thing: Opaque) -> None: ...

    with pytest.raises(ConfigError, match="unsupported parameter type"):
        analyze(handler, "/x")


def test_path_param_names_read_typed_segments() -> None:
    assert path_param_names("/a/{id:int}/b/{name}/{rest:path}") == ["id", "name", "rest"]
