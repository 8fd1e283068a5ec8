"""Contestant ``spikard-python``: every workload's route written with Spikard's Python API.

Path, query, form and body parameters come from annotations (msgspec Structs with
constraints); Spikard's Rust core validates them (422 on bad input) before the handler
runs. Started by the harness as ``python app.py PORT`` in a venv where the ``spikard``
package was installed from ``packages/python`` (a release build).
"""

from __future__ import annotations

import os
import sys
import time
from datetime import date
from typing import Annotated, Any
from uuid import UUID

import msgspec

from spikard import Request, Spikard, UploadFile

app = Spikard()

# Sync handlers run on the pool of blocking threads; SPIKARD_BENCH_INLINE=1 (contestant
# spikard-python-inline) marks the quick ones sync_to_thread=False, as the litestar peer
# does, so they run on the server's thread (the /sleep handler blocks: it stays on the pool).
QUICK: dict[str, Any] = {"sync_to_thread": False} if os.environ.get("SPIKARD_BENCH_INLINE") == "1" else {}

NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]
Positive = Annotated[float, msgspec.Meta(gt=0)]


class Line(msgspec.Struct):
    sku: NonEmpty
    quantity: Annotated[int, msgspec.Meta(ge=1)]
    price: Positive
    tags: list[str]


class Order(msgspec.Struct):
    id: int
    customer: NonEmpty
    items: list[Line]


class Item(msgspec.Struct):
    name: NonEmpty
    price: Positive
    tags: list[str]


class Form(msgspec.Struct):
    name: NonEmpty
    price: Positive
    quantity: int


@app.get("/plaintext", **QUICK)
def plaintext() -> str:
    return "Hello, World!"


@app.get("/json", **QUICK)
def get_json() -> dict:
    return {"message": "hello", "id": 1, "ok": True}


@app.get("/sleep")
def sleep() -> dict:
    time.sleep(0.005)  # a blocking call (a database, an HTTP client)
    return {"slept": True}


@app.post("/echo/validated", **QUICK)
def echo_validated(order: Order) -> Order:
    return order


@app.post("/echo/raw", **QUICK)
def echo_raw(request: Request) -> Any:
    return request.get_json()


@app.get("/path/one/{name}", **QUICK)
def path_one(name: str) -> dict:
    return {"name": name}


@app.get("/path/several/{org}/{repo}/{branch}", **QUICK)
def path_several(org: str, repo: str, branch: str) -> dict:
    return {"org": org, "repo": repo, "branch": branch}


@app.get("/path/int/{id:int}", **QUICK)
def path_int(id: int) -> dict:
    return {"id": id}


@app.get("/path/uuid/{id:uuid}", **QUICK)
def path_uuid(id: UUID) -> dict:
    return {"id": str(id)}


@app.get("/path/date/{day:date}", **QUICK)
def path_date(day: date) -> dict:
    return {"date": day.isoformat()}


@app.get("/query/few", **QUICK)
def query_few(q: str, page: int, active: bool) -> dict:
    return {"q": q, "page": page, "active": active}


@app.get("/query/many", **QUICK)
def query_many(  # noqa: PLR0917 - the workload sends twelve parameters
    q: str,
    sort: str,
    order: str,
    category: str,
    brand: str,
    color: str,
    page: int,
    per_page: int,
    min_price: int,
    max_price: int,
    in_stock: bool,
    featured: bool,
) -> dict:
    return {
        "q": q,
        "sort": sort,
        "order": order,
        "category": category,
        "brand": brand,
        "color": color,
        "page": page,
        "per_page": per_page,
        "min_price": min_price,
        "max_price": max_price,
        "in_stock": in_stock,
        "featured": featured,
    }


@app.post("/form", content_type="application/x-www-form-urlencoded", **QUICK)
def form(data: Form) -> Form:
    return data


@app.post("/upload", **QUICK)
def upload(request: Request, file: UploadFile) -> dict:
    return {"filename": file.filename, "size": file.size, "description": request.get_form()["description"]}


@app.post("/items/{id:int}", **QUICK)
def create_item(id: int, limit: int, item: Item) -> dict:
    return {"id": id, "limit": limit, "name": item.name, "price": item.price, "tags": item.tags}


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), workers=1)
