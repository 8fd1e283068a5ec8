"""A real FastAPI app (``asgi_apps/shop.py``) on ``spikard serve`` and on uvicorn, over real
sockets: every exchange must give the same status, headers (less ``date``/``server``) and
body, byte for byte."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

HERE = Path(__file__).parent
IGNORED = {"date", "server"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(command: list[str], port: int) -> Iterator[str]:
    process = subprocess.Popen(
        command, cwd=HERE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read().decode() if process.stdout else ""
                raise RuntimeError(f"{command} did not start:\n{output}")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[str, str]]:
    app = "asgi_apps.shop:app"
    up, sp = free_port(), free_port()
    uvicorn = [sys.executable, "-m", "uvicorn", app, "--port", str(up), "--log-level", "warning"]
    spikard = [sys.executable, "-m", "spikard", "serve", app, "--port", str(sp)]
    with serving(uvicorn, up) as u, serving(spikard, sp) as s:
        yield u, s


EXCHANGES: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/items/3?q=x&skip=2", {}),
    ("GET", "/items/abc", {}),
    ("GET", "/items/3?limit=500", {}),
    ("HEAD", "/items/3", {}),
    ("POST", "/items", {"json": {"name": "pen", "price": 2.5}, "headers": {"x-token": "secret"}}),
    ("POST", "/items", {"json": {"name": "", "price": -1}, "headers": {"x-token": "secret"}}),
    ("POST", "/items", {"json": {"name": "pen", "price": 2.5}, "headers": {"x-token": "nope"}}),
    ("POST", "/items", {"content": b"{not json", "headers": {"x-token": "secret", "content-type": "application/json"}}),
    ("GET", "/state", {}),
    ("GET", "/stream", {}),
    ("GET", "/report", {}),
    ("GET", "/report", {"headers": {"range": "bytes=10-40"}}),
    ("GET", "/old", {}),
    ("POST", "/tasks", {"data": {"name": "first"}}),
    ("GET", "/tasks", {}),
    ("POST", "/upload", {"files": {"doc": ("a.txt", b"hello" * 100, "text/plain")}, "data": {"note": "n"}}),
    ("POST", "/echo", {"content": b"x" * 300_000, "headers": {"x-custom": "yes"}}),
    ("GET", "/nowhere", {}),
    ("DELETE", "/items/3", {}),
    ("GET", "/boom", {}),
    ("GET", "/docs", {}),
    ("GET", "/openapi.json", {}),
]


def exchange(base: str, method: str, path: str, options: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    with httpx.Client(base_url=base, timeout=20) as client:
        res = client.request(method, path, **options)
        headers = sorted((k.lower(), v) for k, v in res.headers.multi_items() if k.lower() not in IGNORED)
        return res.status_code, headers, res.content


@pytest.mark.parametrize(("method", "path", "options"), EXCHANGES, ids=[f"{m} {p}" for m, p, _ in EXCHANGES])
def test_spikard_serve_answers_as_uvicorn(
    servers: tuple[str, str], method: str, path: str, options: dict[str, Any]
) -> None:
    uvicorn, spikard = servers
    want = exchange(uvicorn, method, path, options)
    got = exchange(spikard, method, path, options)
    assert got == want


def test_background_tasks_ran_on_both(servers: tuple[str, str]) -> None:
    for base in servers:
        with httpx.Client(base_url=base) as client:
            assert client.post("/tasks", data={"name": "later"}).status_code == 202
            assert "later" in client.get("/tasks").json()
