"""Sync (``def``) handlers run on the pool of ``blocking_threads`` threads, against a real
server: they run side by side, beside async handlers, never past the pool's size, and a
blocked one does not hold up SIGTERM. No timing is asserted: a handler that would wait
forever if served one at a time gives up after a timeout and answers with an error."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from spikard import Provide, Request, ServerConfig, Spikard
from spikard.testing import TestClient

APP = textwrap.dedent(
    """
    import os, sys, threading, time
    from spikard import ServerConfig, Spikard

    app = Spikard(ServerConfig(blocking_threads=int(sys.argv[2])))
    barrier = threading.Barrier(10, timeout=10)
    pair = threading.Barrier(2, timeout=10)
    event = threading.Event()
    lock = threading.Lock()
    counts = {"now": 0, "most": 0}

    @app.get("/ready")
    def ready() -> dict:
        return {"ok": True}

    @app.get("/barrier")
    def meet() -> dict:
        barrier.wait()  # breaks (BrokenBarrierError: a 500) unless ten run at once
        return {"met": True}

    @app.get("/wait-event")
    def wait_event() -> dict:
        return {"set": event.wait(timeout=10)}

    @app.get("/set-event")
    async def set_event() -> dict:
        event.set()
        return {"set": True}

    @app.get("/counted")
    def counted() -> dict:
        with lock:
            counts["now"] += 1
            counts["most"] = max(counts["most"], counts["now"])
        try:
            pair.wait()  # two at a time at least
            time.sleep(0.05)
        finally:
            with lock:
                counts["now"] -= 1
        return {}

    @app.get("/most")
    def most() -> dict:
        return {"most": counts["most"]}

    @app.get("/block")
    def block() -> dict:
        open(os.environ["STARTED"], "w").close()
        while not os.path.exists(os.environ["RELEASE"]):
            time.sleep(0.02)
        return {"released": True}

    app.run(host="127.0.0.1", port=int(sys.argv[1]))
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _get(port: int, path: str, timeout: float = 30) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        res = conn.getresponse()
        return res.status, json.loads(res.read() or b"null")
    finally:
        conn.close()


def _start(tmp_path: Path, threads: int = 40) -> tuple[subprocess.Popen[bytes], int]:
    script = tmp_path / "app.py"
    script.write_text(APP)
    port = _free_port()
    env = {**os.environ, "STARTED": str(tmp_path / "started"), "RELEASE": str(tmp_path / "release")}
    proc = subprocess.Popen([sys.executable, str(script), str(port), str(threads)], env=env)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if _get(port, "/ready", timeout=2)[0] == 200:
                return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    pytest.fail("server did not start")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_sync_handlers_run_side_by_side(tmp_path: Path) -> None:
    proc, port = _start(tmp_path)
    try:
        with ThreadPoolExecutor(10) as pool:
            results = list(pool.map(lambda _: _get(port, "/barrier"), range(10)))
        assert results == [(200, {"met": True})] * 10
    finally:
        _stop(proc)


def test_an_async_handler_runs_while_a_sync_one_blocks(tmp_path: Path) -> None:
    proc, port = _start(tmp_path)
    try:
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(_get, port, "/wait-event")
            time.sleep(0.2)  # the sync handler is waiting (if not, it finds the event set)
            assert _get(port, "/set-event") == (200, {"set": True})
            assert waiting.result() == (200, {"set": True})
    finally:
        _stop(proc)


def test_no_more_sync_calls_run_at_once_than_the_pool_has_threads(tmp_path: Path) -> None:
    proc, port = _start(tmp_path, threads=2)
    try:
        with ThreadPoolExecutor(6) as pool:
            results = list(pool.map(lambda _: _get(port, "/counted")[0], range(6)))
        assert results == [200] * 6
        assert _get(port, "/most") == (200, {"most": 2})
    finally:
        _stop(proc)


def test_sigterm_starts_the_drain_while_a_sync_handler_blocks(tmp_path: Path) -> None:
    proc, port = _start(tmp_path)
    try:
        with ThreadPoolExecutor(1) as pool:
            blocked = pool.submit(_get, port, "/block")
            started = tmp_path / "started"
            deadline = time.monotonic() + 10
            while not started.exists() and time.monotonic() < deadline:
                time.sleep(0.02)
            assert started.exists()
            proc.send_signal(signal.SIGTERM)
            # Draining: the listener closes while the handler is still blocked.
            refused = False
            deadline = time.monotonic() + 10
            while not refused and time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    time.sleep(0.05)
                except ConnectionRefusedError:
                    refused = True
            assert refused, "still accepting connections after SIGTERM"
            assert not blocked.done()
            (tmp_path / "release").touch()
            assert blocked.result() == (200, {"released": True})
        assert proc.wait(timeout=15) == 0
    finally:
        _stop(proc)


def test_the_test_client_runs_sync_handlers_on_the_pool() -> None:
    app = Spikard(ServerConfig(blocking_threads=3))
    names: list[str] = []

    @app.get("/where")
    def where() -> dict[str, str]:
        names.append(threading.current_thread().name)
        return {}

    @app.get("/inline", sync_to_thread=False)
    def inline() -> dict[str, str]:
        names.append(threading.current_thread().name)
        return {}

    client = TestClient(app)
    assert client.get("/where").status_code == 200
    assert client.get("/inline").status_code == 200
    assert names[0] != threading.current_thread().name
    assert names[1] == threading.current_thread().name


def test_sync_hooks_and_dependency_factories_run_on_the_pool_too() -> None:
    names: dict[str, str] = {}

    def session() -> str:
        names["factory"] = threading.current_thread().name
        return "db"

    app = Spikard(dependencies={"db": Provide(session)})

    @app.on_request
    def seen(request: Request) -> None:
        names["hook"] = threading.current_thread().name

    @app.get("/uses", sync_to_thread=False)
    def uses(db: str) -> dict[str, str]:
        names["handler"] = threading.current_thread().name
        return {"db": db}

    assert TestClient(app).get("/uses").json() == {"db": "db"}
    here = threading.current_thread().name
    assert names["handler"] == here, "sync_to_thread=False: the handler runs in place"
    assert names["hook"] != here
    assert names["factory"] != here
