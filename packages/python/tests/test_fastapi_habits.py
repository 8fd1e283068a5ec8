"""What a FastAPI user reaches for in the first hour (issue 19), written as they would
write it. Checked by ``mypy --strict`` with the package (``pyproject.toml``)."""

from __future__ import annotations

import dataclasses
import enum
import pathlib
from collections.abc import Iterator
from typing import Annotated, Literal, NamedTuple, TypedDict

import msgspec
import pydantic
import pytest

from spikard import (
    Body,
    ConfigError,
    Cookie,
    Dependency,
    Depends,
    File,
    FileResponse,
    Form,
    Header,
    HTMLResponse,
    HTTPException,
    JSONResponse,
    Path,
    PlainTextResponse,
    Provide,
    Query,
    RedirectResponse,
    Request,
    RouteError,
    Router,
    Spikard,
    UploadFile,
    get,
)
from spikard import app as app_module
from spikard.config import OpenApiConfig, ServerConfig
from spikard.testing import TestClient

# -- 1. a response holds every field of the value returned ---------------------------


@dataclasses.dataclass
class TodoDataclass:
    text: str
    priority: int = 1
    tags: list[str] = dataclasses.field(default_factory=list)


class TodoStruct(msgspec.Struct):
    text: str
    priority: int = 1
    tags: list[str] = msgspec.field(default_factory=list)


class TodoCompact(msgspec.Struct, omit_defaults=True):
    text: str
    priority: int = 1
    tags: list[str] = msgspec.field(default_factory=list)


class TodoDict(TypedDict):
    text: str
    priority: int
    tags: list[str]


class TodoTuple(NamedTuple):
    text: str
    priority: int = 1
    tags: list[str] = []  # noqa: RUF012 - never mutated


class TodoModel(pydantic.BaseModel):
    text: str
    priority: int = 1
    tags: list[str] = []


class Board(msgspec.Struct):
    """A struct holding compact structs: they keep their defaults too."""

    todos: list[TodoCompact]
    pinned: TodoCompact | None = None


TODO = {"text": "hi", "priority": 1, "tags": []}


def todo_app() -> Spikard:
    app = Spikard()

    @app.get("/dataclass")
    def dataclass_todo() -> TodoDataclass:
        return TodoDataclass("hi")

    @app.get("/struct")
    def struct_todo() -> TodoStruct:
        return TodoStruct("hi")

    @app.get("/compact")
    def compact_todo() -> TodoCompact:
        return TodoCompact("hi")

    @app.get("/typeddict")
    def typeddict_todo() -> TodoDict:
        return {"text": "hi", "priority": 1, "tags": []}

    @app.get("/namedtuple")
    def namedtuple_todo() -> TodoTuple:
        return TodoTuple("hi")

    @app.get("/pydantic")
    def pydantic_todo() -> TodoModel:
        return TodoModel(text="hi")

    @app.get("/board")
    def board() -> Board:
        return Board([TodoCompact("hi")], pinned=TodoCompact("hi"))

    @app.get("/unannotated/{kind}")
    def unannotated(kind: str) -> object:  # no model: the value is encoded as it is
        values: dict[str, object] = {
            "dataclass": TodoDataclass("hi"),
            "struct": TodoStruct("hi"),
            "compact": TodoCompact("hi"),
            "pydantic": TodoModel(text="hi"),
            "in_a_dict": {"todo": TodoCompact("hi")},
        }
        return values[kind]

    @app.get("/model-from-dict", response_model=TodoCompact)
    def model_from_dict() -> dict[str, object]:
        return {"text": "hi"}

    return app


@pytest.mark.parametrize("kind", ["dataclass", "struct", "compact", "typeddict", "pydantic"])
def test_every_field_of_the_returned_value_is_sent(kind: str) -> None:
    assert TestClient(todo_app()).get(f"/{kind}").json() == TODO


def test_a_namedtuple_is_sent_whole_as_an_array() -> None:
    assert TestClient(todo_app()).get("/namedtuple").json() == ["hi", 1, []]


