"""Sync and async handlers, what they may return, and what they may ask for."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import enum
import threading
import uuid

import msgspec

from spikard import Request, Response, Spikard, UploadFile
from spikard.testing import AsyncTestClient, TestClient


class Size(enum.Enum):
    S = "s"
    L = "l"


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Tagged(msgspec.Struct):
    id: uuid.UUID
    when: dt.date


def test_sync_and_async_handlers_answer() -> None:
    app = Spikard()
    loop_threads: list[str] = []

    @app.get("/sync/{n:int}")
    def double(n: int) -> dict:
        return {"n": n * 2}

    @app.get("/async/{n:int}")
    async def triple(n: int) -> dict:
        await asyncio.sleep(0)
        loop_threads.append(threading.current_thread().name)
        return {"n": n * 3}

    client = TestClient(app)
    assert client.get("/sync/2").json() == {"n": 4}
    assert client.get("/async/2").json() == {"n": 6}
    assert loop_threads == ["spikard-asyncio"]


def test_async_handlers_run_concurrently_on_one_loop() -> None:
    app = Spikard()
    started = 0
    both_started = asyncio.Event()

    @app.get("/wait")
    async def wait() -> dict:
        nonlocal started
        started += 1
        if started == 2:
            both_started.set()
        await asyncio.wait_for(both_started.wait(), timeout=5)
        return {"ok": True}

    async def main() -> list[int]:
        client = AsyncTestClient(app)
        results = await asyncio.gather(client.get("/wait"), client.get("/wait"))
        return [r.status_code for r in results]

    assert asyncio.run(main()) == [200, 200]


def test_return_values_convert_in_one_pass() -> None:
    app = Spikard()
    app.add_route("GET", "/dict", lambda: {"a": [1, 2.5, None, True]})
    app.add_route("GET", "/text", lambda: "plain")
    app.add_route("GET", "/bytes", lambda: b"\x00\x01")
    app.add_route("GET", "/dataclass", lambda: Point(1, 2))
    app.add_route("GET", "/struct", lambda: Tagged(uuid.UUID(int=1), dt.date(2024, 5, 6)))
    app.add_route("GET", "/none", lambda: None)
    client = TestClient(app)
    assert client.get("/dict").json() == {"a": [1, 2.5, None, True]}
    res = client.get("/text")
    assert (res.text, res.headers["content-type"]) == ("plain", "text/plain; charset=utf-8")
    res = client.get("/bytes")
    assert (res.body_bytes, res.headers["content-type"]) == (b"\x00\x01", "application/octet-stream")
    assert client.get("/dataclass").json() == {"x": 1, "y": 2}
    assert client.get("/struct").json() == {"id": str(uuid.UUID(int=1)), "when": "2024-05-06"}
    assert client.get("/none").text == "null"


def test_explicit_responses_carry_status_headers_and_cookies() -> None:
    app = Spikard()

    @app.post("/made")
    def made() -> Response:
        response = Response({"id": 1}, status_code=201, headers={"x-trace": "abc", "x-multi": ["1", "2"]})
        response.set_cookie("session", "s1", max_age=60, path="/", httponly=True, samesite="lax")
        return response

    @app.get("/csv")
    def csv() -> Response:
        return Response("a,b\n", media_type="text/csv")

    @app.delete("/gone")
    def gone() -> Response:
        return Response(status_code=204)

    client = TestClient(app)
    res = client.post("/made")
    assert res.status_code == 201
    assert res.json() == {"id": 1}
    assert res.headers["x-trace"] == "abc"
    assert res.get_all("x-multi") == ["1", "2"]
    assert res.get_all("set-cookie") == ["session=s1; Max-Age=60; Path=/; HttpOnly; SameSite=Lax"]
    assert client.get("/csv").headers["content-type"] == "text/csv"
    res = client.delete("/gone")
    assert (res.status_code, res.body_bytes) == (204, b"")


def test_typed_arguments_are_converted() -> None:
    app = Spikard()

    @app.get("/things/{thing_id}")
    def thing(thing_id: uuid.UUID, size: Size, day: dt.date, ids: list[int] | None = None) -> dict:
        assert isinstance(thing_id, uuid.UUID)
        assert isinstance(size, Size)
        assert isinstance(day, dt.date)
        return {"id": thing_id.hex, "size": size.name, "day": day.day, "ids": ids}

    client = TestClient(app)
    uid = uuid.uuid4()
    res = client.get(f"/things/{uid}", params={"size": "l", "day": "2024-02-03", "ids": [1, 2]})
    assert res.json() == {"id": uid.hex, "size": "L", "day": 3, "ids": [1, 2]}
    res = client.get(f"/things/{uid}", params={"size": "xl", "day": "2024-02-03"})
    assert res.status_code == 422
    assert res.json()["errors"][0]["loc"] == ["query", "size"]


def test_request_object_exposes_the_request_lazily() -> None:
    app = Spikard()

    @app.post("/echo/{name}")
    def echo(request: Request, name: str) -> dict:
        request.state["seen"] = True
        return {
            "method": request.method,
            "path": request.path,
            "path_params": request.path_params,
            "query": request.query_params,
            "raw_query": request.raw_query,
            "header": request.headers["x-custom"],
            "cookies": request.cookies,
            "json": request.get_json(),
            "body": request.get_data().decode(),
            "state": dict(request.state),
        }

    res = TestClient(app).post(
        "/echo/ann?a=1&a=2&b=x",
        json={"k": "v"},
        headers={"x-custom": "yes"},
        cookies={"c": "1"},
    )
    assert res.json() == {
        "method": "POST",
        "path": "/echo/ann",
        "path_params": {"name": "ann"},
        "query": {"a": ["1", "2"], "b": "x"},
        "raw_query": [["a", "1"], ["a", "2"], ["b", "x"]],
        "header": "yes",
        "cookies": {"c": "1"},
        "json": {"k": "v"},
        "body": '{"k":"v"}',
        "state": {"seen": True},
    }


def test_upload_files_and_form_fields() -> None:
    app = Spikard()

    @app.post("/upload")
    def upload(request: Request, doc: UploadFile, extra: list[UploadFile] | None = None) -> dict:
        return {
            "name": doc.filename,
            "type": doc.content_type,
            "size": doc.size,
            "data": doc.read().decode(),
            "extra": [f.filename for f in extra or []],
            "title": request.get_form()["title"],
        }

    client = TestClient(app)
    res = client.post(
        "/upload",
        data={"title": "T"},
        files={"doc": ("a.txt", "hello", "text/plain"), "extra": [("b.bin", b"\x01"), ("c.bin", b"\x02")]},
    )
    assert res.json() == {
        "name": "a.txt",
        "type": "text/plain",
        "size": 5,
        "data": "hello",
        "extra": ["b.bin", "c.bin"],
        "title": "T",
    }
    res = client.post("/upload", data={"title": "T"}, files={})
    assert res.status_code == 422
    assert res.json()["errors"][0]["loc"] == ["body", "doc"]


def test_head_and_options_routes() -> None:
    app = Spikard()
    app.head("/h")(lambda: Response(headers={"x-len": "3"}))
    app.options("/h")(lambda: Response(status_code=204, headers={"allow": "GET, HEAD, OPTIONS"}))
    client = TestClient(app)
    assert client.head("/h").headers["x-len"] == "3"
    assert client.options("/h").headers["allow"] == "GET, HEAD, OPTIONS"
    res = client.put("/h")
    assert res.status_code == 405
    assert "allow" in res.headers
