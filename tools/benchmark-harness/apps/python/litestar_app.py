"""Litestar peer: bodies and forms validated by msgspec Structs (with constraints), query
parameters by type hints.

Litestar answers validation errors with 400 and unmatched typed path parameters with 404;
to give the 422 every contestant must give, validation errors are mapped to 422 and typed
path parameters (int, uuid, date) are declared as strings and converted here.
"""

import time
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Litestar, MediaType, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.params import Body


class Line(msgspec.Struct):
    sku: Annotated[str, msgspec.Meta(min_length=1)]
    quantity: Annotated[int, msgspec.Meta(ge=1)]
    price: Annotated[float, msgspec.Meta(gt=0)]
    tags: list[str]


class Order(msgspec.Struct):
    id: int
    customer: Annotated[str, msgspec.Meta(min_length=1)]
    items: list[Line]


class Item(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(min_length=1)]
    price: Annotated[float, msgspec.Meta(gt=0)]
    tags: list[str]


class FormData(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(min_length=1)]
    price: Annotated[float, msgspec.Meta(gt=0)]
    quantity: int


@dataclass
class Upload:
    description: str
    file: UploadFile


def _convert(fn, raw, what):
    try:
        return fn(raw)
    except ValueError:
        raise ValidationException(detail=f"{what} is invalid") from None


@get("/plaintext", media_type=MediaType.TEXT, sync_to_thread=False)
def plaintext() -> str:
    return "Hello, World!"


@get("/json", sync_to_thread=False)
def get_json() -> dict:
    return {"message": "hello", "id": 1, "ok": True}


@get("/sleep", sync_to_thread=True)
def sleep() -> dict:
    time.sleep(0.005)  # a blocking call, in Litestar's thread pool
    return {"slept": True}


@post("/echo/validated", status_code=200)
async def echo_validated(data: Order) -> Order:
    return data


@post("/echo/raw", status_code=200)
async def echo_raw(request: Request) -> Any:
    # No schema: parse and answer the JSON as is.
    return await request.json()


@get("/path/one/{name:str}", sync_to_thread=False)
def path_one(name: str) -> dict:
    return {"name": name}


@get("/path/several/{org:str}/{repo:str}/{branch:str}", sync_to_thread=False)
def path_several(org: str, repo: str, branch: str) -> dict:
    return {"org": org, "repo": repo, "branch": branch}


@get("/path/int/{item_id:str}", sync_to_thread=False)
def path_int(item_id: str) -> dict:
    return {"id": _convert(int, item_id, "id")}


@get("/path/uuid/{item_id:str}", sync_to_thread=False)
def path_uuid(item_id: str) -> dict:
    return {"id": str(_convert(UUID, item_id, "id"))}


@get("/path/date/{day:str}", sync_to_thread=False)
def path_date(day: str) -> dict:
    return {"date": _convert(date.fromisoformat, day, "date").isoformat()}


@get("/query/few", sync_to_thread=False)
def query_few(q: str, page: int, active: bool) -> dict:
    return {"q": q, "page": page, "active": active}


@get("/query/many", sync_to_thread=False)
def query_many(
    q: str, sort: str, order: str, category: str, brand: str, color: str,
    page: int, per_page: int, min_price: int, max_price: int, in_stock: bool, featured: bool,
) -> dict:
    return {
        "q": q, "sort": sort, "order": order, "category": category, "brand": brand, "color": color,
        "page": page, "per_page": per_page, "min_price": min_price, "max_price": max_price,
        "in_stock": in_stock, "featured": featured,
    }


@post("/form", status_code=200)
async def form(data: Annotated[FormData, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> FormData:
    return data


@post("/upload", status_code=200)
async def upload(data: Annotated[Upload, Body(media_type=RequestEncodingType.MULTI_PART)]) -> dict:
    content = await data.file.read()
    return {"filename": data.file.filename, "size": len(content), "description": data.description}


@post("/items/{item_id:str}", status_code=200)
async def create_item(item_id: str, limit: int, data: Item) -> dict:
    id_ = _convert(int, item_id, "id")
    return {"id": id_, "limit": limit, "name": data.name, "price": data.price, "tags": data.tags}


def unprocessable(_: Request, exc: ValidationException) -> Response:
    return Response({"detail": exc.detail, "errors": exc.extra}, status_code=422, media_type=MediaType.JSON)


app = Litestar(
    route_handlers=[
        plaintext, get_json, sleep, echo_validated, echo_raw, path_one, path_several, path_int, path_uuid,
        path_date, query_few, query_many, form, upload, create_item,
    ],
    exception_handlers={ValidationException: unprocessable},
    logging_config=None,
)
