"""A FastAPI app using what FastAPI users use: path/query/body validation, dependencies,
background tasks, StreamingResponse, FileResponse, redirects, uploads and lifespan state.
Served unchanged by uvicorn and by ``spikard serve`` in ``test_asgi_fastapi.py``."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import BackgroundTasks, Depends, FastAPI, File, Form, Header, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, PlainTextResponse, RedirectResponse, StreamingResponse
from pydantic import BaseModel, Field

FILE = os.path.join(os.path.dirname(__file__), "report.csv")
DONE: list[str] = []


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    yield {"greeting": "hello from lifespan"}


app = FastAPI(lifespan=lifespan)


class Item(BaseModel):
    name: str = Field(min_length=1)
    price: float = Field(gt=0)
    tags: list[str] = []


def pagination(skip: int = 0, limit: Annotated[int, Field(le=100)] = 10) -> dict[str, int]:
    return {"skip": skip, "limit": limit}


def token(x_token: Annotated[str, Header()]) -> str:
    if x_token != "secret":
        raise HTTPException(status_code=401, detail="bad token", headers={"www-authenticate": "Token"})
    return x_token


@app.get("/items/{item_id}")
def get_item(
    item_id: int, page: Annotated[dict[str, int], Depends(pagination)], q: str | None = None
) -> dict[str, Any]:
    return {"item_id": item_id, "q": q, "page": page}


@app.post("/items", status_code=201)
async def create_item(item: Item, _token: Annotated[str, Depends(token)]) -> Item:
    return item


@app.get("/state")
def read_state(request: Request) -> dict[str, Any]:
    return {"greeting": request.state.greeting, "root_path": request.scope["root_path"]}


@app.get("/stream")
def stream() -> StreamingResponse:
    def lines() -> Iterator[bytes]:
        for i in range(5):
            yield f"line {i}\n".encode()

    return StreamingResponse(lines(), media_type="text/plain")


@app.get("/report")
def report() -> FileResponse:
    return FileResponse(FILE, filename="report.csv")


@app.get("/old")
def old() -> RedirectResponse:
    return RedirectResponse("/items/1", status_code=308)


@app.post("/tasks")
def add_task(background: BackgroundTasks, name: Annotated[str, Form()]) -> PlainTextResponse:
    background.add_task(DONE.append, name)
    return PlainTextResponse("queued", status_code=202)


@app.get("/tasks")
def tasks() -> list[str]:
    return DONE


@app.post("/upload")
async def upload(doc: Annotated[UploadFile, File()], note: Annotated[str, Form()] = "") -> dict[str, Any]:
    data = await doc.read()
    return {"name": doc.filename, "size": len(data), "type": doc.content_type, "note": note}


@app.post("/echo")
async def echo(request: Request) -> PlainTextResponse:
    body = await request.body()
    return PlainTextResponse(f"{len(body)} bytes, {request.headers.get('x-custom', '-')}")


@app.get("/boom")
def boom() -> None:
    raise RuntimeError("boom")