def test_nested_compact_structs_keep_their_defaults() -> None:
    assert TestClient(todo_app()).get("/board").json() == {"todos": [TODO], "pinned": TODO}


@pytest.mark.parametrize("kind", ["dataclass", "struct", "compact", "pydantic"])
def test_without_a_return_annotation_every_field_is_sent_too(kind: str) -> None:
    assert TestClient(todo_app()).get(f"/unannotated/{kind}").json() == TODO


def test_a_compact_struct_inside_a_dict_keeps_its_defaults() -> None:
    assert TestClient(todo_app()).get("/unannotated/in_a_dict").json() == {"todo": TODO}


def test_a_compact_response_model_fills_in_and_sends_its_defaults() -> None:
    assert TestClient(todo_app()).get("/model-from-dict").json() == TODO


# -- 3. a request parameter named like a dependency is refused, naming both ---------------


def settings() -> dict[str, int]:
    return {"limit": 50}


def test_a_query_parameter_named_like_a_dependency_is_a_config_error() -> None:
    app = Spikard(dependencies={"limit": Provide(settings)})
    with pytest.raises(ConfigError, match=r"GET /items: parameter 'limit'.*dependency 'limit'"):

        @app.get("/items")
        def items(limit: int = 10) -> dict[str, int]:
            return {"limit": limit}


def test_a_marked_parameter_named_like_a_dependency_is_a_config_error() -> None:
    app = Spikard(dependencies={"token": "secret"})
    with pytest.raises(ConfigError, match=r"parameter 'token'.*Header\(\).*dependency 'token'"):

        @app.get("/me")
        def me(token: Annotated[str, Header()]) -> dict[str, str]:
            return {"token": token}

    with pytest.raises(ConfigError, match=r"parameter 'token'.*Query\(\).*dependency 'token'"):

        @app.get("/search")
        def search(token: Annotated[str, Query(min_length=2)]) -> dict[str, str]:
            return {"token": token}


def test_a_path_parameter_named_like_a_dependency_is_a_config_error() -> None:
    app = Spikard(dependencies={"user_id": 7})
    with pytest.raises(ConfigError, match=r"parameter 'user_id'.*path parameter.*dependency 'user_id'"):

        @app.get("/users/{user_id:int}")
        def user(user_id: int) -> dict[str, int]:
            return {"id": user_id}


def test_the_dependency_is_still_reachable_explicitly() -> None:
    app = Spikard(dependencies={"limit": Provide(settings)})

    @app.get("/items")
    def items(limit: dict[str, int] = Dependency(), page: int = 1) -> dict[str, int]:
        return {"limit": limit["limit"], "page": page}

    @app.get("/plain")
    def plain(limit: dict[str, int]) -> dict[str, int]:
        return limit

    client = TestClient(app)
    assert client.get("/items?page=2").json() == {"limit": 50, "page": 2}
    assert client.get("/plain").json() == {"limit": 50}


# -- 6. sharp edges ----------------------------------------------------------------------


@pytest.fixture
def no_other_app() -> Iterator[None]:
    """Other tests' apps may still be alive (a client, a thread): set them aside."""
    saved = list(app_module._apps)
    app_module._apps.clear()
    yield
    app_module._apps.update(saved)


@pytest.mark.usefixtures("no_other_app")
def test_module_level_decorators_refuse_to_guess_between_two_apps() -> None:
    first, second = Spikard(), Spikard()
    with pytest.raises(ConfigError, match=r"@get\('/ping'\).*2 Spikard apps exist.*@app\.get"):

        @get("/ping")
        def ping() -> str:
            return "pong"

    assert len(first) == len(second) == 0


@pytest.mark.usefixtures("no_other_app")
def test_module_level_decorators_register_on_the_only_app() -> None:
    app = Spikard()

    @get("/ping")
    def ping() -> str:
        return "pong"

    assert TestClient(app).get("/ping").text == "pong"


def test_an_unknown_segment_type_is_a_config_error_listing_the_known_ones() -> None:
    app = Spikard()
    with pytest.raises(ConfigError, match=r"unknown parameter type 'integer' \(known: str, int, float, uuid"):

        @app.get("/items/{item_id:integer}")
        def item(item_id: int) -> dict[str, int]:
            return {"id": item_id}


