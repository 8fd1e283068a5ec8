"""Server-sent events: ``sse=True`` routes, ``EventSourceResponse``, ``SseEvent``."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator

import pytest

from spikard import EventSourceResponse, Spikard, SseEvent
from spikard.testing import TestClient


def test_async_generator_route_streams_events_on_the_wire() -> None:
    app = Spikard()

    @app.get("/ticks/{room}", sse=True)
    async def ticks(room: str) -> AsyncIterator[SseEvent]:
        for n in range(2):
            await asyncio.sleep(0)
            yield SseEvent(data={"room": room, "n": n}, event="tick", id=str(n))
        yield SseEvent(data="bye", retry=1500)

    res = TestClient(app).get("/ticks/lobby")
    assert res.status_code == 200
    assert res.headers["content-type"] == "text/event-stream"
    assert res.text == (
        'event: tick\nid: 0\ndata: {"room":"lobby","n":0}\n\n'
        'event: tick\nid: 1\ndata: {"room":"lobby","n":1}\n\n'
        "retry: 1500\ndata: bye\n\n"
    )
    events = TestClient(app).stream("GET", "/ticks/x")
    first = events.next_event()
    assert first is not None
    assert first["event"] == "tick"
    assert first["id"] == "0"
    assert first["data"] == '{"room":"x","n":0}'


def test_sync_handler_returning_dicts_and_plain_data() -> None:
    app = Spikard()

    @app.get("/feed", sse=True)
    def feed() -> Iterator[object]:
        return iter([{"event": "a", "data": "line"}, [1, 2]])

    client = TestClient(app)
    stream = client.stream("GET", "/feed")
    assert stream.next_event() == {"event": "a", "id": None, "data": "line", "retry": None, "comments": []}
    assert stream.next_event()["data"] == "[1,2]"  # type: ignore[index]
    assert stream.next_event() is None


def test_event_source_response_keep_alive_and_headers() -> None:
    app = Spikard()

    async def forever() -> AsyncIterator[SseEvent]:
        yield SseEvent(data="first")
        await asyncio.Event().wait()
        yield SseEvent(data="never")

    @app.get("/live")
    def live() -> EventSourceResponse:
        return EventSourceResponse(forever(), headers={"x-feed": "live"}, keep_alive=0.05)

    stream = TestClient(app).stream("GET", "/live")
    assert stream.headers["x-feed"] == "live"
    assert stream.headers["cache-control"] == "no-cache"
    assert stream.next_event()["data"] == "first"  # type: ignore[index]
    assert stream.next_event()["comments"] == ["keep-alive"]  # type: ignore[index]


def test_event_schema_ends_the_stream_at_the_first_bad_event() -> None:
    app = Spikard()
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}

    @app.get("/numbers", event_schema=schema)
    def numbers() -> Iterator[SseEvent]:
        yield SseEvent(data={"n": 1})
        yield SseEvent(data={"n": "two"})
        yield SseEvent(data={"n": 3})

    stream = TestClient(app).stream("GET", "/numbers")
    assert stream.next_event()["data"] == '{"n":1}'  # type: ignore[index]
    assert stream.next_event() is None


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="keep_alive"):
        EventSourceResponse([], keep_alive=0)
    with pytest.raises(TypeError):
        EventSourceResponse(5)


def test_event_generators_are_closed_when_the_client_goes_away() -> None:
    app = Spikard()
    closed = threading.Event()
    alive: list[object] = []  # referenced, so only the explicit close can finish it

    async def feed() -> AsyncIterator[SseEvent]:
        try:
            n = 0
            while True:
                yield SseEvent(data={"n": n})
                n += 1
                await asyncio.sleep(0)
        finally:
            closed.set()

    @app.get("/feed", sse=True)
    def route() -> AsyncIterator[SseEvent]:
        gen = feed()
        alive.append(gen)
        return gen

    with TestClient(app).stream("GET", "/feed") as stream:
        assert stream.next_event()["data"] == '{"n":0}'  # type: ignore[index]
        assert not closed.is_set()
    assert closed.wait(timeout=10)
