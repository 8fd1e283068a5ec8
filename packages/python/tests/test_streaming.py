"""``StreamingResponse``: sync and async iterators streamed through the core."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
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


# A client that goes away closes the iterator at once. The generators below are also kept
# referenced here, so only that explicit close (not garbage collection) can run their `finally:`.
_alive: list[object] = []


def test_async_generator_is_closed_when_the_client_goes_away() -> None:
    app = Spikard()
    closed = threading.Event()
    sent: list[int] = []

    async def ticks() -> AsyncIterator[str]:
        try:
            n = 0
            while True:
                sent.append(n)
                yield f"{n}\n"
                n += 1
                await asyncio.sleep(0)
        finally:
            await asyncio.sleep(0)  # cleanup may await
            closed.set()

    @app.get("/ticks")
    def route() -> StreamingResponse:
        gen = ticks()
        _alive.append(gen)
        return StreamingResponse(gen)

    stream = TestClient(app).stream("GET", "/ticks")
    assert stream.next_chunk() == b"0\n"
    assert not closed.is_set()
    stream.close()
    assert closed.wait(timeout=10)
    assert stream.next_chunk() is None


def test_a_pending_pull_is_cancelled_then_the_generator_closed(caplog: pytest.LogCaptureFixture) -> None:
    app = Spikard()
    steps: list[str] = []
    closed = threading.Event()
    waiting = threading.Event()

    async def slow() -> AsyncIterator[str]:
        try:
            yield "first"
            waiting.set()
            await asyncio.Event().wait()  # never set: the pull is pending when the client leaves
            yield "never"
        except asyncio.CancelledError:
            steps.append("cancelled")
            await asyncio.sleep(0)  # still running when the stream asks to close it
            raise
        finally:
            steps.append("finally")
            closed.set()

    @app.get("/slow")
    async def route() -> StreamingResponse:
        gen = slow()
        _alive.append(gen)
        return StreamingResponse(gen)

    with caplog.at_level(logging.ERROR, logger="spikard"):
        with TestClient(app).stream("GET", "/slow") as stream:
            assert stream.next_chunk() == b"first"
            # A read on another thread starts the next pull, which never completes.
            reader = threading.Thread(target=stream.next_chunk, daemon=True)
            reader.start()
            assert waiting.wait(timeout=10)
        assert closed.wait(timeout=10)
    assert steps == ["cancelled", "finally"]
    assert not [r for r in caplog.records if r.name == "spikard"]


def test_sync_generator_is_closed_when_the_client_goes_away() -> None:
    app = Spikard()
    steps: list[str] = []

    def rows() -> Iterator[str]:
        try:
            while True:
                yield "row\n"
        except GeneratorExit:
            steps.append("exit")
            raise
        finally:
            steps.append("finally")

    @app.get("/rows")
    def route() -> StreamingResponse:
        gen = rows()
        _alive.append(gen)
        return StreamingResponse(gen)

    with TestClient(app).stream("GET", "/rows") as stream:
        assert stream.next_chunk() == b"row\n"
        assert steps == []
    # Closed on the pool of blocking threads (the generator's cleanup may block), right away.
    deadline = time.monotonic() + 10
    while len(steps) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert steps == ["exit", "finally"]


def test_exhausted_and_unread_generators_are_finished_once() -> None:
    app = Spikard()
    steps: list[str] = []

    def rows() -> Iterator[str]:
        try:
            yield "a"
            yield "b"
        finally:
            steps.append("finally")

    @app.get("/rows")
    def route() -> StreamingResponse:
        gen = rows()
        _alive.append(gen)
        return StreamingResponse(gen)

    client = TestClient(app)
    assert client.get("/rows").text == "ab"
    assert steps == ["finally"]
    # HEAD never reads the body: the generator never started, so there is nothing to finish.
    assert client.head("/rows").status_code == 200
    assert steps == ["finally"]
