"""Configuration dataclasses mirroring the Rust config structs field for field.

``ServerConfig`` and every nested config (compression, CORS, request IDs, timeouts,
rate limits, JWT and API-key auth, static files, OpenAPI, background tasks, per-route
body limits) have the same field names, order and defaults as their Rust
counterparts in ``spikard_core::config``; ``tests/test_config.py`` compares them with
the binding's ``default_configs()`` so they cannot drift. The whole tree is handed
to the Rust core as plain data (``ServerConfig.to_rust()``).
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field, fields
from typing import Any

__all__ = [
    "ApiKeyConfig",
    "BackgroundConfig",
    "BodyLimitConfig",
    "CompressionConfig",
    "CorsConfig",
    "JwtConfig",
    "OpenApiConfig",
    "RateLimitConfig",
    "RequestIdConfig",
    "RequestTimeoutConfig",
    "ServerConfig",
    "StaticFile",
    "StaticFilesConfig",
]


@dataclass
class CompressionConfig:
    """Response compression by ``Accept-Encoding`` (q-values honoured)."""

    gzip: bool = True
    brotli: bool = True
    #: Bodies smaller than this many bytes are sent as they are.
    min_size: int = 1024
    #: Compression level: 1 (fast) to 9 for gzip, to 11 for brotli.
    quality: int = 4


@dataclass
class CorsConfig:
    """Cross-origin resource sharing. Credentials with a ``*`` origin are refused when the app is built."""

    #: Exact origins, or ``*`` for any.
    allowed_origins: list[str] = field(default_factory=list)
    #: Methods allowed cross-origin (empty: the simple methods GET, HEAD, POST).
    allowed_methods: list[str] = field(default_factory=list)
    #: Request headers allowed cross-origin, or ``*``.
    allowed_headers: list[str] = field(default_factory=list)
    #: Response headers exposed to scripts.
    expose_headers: list[str] = field(default_factory=list)
    allow_credentials: bool = False
    #: Seconds a preflight answer may be cached.
    max_age: int | None = None
    #: Answer ``Access-Control-Request-Private-Network`` preflights.
    allow_private_network: bool = False


@dataclass
class RequestIdConfig:
    """``X-Request-ID``: propagated from the client when well formed, otherwise a new UUID."""

    enabled: bool = True
    header_name: str = "X-Request-ID"
    #: Keep a well-formed ID sent by the client.
    propagate: bool = True


@dataclass
class RequestTimeoutConfig:
    """Per-request deadline; a handler still running after it gets a 408 problem."""

    seconds: float = 30.0


@dataclass
class RateLimitConfig:
    """Token-bucket rate limiting: ``per_second`` refill, ``burst`` capacity."""

    per_second: float = 10.0
    burst: int = 20
    #: One bucket per client IP.
    per_ip: bool = True
    #: One bucket shared by every client (checked as well when ``per_ip`` is on).
    global_: bool = field(default=False, metadata={"rust": "global"})


@dataclass
class BodyLimitConfig:
    """A per-route body size limit (413 beyond)."""

    max_bytes: int = 0


@dataclass
class StaticFile:
    """One in-memory static file."""

    path: str = ""
    content: str = ""


@dataclass
class StaticFilesConfig:
    """A directory (or a set of in-memory files) served under a path prefix."""

    #: URL prefix, e.g. ``/static``.
    route_prefix: str = "/static"
    #: Directory on disk whose files are served.
    directory: str | None = None
    #: Files given inline (name and content), served from memory.
    files: list[StaticFile] = field(default_factory=list)
    #: File served for a directory request.
    index_file: str | None = "index.html"
    #: ``Cache-Control`` value sent with every file.
    cache_control: str | None = None
    #: Serve symlinks whose target is outside the directory (off: refused).
    follow_symlinks: bool = False


@dataclass
class JwtConfig:
    """JWT bearer authentication. HMAC algorithms use ``secret``; RSA/EC/PSS ones ``public_key`` (PEM).
    ``alg: none`` and tokens whose ``alg`` differs from ``algorithm`` are refused."""

    enabled: bool = True
    #: HS256, HS384, HS512, RS256, RS384, RS512, ES256, ES384, PS256, PS384, PS512.
    algorithm: str = "HS256"
    #: Shared secret of the HS* algorithms.
    secret: str | None = None
    #: PEM public key of the RS*/PS* (RSA) and ES* (EC) algorithms.
    public_key: str | None = None
    #: Accepted ``aud`` values (any one must match); empty: a token carrying ``aud`` is refused.
    audience: list[str] = field(default_factory=list)
    #: Required ``iss``.
    issuer: str | None = None
    #: Seconds of clock skew allowed for ``exp`` and ``nbf``.
    leeway: int = 0
    #: Header carrying ``Bearer <token>``.
    header_name: str = "Authorization"
    #: Refuse tokens without an ``exp`` claim (RFC 8725 recommends expiring tokens).
    require_exp: bool = True
    #: Claims a valid token must also carry for this route (e.g. ``role``); missing ones answer 403.
    required_claims: list[str] = field(default_factory=list)
    #: ``realm`` of the ``WWW-Authenticate`` challenge.
    realm: str = "api"


@dataclass
class ApiKeyConfig:
    """API keys in a header or a query parameter; several keys allow rotation."""

    enabled: bool = True
    #: Accepted keys.
    keys: list[str] = field(default_factory=list)
    #: Keys still accepted while clients move to a new one (responses carry ``<header_name>-Deprecated: true``).
    deprecated_keys: list[str] = field(default_factory=list)
    #: Header carrying the key.
    header_name: str = "X-API-Key"
    #: Query parameter also accepted; ``None``: keys are read from the header only.
    query_param: str | None = "api_key"
    #: ``realm`` of the ``WWW-Authenticate`` challenge.
    realm: str = "api"


@dataclass
class OpenApiConfig:
    """OpenAPI 3.1 generation; the document and docs pages are served when enabled."""

    enabled: bool = True
    title: str = "Spikard API"
    version: str = "1.0.0"
    description: str | None = None
    openapi_json_path: str = "/openapi.json"
    #: Swagger UI page (``None``: not served).
    swagger_ui_path: str | None = "/docs"
    #: Redoc page (``None``: not served).
    redoc_path: str | None = "/redoc"
    #: AsyncAPI 3.0 document for WebSocket and SSE routes.
    asyncapi_json_path: str | None = "/asyncapi.json"
    #: Serve the pages' scripts from the app (no internet needed) instead of a CDN.
    offline_assets: bool = True


@dataclass
class BackgroundConfig:
    """Background tasks started from handlers."""

    #: Tasks running at once; more wait their turn.
    max_concurrent: int = 64
    #: Seconds graceful shutdown waits for running and queued tasks.
    drain_timeout_secs: int = 30


@dataclass
class ServerConfig:
    """Server-wide settings; every field has a default."""

    #: Address to bind.
    host: str = "127.0.0.1"
    #: Port to bind (0 picks a free one; not allowed with several workers).
    port: int = 8000
    #: Worker processes sharing the port (SO_REUSEPORT).
    workers: int = 1
    #: Largest request body accepted, in bytes (413 beyond).
    max_body_size: int = 10 * 1024 * 1024
    #: Largest total size of request header names and values, in bytes (431 beyond).
    max_header_size: int = 16 * 1024
    #: Longest request target (path and query), in bytes (414 beyond).
    max_uri_length: int = 8 * 1024
    #: Deepest JSON nesting accepted in a body (400 beyond).
    max_nesting_depth: int = 64
    #: Seconds shutdown waits for requests already received to be answered.
    shutdown_timeout_secs: int = 30
    #: Seconds a client may take to send a request's headers, from its first byte.
    header_read_timeout_secs: int = 30
    #: Seconds a new connection may stay silent before its first byte (then it is closed).
    first_byte_timeout_secs: int = 10
    #: Seconds a keep-alive connection may stay idle between requests (then it is closed).
    keep_alive_timeout_secs: int = 5
    #: Seconds a request body may go without a byte (then a 408 problem and the connection is closed).
    body_read_timeout_secs: int = 30
    #: Open connections served at once (``None``: no limit); past it new connections wait.
    max_connections: int | None = 10_000
    #: Open connections from one client IP (``None``: no limit); past it a 429 problem.
    max_connections_per_ip: int | None = None
    #: Threads sync (``def``) handlers, hooks, dependency factories and iterators run on, so
    #: one that blocks holds up neither the server nor the others (``0``: on the server's
    #: thread, for apps whose sync functions never block). Past it, calls wait their turn.
    blocking_threads: int = 40
    #: Accept HTTP/2 over cleartext (prior knowledge) besides HTTP/1.1.
    http2: bool = True
    #: Log each request (method, route, status, duration).
    request_logging: bool = True
    #: Proxies (IP addresses or CIDR ranges) whose ``X-Forwarded-For``/``Forwarded`` headers are believed.
    trusted_proxies: list[str] = field(default_factory=list)
    compression: CompressionConfig | None = None
    cors: CorsConfig | None = None
    #: ``X-Request-ID`` generation and propagation (on by default; ``None`` or ``enabled=False`` turns it off).
    request_id: RequestIdConfig | None = field(default_factory=RequestIdConfig)
    #: Per-request deadline (408 beyond).
    request_timeout: RequestTimeoutConfig | None = None
    #: Token-bucket rate limiting (429 beyond).
    rate_limit: RateLimitConfig | None = None
    jwt_auth: JwtConfig | None = None
    api_key_auth: ApiKeyConfig | None = None
    #: Directory mounts served as static files.
    static_files: list[StaticFilesConfig] = field(default_factory=list)
    #: OpenAPI document and docs pages.
    openapi: OpenApiConfig | None = None
    #: Background tasks started by handlers.
    background: BackgroundConfig = field(default_factory=BackgroundConfig)

    def to_rust(self) -> dict[str, Any]:
        """The config as the plain data the Rust ``ServerConfig`` deserialises."""
        plain: dict[str, Any] = to_rust(self)
        return plain


def to_rust(config: Any) -> Any:
    """A config dataclass (tree) as plain data with the Rust field names."""
    if isinstance(config, list):
        return [to_rust(item) for item in config]
    if not hasattr(config, "__dataclass_fields__"):
        return config
    return {f.metadata.get("rust", f.name): to_rust(getattr(config, f.name)) for f in fields(config)}


def rust_field_names(cls: type) -> list[str]:
    """Field names of a config dataclass as the Rust struct spells them."""
    return [f.metadata.get("rust", f.name) for f in fields(cls)]


def from_rust(cls: type, data: Any) -> Any:
    """A config dataclass (tree) from plain data with the Rust field names (the inverse of
    ``to_rust``); unknown fields raise ``ValueError``, missing ones keep their defaults."""
    if not isinstance(data, dict):
        raise ValueError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    by_rust = {f.metadata.get("rust", f.name): f for f in fields(cls)}
    unknown = sorted(set(data) - set(by_rust))
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown field(s) {', '.join(unknown)}")
    kwargs = {}
    for rust_name, value in data.items():
        f = by_rust[rust_name]
        kwargs[f.name] = _value_of(hints[f.name], value)
    return cls(**kwargs)


def _value_of(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _value_of(inner[0], value) if len(inner) == 1 else value
    if typing.get_origin(hint) is list and args and hasattr(args[0], "__dataclass_fields__"):
        return [from_rust(args[0], item) for item in value]
    if hasattr(hint, "__dataclass_fields__"):
        return from_rust(hint, value)
    return value
