"""The app through Spikard's in-memory TestClient (the real Rust pipeline, no socket)."""

from __future__ import annotations

from spikard.testing import TestClient

from app import app


def test_hello() -> None:
    res = TestClient(app).get("/hello/Ada")
    assert res.status_code == 200
    assert res.json() == {"message": "Hello, Ada!"}
