"""The benchmark harness's two workloads written with the Python API.

``get-json``: ``GET /json`` returns a small dict. ``post-validated``:
``POST /items/{id:int}?limit=`` with a JSON body validated against ``Item`` (non-empty
name, positive price) echoes path, query and body. Start it with
``python examples/python/bench_app.py PORT [WORKERS]`` (a release build of the
extension: ``cd packages/python && maturin develop --release``).
"""

from __future__ import annotations

import sys
from typing import Annotated

import msgspec

from spikard import Spikard

app = Spikard()


class Item(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(min_length=1)]
    price: Annotated[float, msgspec.Meta(gt=0)]
    tags: list[str]


@app.get("/json")
def hello() -> dict:
    return {"message": "hello", "id": 1, "ok": True}


@app.post("/items/{id:int}")
def echo(id: int, limit: int, item: Item) -> dict:
    return {"id": id, "limit": limit, "name": item.name, "price": item.price, "tags": item.tags}


if __name__ == "__main__":
    app.run(port=int(sys.argv[1]), workers=int(sys.argv[2]) if len(sys.argv) > 2 else 1)
