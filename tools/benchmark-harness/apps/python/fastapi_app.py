"""FastAPI peer: bodies validated by pydantic models, path/query/form/files by FastAPI's type hints.

FastAPI answers invalid input with 422 by itself.
"""

import time
from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field, StrictStr


class Line(BaseModel):
    sku: Annotated[str, Field(min_length=1)]
    quantity: Annotated[int, Field(ge=1)]
    price: Annotated[float, Field(gt=0)]
    tags: list[StrictStr]


class Order(BaseModel):
    id: int
    customer: Annotated[str, Field(min_length=1)]
    items: list[Line]


class Item(BaseModel):
    name: Annotated[str, Field(min_length=1)]
    price: Annotated[float, Field(gt=0)]
    tags: list[StrictStr]


app = FastAPI()


@app.get("/plaintext", response_class=PlainTextResponse)
async def plaintext() -> str:
    return "Hello, World!"


@app.get("/json")
async def get_json() -> dict:
    return {"message": "hello", "id": 1, "ok": True}


@app.get("/sleep")
def sleep() -> dict:
    time.sleep(0.005)  # a blocking call: FastAPI runs a def handler in its thread pool
    return {"slept": True}


@app.post("/echo/validated")
async def echo_validated(order: Order) -> Order:
    return order


@app.post("/echo/raw")
async def echo_raw(request: Request) -> JSONResponse:
    # No model: parse and answer the JSON as is.
    return JSONResponse(await request.json())


@app.get("/path/one/{name}")
async def path_one(name: str) -> dict:
    return {"name": name}


@app.get("/path/several/{org}/{repo}/{branch}")
async def path_several(org: str, repo: str, branch: str) -> dict:
    return {"org": org, "repo": repo, "branch": branch}


@app.get("/path/int/{item_id}")
async def path_int(item_id: int) -> dict:
    return {"id": item_id}


@app.get("/path/uuid/{item_id}")
async def path_uuid(item_id: UUID) -> dict:
    return {"id": str(item_id)}


@app.get("/path/date/{day}")
async def path_date(day: date) -> dict:
    return {"date": day.isoformat()}


@app.get("/query/few")
async def query_few(q: str, page: int, active: bool) -> dict:
    return {"q": q, "page": page, "active": active}


@app.get("/query/many")
async def query_many(
    q: str, sort: str, order: str, category: str, brand: str, color: str,
    page: int, per_page: int, min_price: int, max_price: int, in_stock: bool, featured: bool,
) -> dict:
    return {
        "q": q, "sort": sort, "order": order, "category": category, "brand": brand, "color": color,
        "page": page, "per_page": per_page, "min_price": min_price, "max_price": max_price,
        "in_stock": in_stock, "featured": featured,
    }


@app.post("/form")
async def form(
    name: Annotated[str, Form(min_length=1)],
    price: Annotated[float, Form(gt=0)],
    quantity: Annotated[int, Form()],
) -> dict:
    return {"name": name, "price": price, "quantity": quantity}


@app.post("/upload")
async def upload(description: Annotated[str, Form()], file: Annotated[UploadFile, File()]) -> dict:
    data = await file.read()
    return {"filename": file.filename, "size": len(data), "description": description}


@app.post("/items/{item_id}")
async def create_item(item_id: int, limit: int, item: Item) -> dict:
    return {"id": item_id, "limit": limit, "name": item.name, "price": item.price, "tags": item.tags}