def test_problem_types_are_slugs() -> None:
    app = Spikard()

    @app.get("/coffee")
    def coffee() -> None:
        raise HTTPException(418, "Short and stout")

    problem = TestClient(app).get("/coffee").json()
    assert problem["type"] == "https://spikard.dev/errors/im-a-teapot"
    assert problem["title"] == "I'm a teapot"


class Color(str, enum.Enum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


class Paint(msgspec.Struct):
    color: Color
    finish: Literal["matte", "gloss", "satin"] = "matte"


def paint_app() -> Spikard:
    app = Spikard(ServerConfig(openapi=OpenApiConfig(enabled=True)))

    @app.post("/paint")
    def paint(paint: Paint, color: Color, finish: Literal["matte", "gloss", "satin"] = "matte") -> dict[str, str]:
        return {"color": color.value, "finish": finish}

    return app


def test_enum_errors_list_the_values_as_declared_in_the_query_and_in_the_body() -> None:
    res = TestClient(paint_app()).post("/paint?color=pink&finish=shiny", json={"color": "pink", "finish": "shiny"})
    messages = {tuple(e["loc"]): e["msg"] for e in res.json()["errors"]}
    colors = "Input should be 'red', 'green' or 'blue'"
    finishes = "Input should be 'matte', 'gloss' or 'satin'"
    assert messages == {
        ("query", "color"): colors,
        ("query", "finish"): finishes,
        ("body", "color"): colors,
        ("body", "finish"): finishes,
    }


def test_enum_schemas_are_documented_with_their_type() -> None:
    doc = TestClient(paint_app()).get("/openapi.json").json()
    assert doc["components"]["schemas"]["Color"]["type"] == "string"
    assert doc["components"]["schemas"]["Color"]["enum"] == ["red", "green", "blue"]
    params = {p["name"]: p["schema"] for p in doc["paths"]["/paint"]["post"]["parameters"]}
    assert params["finish"]["type"] == "string"


# -- 2. dependencies read the request like handlers --------------------------------------


def pagination(skip: int = 0, limit: Annotated[int, Query(le=100)] = 10) -> dict[str, int]:
    return {"skip": skip, "limit": limit}


def common_parameters(
    q: str | None = None,
    page: dict[str, int] = Depends(pagination),
    x_token: Annotated[str, Header()] = "anonymous",
) -> dict[str, object]:
    return {"q": q, "page": page, "token": x_token}


def commons_app() -> Spikard:
    app = Spikard(ServerConfig(openapi=OpenApiConfig(enabled=True)))

    @app.get("/items")
    def read_items(commons: dict[str, object] = Depends(common_parameters)) -> dict[str, object]:
        return commons

    @app.get("/users")
    def read_users(commons: Annotated[dict[str, object], Depends(common_parameters)]) -> dict[str, object]:
        return commons

    return app


@pytest.mark.parametrize("path", ["/items", "/users"])
def test_a_dependency_reads_query_headers_and_nested_dependencies(path: str) -> None:
    client = TestClient(commons_app())
    got = client.get(f"{path}?q=hi&skip=2", headers={"x-token": "t"}).json()
    assert got == {"q": "hi", "page": {"skip": 2, "limit": 10}, "token": "t"}
    assert client.get(path).json() == {"q": None, "page": {"skip": 0, "limit": 10}, "token": "anonymous"}


def test_a_dependency_parameter_is_validated_by_the_core() -> None:
    res = TestClient(commons_app()).get("/items?skip=x&limit=1000")
    assert res.status_code == 422
    assert [(e["type"], e["loc"]) for e in res.json()["errors"]] == [
        ("int_parsing", ["query", "skip"]),
        ("less_than_equal", ["query", "limit"]),
    ]


def test_dependency_parameters_are_documented() -> None:
    doc = TestClient(commons_app()).get("/openapi.json").json()
    params = {(p["in"], p["name"]): p for p in doc["paths"]["/items"]["get"]["parameters"]}
    assert set(params) == {("query", "q"), ("query", "skip"), ("query", "limit"), ("header", "x-token")}
    assert params[("query", "limit")]["schema"] == {"type": "integer", "default": 10, "maximum": 100, "format": "int64"}


class Credentials(msgspec.Struct):
    user: str
    password: str


def test_app_dependencies_read_path_cookies_and_the_body() -> None:
    def current_user(
        org: Annotated[str, Path()],
        credentials: Annotated[Credentials, Body()],
        session: Annotated[str, Cookie()] = "none",
    ) -> str:
        return f"{org}/{credentials.user}/{session}"

    app = Spikard(dependencies={"user": Provide(current_user)})

    @app.post("/orgs/{org}/login")
    def login(org: str, user: str = Dependency()) -> dict[str, str]:
        return {"org": org, "user": user}

    client = TestClient(app)
    res = client.post("/orgs/acme/login", json={"user": "ada", "password": "x"}, cookies={"session": "s1"})
    assert res.json() == {"org": "acme", "user": "acme/ada/s1"}
    assert client.post("/orgs/acme/login", json={"user": "ada"}).status_code == 422


def test_a_dependency_registered_after_the_route_still_brings_its_parameters() -> None:
    app = Spikard()

    @app.get("/late")
    def late(paging: dict[str, int] = Dependency()) -> dict[str, int]:
        return paging

    app.provide("paging", pagination)
    client = TestClient(app)
    assert client.get("/late?skip=3").json() == {"skip": 3, "limit": 10}
    assert client.get("/late?limit=101").status_code == 422


def test_a_parameter_read_differently_by_handler_and_dependency_is_refused() -> None:
    app = Spikard()
    with pytest.raises(ConfigError, match=r"dependency 'page' declares query parameter 'skip' unlike the handler"):

        @app.get("/clash")
        def clash(skip: str, page: dict[str, int] = Depends(pagination)) -> dict[str, int]:
            return page


def test_a_singleton_keeps_its_defaults() -> None:
    def settings(retries: int = 3) -> dict[str, int]:
        return {"retries": retries}

    app = Spikard(dependencies={"settings": Provide(settings, singleton=True)})

    @app.get("/settings")
    def show(settings: dict[str, int]) -> dict[str, int]:
        return settings

    assert TestClient(app).get("/settings?retries=9").json() == {"retries": 3}


# -- 4. routers ---------------------------------------------------------------------------


def test_routers_with_prefix_tags_and_dependencies() -> None:
    users = Router(prefix="/users", tags=["users"], dependencies={"db": {"ada": 1}})

    @users.get("/{name}", tags=["read"])
    def get_user(name: str, db: dict[str, int]) -> dict[str, object]:
        return {"name": name, "id": db.get(name)}

    @users.post("/")
    def create_user() -> dict[str, bool]:
        return {"created": True}

    admin = Router(prefix="/admin")
    admin.include_router(users, tags=["admin"])

    app = Spikard(ServerConfig(openapi=OpenApiConfig(enabled=True)))
    app.include_router(users, prefix="/v1")
    app.include_router(admin)
    client = TestClient(app)
    assert client.get("/v1/users/ada").json() == {"name": "ada", "id": 1}
    assert client.post("/v1/users/").json() == {"created": True}
    assert client.get("/admin/users/ada").json() == {"name": "ada", "id": 1}
    paths = client.get("/openapi.json").json()["paths"]
    assert paths["/v1/users/{name}"]["get"]["tags"] == ["users", "read"]
    assert paths["/admin/users/{name}"]["get"]["tags"] == ["admin", "users", "read"]


def test_a_router_prefix_starts_with_a_slash() -> None:
    with pytest.raises(ValueError, match="starts with '/'"):
        Router(prefix="users")


def test_starlette_response_classes() -> None:
    app = Spikard()

    @app.get("/page")
    def page() -> HTMLResponse:
        return HTMLResponse("<h1>hi</h1>")

    @app.get("/old")
    def old() -> RedirectResponse:
        return RedirectResponse("/page", status_code=308)

    @app.get("/text")
    def text() -> PlainTextResponse:
        return PlainTextResponse("made", status_code=201)

    @app.get("/json")
    def json_value() -> JSONResponse:
        return JSONResponse({"a": 1}, status_code=202, headers={"x-a": "1"})

    client = TestClient(app)
    res = client.get("/page")
    assert (res.status_code, res.headers["content-type"], res.text) == (200, "text/html; charset=utf-8", "<h1>hi</h1>")
    res = client.get("/old")
    assert (res.status_code, res.headers["location"], res.text) == (308, "/page", "")
    res = client.get("/text")
    assert (res.status_code, res.headers["content-type"], res.text) == (201, "text/plain; charset=utf-8", "made")
    res = client.get("/json")
    assert (res.status_code, res.headers["x-a"], res.json()) == (202, "1", {"a": 1})
    with pytest.raises(ValueError, match="3xx"):
        RedirectResponse("/x", status_code=200)


def test_status_code_on_the_decorator() -> None:
    app = Spikard(ServerConfig(openapi=OpenApiConfig(enabled=True)))

    @app.post("/todos", status_code=201)
    def create_todo(todo: TodoStruct) -> TodoStruct:
        return todo

    @app.post("/drafts", status_code=201)
    def create_draft() -> JSONResponse:
        return JSONResponse({"queued": True}, status_code=202)  # a status of its own wins

    client = TestClient(app)
    res = client.post("/todos", json={"text": "hi"})
    assert (res.status_code, res.json()) == (201, TODO)
    assert client.post("/todos", json={}).status_code == 422
    assert client.post("/drafts").status_code == 202
    responses = client.get("/openapi.json").json()["paths"]["/todos"]["post"]["responses"]
    # The declared success, and the framework's problems for a route with a body.
    assert set(responses) == {"201", "400", "408", "413", "415", "422"}
    with pytest.raises(RouteError, match="status_code"):
        app.add_route("GET", "/bad", create_draft, status_code=404)


class Item(msgspec.Struct):
    name: str


class Owner(msgspec.Struct):
    id: int


def forms_app() -> Spikard:
    app = Spikard()

    @app.post("/login")
    def login(
        username: str = Form(), password: str = Form(min_length=3), remember: bool = Form(False)
    ) -> dict[str, object]:
        return {"username": username, "password": password, "remember": remember}

    @app.post("/upload")
    def upload(document: UploadFile = File(), note: str = Form("")) -> dict[str, object]:
        return {"filename": document.filename, "note": note}

    @app.put("/items")
    def update(item: Item, owner: Owner, importance: int = Body(1)) -> dict[str, object]:
        return {"item": item.name, "owner": owner.id, "importance": importance}

    @app.put("/embedded")
    def embedded(item: Item = Body(embed=True)) -> dict[str, str]:
        return {"item": item.name}

    return app


def test_form_fields_and_files() -> None:
    client = TestClient(forms_app())
    assert client.post("/login", data={"username": "ada", "password": "secret"}).json() == {
        "username": "ada",
        "password": "secret",
        "remember": False,
    }
    res = client.post("/login", data={"username": "ada", "password": "x", "remember": "true"})
    assert [(e["type"], e["loc"]) for e in res.json()["errors"]] == [("string_too_short", ["body", "password"])]
    res = client.post("/upload", files={"document": ("a.txt", b"hi", "text/plain")}, data={"note": "n"})
    assert res.json() == {"filename": "a.txt", "note": "n"}


def test_several_body_parameters_are_embedded_by_name() -> None:
    client = TestClient(forms_app())
    res = client.put("/items", json={"item": {"name": "pen"}, "owner": {"id": 3}})
    assert res.json() == {"item": "pen", "owner": 3, "importance": 1}
    res = client.put("/items", json={"item": {"name": "pen"}})
    assert [(e["type"], e["loc"]) for e in res.json()["errors"]] == [("missing", ["body", "owner"])]
    assert client.put("/embedded", json={"item": {"name": "pen"}}).json() == {"item": "pen"}


def test_response_class_wraps_plain_results_and_is_documented() -> None:
    app = Spikard(ServerConfig(openapi=OpenApiConfig(enabled=True)))

    @app.get("/hello", response_class=HTMLResponse)
    def hello() -> str:
        return "<p>hello</p>"

    @app.get("/made", response_class=PlainTextResponse, status_code=201)
    def made() -> str:
        return "made"

    client = TestClient(app)
    res = client.get("/hello")
    assert (res.headers["content-type"], res.text) == ("text/html; charset=utf-8", "<p>hello</p>")
    res = client.get("/made")
    assert (res.status_code, res.headers["content-type"]) == (201, "text/plain; charset=utf-8")
    paths = client.get("/openapi.json").json()["paths"]
    assert paths["/hello"]["get"]["responses"]["200"]["content"] == {"text/html": {"schema": {"type": "string"}}}
    assert set(paths["/made"]["get"]["responses"]) == {"201", "400"}


def test_query_params_keep_every_value() -> None:
    app = Spikard()

    @app.get("/search")
    def search(request: Request) -> dict[str, object]:
        params = request.query_params
        return {"tags": params.getlist("tag"), "q": params["q"], "pairs": len(params.multi_items())}

    res = TestClient(app).get("/search?tag=a&q=x&tag=b")
    assert res.json() == {"tags": ["a", "b"], "q": "x", "pairs": 3}


def files_app(tmp_path: pathlib.Path) -> Spikard:
    report = tmp_path / "report.csv"
    report.write_text("id,name\n1,ada\n2,alan\n")
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * 2048)  # 512 KiB: streamed
    app = Spikard()

    @app.get("/report")
    def get_report() -> FileResponse:
        return FileResponse(report, filename="report.csv")

    @app.get("/report/inline")
    def show_report() -> FileResponse:
        return FileResponse(str(report), media_type="text/plain", content_disposition_type="inline", filename="r.txt")

    @app.get("/big")
    async def get_big() -> FileResponse:
        return FileResponse(big, headers={"cache-control": "max-age=60"})

    @app.get("/résumé")
    def resume() -> FileResponse:
        return FileResponse(report, filename="résumé 1.csv")

    @app.get("/missing")
    def missing() -> FileResponse:
        return FileResponse(tmp_path / "nope.txt")

    @app.get("/gone")
    def gone() -> FileResponse:
        return FileResponse(report, status_code=410)

    return app


