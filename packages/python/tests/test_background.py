"""``spikard.background.run``: work scheduled by handlers, run by the core after the response."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import pytest

from spikard import Spikard, background
from spikard.testing import TestClient


def wait_for(check: Callable[[], bool], client: TestClient) -> None:
    """Poll (through the client, which drives the in-memory server) until ``check`` holds."""
    deadline = time.monotonic() + 5
    while not check():
        assert time.monotonic() < deadline, "background work did not run"
        client.get("/ping")
        time.sleep(0.01)


def make_app() -> Spikard:
    app = Spikard()

    @app.get("/ping")
    def ping() -> str:
        return "pong"

    return app


def test_sync_handler_schedules_a_coroutine_function_and_a_plain_callable() -> None:
    app = make_app()
    done: list[str] = []
    threads: set[str] = set()

    async def notify(name: str, *, suffix: str) -> None:
        await asyncio.sleep(0)
        threads.add(threading.current_thread().name)
        done.append(name + suffix)

    def audit(name: str) -> None:
        done.append(f"audit {name}")

    @app.post("/users/{name}")
    def create(name: str) -> dict:
        assert background.run(notify, name, suffix="!") is True
        background.run(audit, name)
        return {"queued": True}

    client = TestClient(app)
    res = client.post("/users/ada")
    assert res.status_code == 200
    assert res.json() == {"queued": True}
    wait_for(lambda: len(done) == 2, client)
    assert sorted(done) == ["ada!", "audit ada"]
    assert threads == {"spikard-asyncio"}


def test_async_handler_schedules_a_coroutine_object() -> None:
    app = make_app()
    done: list[int] = []

    async def record(n: int) -> None:
        done.append(n)

    @app.get("/n/{n:int}")
    async def handler(n: int) -> dict:
        await asyncio.sleep(0)
        background.run(record(n))
        return {"n": n}

    client = TestClient(app)
    assert client.get("/n/7").json() == {"n": 7}
    wait_for(lambda: done == [7], client)


def test_a_failing_task_is_logged_and_the_server_keeps_serving() -> None:
    app = make_app()
    done: list[str] = []

    def boom() -> None:
        raise RuntimeError("task failed")

    @app.get("/fail")
    def fail() -> str:
        background.run(boom)
        background.run(done.append, "after")
        return "ok"

    client = TestClient(app)
    assert client.get("/fail").text == "ok"
    wait_for(lambda: done == ["after"], client)
    assert client.get("/ping").text == "pong"


def test_run_outside_a_handler_raises() -> None:
    with pytest.raises(RuntimeError, match="only available while a request"):
        background.run(print)
