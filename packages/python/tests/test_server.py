"""``app.run``: worker processes sharing the port, graceful shutdown on SIGTERM."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

APP = textwrap.dedent(
    """
    import asyncio, os, sys
    from spikard import Request, Spikard, StreamingResponse

    app = Spikard()

    @app.get("/client")
    def client(request: Request) -> dict:
        return {"client": request.client}

    @app.get("/pid")
    def pid() -> dict:
        return {"pid": os.getpid()}

    @app.get("/slow")
    async def slow() -> dict:
        await asyncio.sleep(0.6)
        return {"slow": True}

    @app.get("/forever")
    async def forever() -> dict:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            with open(os.environ["CANCEL_FLAG"], "w") as f:
                f.write("cancelled")
            raise
        return {}

    alive = []  # keeps the generators referenced: only closing them can run their finally

    async def ticks():
        try:
            while True:
                yield b"tick" * 16384
        finally:
            with open(os.environ["CLOSED_FLAG"], "w") as f:
                f.write("closed")

    @app.get("/ticks")
    def ticker() -> StreamingResponse:
        gen = ticks()
        alive.append(gen)
        return StreamingResponse(gen)

    app.run(host="127.0.0.1", port=int(sys.argv[1]), workers=int(sys.argv[2]))
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        res = conn.getresponse()
        return res.status, res.read()
    finally:
        conn.close()


def _start(tmp_path: Path, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    script = tmp_path / "app.py"
    script.write_text(APP)
    port = _free_port()
    env = {**os.environ, "CANCEL_FLAG": str(tmp_path / "cancelled"), "CLOSED_FLAG": str(tmp_path / "closed")}
    proc = subprocess.Popen([sys.executable, str(script), str(port), str(workers)], env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if _get(port, "/pid")[0] == 200:
                return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    pytest.fail("server did not start")


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="workers need fork")
def test_workers_share_the_port_and_drain_on_sigterm(tmp_path: Path) -> None:
    proc, port = _start(tmp_path, workers=2)
    try:
        time.sleep(0.3)  # let the second worker bind as well
        workers = _children(proc.pid)
        assert len(workers) == 2
        pids = {int(_get(port, "/pid")[1].split(b":")[1].rstrip(b"}")) for _ in range(30)}
        assert pids <= set(workers)

        slow: list[tuple[int, bytes]] = []
        t = threading.Thread(target=lambda: slow.append(_get(port, "/slow")))
        t.start()
        time.sleep(0.2)  # the slow request is in flight
        proc.send_signal(signal.SIGTERM)
        t.join(timeout=10)
        assert slow == [(200, b'{"slow":true}')]
        assert proc.wait(timeout=15) == 0
        assert all(not Path(f"/proc/{w}").exists() for w in workers)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_single_process_stops_on_sigint(tmp_path: Path) -> None:
    proc, port = _start(tmp_path, workers=1)
    try:
        assert _get(port, "/client") == (200, b'{"client":"127.0.0.1"}')
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_client_disconnect_cancels_the_async_handler(tmp_path: Path) -> None:
    proc, port = _start(tmp_path, workers=1)
    try:
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(b"GET /forever HTTP/1.1\r\nHost: test\r\n\r\n")
            time.sleep(0.3)  # the handler is awaiting
        flag = tmp_path / "cancelled"
        deadline = time.monotonic() + 5
        while not flag.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert flag.read_text() == "cancelled"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert b"raised an exception" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_client_disconnect_closes_the_streamed_generator(tmp_path: Path) -> None:
    proc, port = _start(tmp_path, workers=1)
    try:
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(b"GET /ticks HTTP/1.1\r\nHost: test\r\n\r\n")
            received = b""
            while b"tick" not in received:
                received += s.recv(4096)
            assert received.startswith(b"HTTP/1.1 200")
            # Stop reading: the socket buffers fill up and the server stops pulling, so the
            # generator sits at a `yield` (not in a pull that could be cancelled) when we leave.
            time.sleep(0.3)
        flag = tmp_path / "closed"
        deadline = time.monotonic() + 10
        while not flag.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert flag.read_text() == "closed"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert b"Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