def test_file_response_sends_the_file_with_validators(tmp_path: pathlib.Path) -> None:
    client = TestClient(files_app(tmp_path))
    res = client.get("/report")
    assert (res.status_code, res.text) == (200, "id,name\n1,ada\n2,alan\n")
    assert res.headers["content-type"] == "text/csv"
    assert res.headers["content-disposition"] == 'attachment; filename="report.csv"'
    assert res.headers["content-length"] == "21"
    assert res.headers["accept-ranges"] == "bytes"
    assert res.headers["etag"].startswith('"15-')
    assert "last-modified" in res.headers
    again = client.get("/report", headers={"if-none-match": res.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")
    since = client.get("/report", headers={"if-modified-since": res.headers["last-modified"]})
    assert since.status_code == 304
    head = client.head("/report")
    assert (head.status_code, head.content, head.headers["content-length"]) == (200, b"", "21")


def test_file_response_ranges(tmp_path: pathlib.Path) -> None:
    client = TestClient(files_app(tmp_path))
    part = client.get("/report", headers={"range": "bytes=8-12"})
    assert (part.status_code, part.text, part.headers["content-range"]) == (206, "1,ada", "bytes 8-12/21")
    tail = client.get("/big", headers={"range": "bytes=-4"})
    assert (tail.status_code, tail.content) == (206, bytes([252, 253, 254, 255]))
    refused = client.get("/report", headers={"range": "bytes=100-"})
    assert (refused.status_code, refused.headers["content-range"]) == (416, "bytes */21")
    assert refused.json()["type"] == "https://spikard.dev/errors/range-not-satisfiable"
    stale = client.get("/report", headers={"range": "bytes=0-1", "if-range": '"stale"'})
    assert (stale.status_code, len(stale.content)) == (200, 21)


def test_file_response_media_types_names_and_failures(tmp_path: pathlib.Path) -> None:
    client = TestClient(files_app(tmp_path))
    res = client.get("/report/inline")
    assert (res.headers["content-type"], res.headers["content-disposition"]) == (
        "text/plain",
        'inline; filename="r.txt"',
    )
    big = client.get("/big")
    assert (big.status_code, big.content) == (200, bytes(range(256)) * 2048)
    assert (big.headers["content-type"], big.headers["cache-control"]) == ("application/octet-stream", "max-age=60")
    named = client.get("/résumé")
    assert named.headers["content-disposition"] == "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9%201.csv"
    missing = client.get("/missing")
    assert (missing.status_code, missing.json()["detail"]) == (500, "Internal server error")
    gone = client.get("/gone", headers={"range": "bytes=0-1"})
    assert (gone.status_code, len(gone.content)) == (410, 21)


def test_json_response_sends_a_string_as_json() -> None:
    app = Spikard()

    @app.get("/s")
    def s() -> JSONResponse:
        return JSONResponse("abc")

    res = TestClient(app).get("/s")
    assert (res.headers["content-type"], res.text, res.json()) == ("application/json", '"abc"', "abc")


def test_the_request_body_is_awaitable_as_in_starlette() -> None:
    app = Spikard()

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, object]:
        return {"json": await request.json(), "body": (await request.body()).decode()}

    @app.post("/form")
    async def form(request: Request) -> dict[str, object]:
        return dict(await request.form())

    @app.post("/sync")
    def sync(request: Request) -> dict[str, object]:
        return {"json": request.get_json(), "size": len(request.get_data()), "form": request.get_form()}

    client = TestClient(app)
    assert client.post("/echo", json={"a": 1}).json() == {"json": {"a": 1}, "body": '{"a":1}'}
    assert client.post("/form", data={"title": "T"}).json() == {"title": "T"}
    assert client.post("/sync", json={"a": 1}).json() == {"json": {"a": 1}, "size": 7, "form": {}}


def verify_token(x_token: Annotated[str, Header()]) -> None:
    if x_token != "secret":
        raise HTTPException(401, "bad token")


def test_dependencies_listed_with_depends_run_for_every_request() -> None:
    calls: list[str] = []

    def audit() -> Iterator[None]:
        calls.append("opened")
        try:
            yield
        finally:
            calls.append("closed")

    app = Spikard(ServerConfig(openapi=OpenApiConfig(enabled=True)), dependencies=[Depends(audit)])
    admin = Router(prefix="/admin", dependencies=[Depends(verify_token)])

    @admin.get("/stats")
    def stats() -> dict[str, int]:
        return {"users": 3}

    @app.get("/open", dependencies=[Depends(verify_token), {"db": Provide({"ok": True})}])
    def open_route(db: dict[str, bool]) -> dict[str, bool]:
        return db

    app.include_router(admin)
    client = TestClient(app)
    assert client.get("/admin/stats").status_code == 422
    assert client.get("/admin/stats", headers={"x-token": "nope"}).json()["detail"] == "bad token"
    assert client.get("/admin/stats", headers={"x-token": "secret"}).json() == {"users": 3}
    assert client.get("/open", headers={"x-token": "secret"}).json() == {"ok": True}
    # The request refused by validation (422) creates nothing; the others open and close it.
    assert calls == ["opened", "closed"] * 3
    doc = client.get("/openapi.json").json()
    params = doc["paths"]["/admin/stats"]["get"]["parameters"]
    assert [(p["name"], p["in"], p["required"]) for p in params] == [("x-token", "header", True)]


def test_dependencies_list_items_must_be_callables() -> None:
    app = Spikard()
    with pytest.raises(TypeError, match="runs callables"):
        app.add_route("GET", "/x", lambda: 1, dependencies=[Provide(3)])
