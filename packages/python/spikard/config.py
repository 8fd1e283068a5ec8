"""Server configuration, mirroring the Rust ``ServerConfig`` field for field.

``tests/test_config.py`` compares these fields and defaults with the Rust struct's
serde fields (via ``spikard._spikard.default_server_config()``), so the two cannot drift.
``workers`` is the only Python-side addition: how many processes ``app.run`` starts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

__all__ = ["PYTHON_ONLY_FIELDS", "ServerConfig"]

#: Fields that configure the Python process model rather than the Rust server.
PYTHON_ONLY_FIELDS = frozenset({"workers"})


@dataclass
class ServerConfig:
    """Server-wide settings; every field has a default."""

    #: Address to bind.
    host: str = "127.0.0.1"
    #: Port to bind (0 picks a free one; not allowed with several workers).
    port: int = 8000
    #: Largest request body accepted, in bytes (413 beyond).
    max_body_size: int = 10 * 1024 * 1024
    #: Largest total size of request header names and values, in bytes (431 beyond).
    max_header_size: int = 16 * 1024
    #: Longest request target (path and query), in bytes (414 beyond).
    max_uri_length: int = 8 * 1024
    #: Deepest JSON nesting accepted in a body (400 beyond).
    max_nesting_depth: int = 64
    #: Seconds to wait for in-flight requests on shutdown.
    shutdown_timeout_secs: int = 30
    #: Accept HTTP/2 over cleartext (prior knowledge) besides HTTP/1.1.
    http2: bool = True
    #: Worker processes sharing the port (SO_REUSEPORT); Python-only.
    workers: int = 1

    def to_rust(self) -> dict[str, Any]:
        """The fields the Rust ``ServerConfig`` has, as a dict."""
        return {k: v for k, v in asdict(self).items() if k not in PYTHON_ONLY_FIELDS}

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]
