"""What importing the package loads: an app without async code or pydantic models never
imports asyncio (and with it ssl) or pydantic, which would cost every worker several MB."""

from __future__ import annotations

import subprocess
import sys

_SYNC_APP = """
import sys
import msgspec
from spikard import Spikard

class Item(msgspec.Struct):
    name: str
    price: float

app = Spikard()

@app.get("/items/{item_id:int}")
def get_item(item_id: int) -> dict[str, int]:
    return {"id": item_id}

@app.post("/items")
def create(body: Item) -> Item:
    return body

print(" ".join(m for m in ("asyncio", "ssl", "pydantic") if m in sys.modules))
"""


def test_a_sync_app_loads_neither_asyncio_nor_pydantic() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", _SYNC_APP], check=True, capture_output=True, text=True
    ).stdout.split()
    assert loaded == []
