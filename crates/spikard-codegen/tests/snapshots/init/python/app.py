"""hello: a Spikard app (``python app.py`` serves it on http://127.0.0.1:8000, docs at /docs)."""

from __future__ import annotations

import os

import msgspec
from spikard import Spikard
from spikard.config import OpenApiConfig, ServerConfig


class Greeting(msgspec.Struct):
    message: str


app = Spikard(ServerConfig(openapi=OpenApiConfig(title="hello", version="0.1.0")))


@app.get("/hello/{name}")
async def hello(name: str) -> Greeting:
    """Greet someone by name."""
    return Greeting(message=f"Hello, {name}!")


if __name__ == "__main__":
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "8000")))
