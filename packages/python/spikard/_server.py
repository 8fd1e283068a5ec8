"""Running the server: one process, or N forked workers sharing the port (SO_REUSEPORT).

Each worker serves until SIGINT/SIGTERM and drains in-flight requests (the Rust
server's graceful shutdown). The parent forwards SIGINT/SIGTERM to its workers and
waits for them; a worker that dies is reported, not restarted.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from typing import Any

from spikard.config import ServerConfig
from spikard.exceptions import ConfigError

logger = logging.getLogger("spikard")


def run(core: Any, config: ServerConfig) -> None:
    if config.workers < 1:
        raise ConfigError("workers must be at least 1")
    if config.workers == 1:
        _serve(core, reuse_port=False)
        return
    if config.port == 0:
        raise ConfigError("port 0 picks a different port per worker; choose a port to run several workers")
    if not hasattr(os, "fork"):
        raise ConfigError("several workers need os.fork (not available on this platform)")
    _run_workers(core, config.workers)


def _serve(core: Any, reuse_port: bool) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        core.serve(reuse_port)


def _run_workers(core: Any, count: int) -> None:
    children: list[int] = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                _serve(core, reuse_port=True)
            except Exception:
                logger.exception("worker %d failed", os.getpid())
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        children.append(pid)

    def forward(signum: int, _frame: Any) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM if signum == signal.SIGTERM else signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        remaining = set(children)
        while remaining:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:  # pragma: no cover - PEP 475 retries, kept for safety
                continue
            remaining.discard(pid)
            if os.waitstatus_to_exitcode(status) not in (0, -signal.SIGTERM, -signal.SIGINT):
                logger.error("worker %d exited with status %d", pid, os.waitstatus_to_exitcode(status))
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
