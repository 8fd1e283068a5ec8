"""Running the server: one process, or N workers sharing the port (SO_REUSEPORT),
supervised by the core (``spikard_http::workers``): the supervisor runs this process's
command line again for each worker, forwards SIGINT/SIGTERM to them and waits; each
worker drains its in-flight requests. A worker that dies is reported, not restarted.
"""

from __future__ import annotations

import contextlib
from typing import Any

from spikard.config import ServerConfig


def run(core: Any, config: ServerConfig) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        core.serve(config.workers)
