"""``StreamingResponse``: sync and async iterators streamed through the core."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator

import pytest

from spikard import Spikard, StreamingResponse
from spikard.testing import TestClient


def test_sync_iterator_streams_bytes_and_text_with_media_type() -> None:
    app = Spikard()
    pulled: list[int] = []

    def rows() -> Iterator[bytes | str]:
        for i in range(3):
            pulled.append(i)
            yield f'{{"id":{i}}}\n' if i % 2 == 0 else f'{{"id":{i}}}\n'.encode()

    @app.get("/export")
    def export() -> StreamingResponse:
        return StreamingResponse(rows(), media_type="application/x-ndjson", headers={"x-export": "yes"})

    res = TestClient(app).get("/export")
    assert res.status_code == 200
    assert res.text == '{"id":0}\n{"id":1}\n{"id":2}\n'
    assert res.headers["content-type"] == "application/x-ndjson"
    assert res.headers["x-export"] == "yes"
    assert pulled == [0, 1, 2]


def test_iterator_is_pulled_lazily() -> None:
    app = Spikard()
    pulled: list[int] = []

    def rows() -> Iterator[str]:
        for i in range(2):
            pulled.append(i)
            yield str(i)

    @app.get("/lazy")
    def lazy() -> StreamingResponse:
        response = StreamingResponse(rows())
        assert pulled == []
        return response

    assert TestClient(app).get("/lazy").text == "01"


def test_async_generator_runs_on_the_event_loop_with_custom_status() -> None:
    app = Spikard()
    threads: set[str] = set()

    async def chunks() -> AsyncIterator[bytes]:
        for part in (b"\x00\xff", b"", b"end"):
            await asyncio.sleep(0)
            threads.add(threading.current_thread().name)
            yield part

    @app.get("/blob")
    async def blob() -> StreamingResponse:
        return StreamingResponse(chunks(), status_code=206, media_type="application/octet-stream")

    res = TestClient(app).get("/blob")
    assert res.status_code == 206
    assert res.body_bytes == b"\x00\xffend"
    assert threads == {"spikard-asyncio"}


def test_a_failing_iterator_cuts_the_body_short() -> None:
    app = Spikard()

    def broken() -> Iterator[str]:
        yield "partial"
        raise RuntimeError("boom")

    @app.get("/broken")
    def route() -> StreamingResponse:
        return StreamingResponse(broken())

    @app.get("/ok")
    def ok() -> dict:
        return {"ok": True}

    client = TestClient(app)
    res = client.get("/broken")
    # Headers were sent before the failure: the status stands, the body is cut short.
    assert res.status_code == 200
    assert b"boom" not in res.body_bytes
    # The server keeps serving.
    assert client.get("/ok").json() == {"ok": True}


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(TypeError):
        StreamingResponse(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="invalid status"):
        StreamingResponse([], status_code=1000)
