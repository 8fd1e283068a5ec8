"""FastAPI peer: body validated by a pydantic model, path/query by FastAPI's type hints."""

from typing import Annotated

from fastapi import FastAPI
from pydantic import BaseModel, Field, StrictStr


class Item(BaseModel):
    name: Annotated[str, Field(min_length=1)]
    price: Annotated[float, Field(gt=0)]
    tags: list[StrictStr]


app = FastAPI()


@app.get("/json")
async def get_json() -> dict:
    return {"message": "hello", "id": 1, "ok": True}


@app.post("/items/{item_id}")
async def create_item(item_id: int, limit: int, item: Item) -> dict:
    # FastAPI answers invalid path/query/body with 422 by itself.
    return {"id": item_id, "limit": limit, "name": item.name, "price": item.price, "tags": item.tags}
