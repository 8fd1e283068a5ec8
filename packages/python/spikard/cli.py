"""The ``spikard`` command (also ``python -m spikard``).

``spikard serve module:app [--host --port --workers --root-path --lifespan --app-dir
--factory --start-timeout]`` serves any ASGI 3 application (FastAPI, Starlette...) on
Spikard's Rust server, as uvicorn's command line does: HTTP parsing, limits, keep-alive,
graceful shutdown and worker processes are Spikard's (``spikard.asgi``). ``module:app`` may
name a Spikard app too, which is served as it is. WebSocket connections are not bridged
yet (``--ws none`` is the only mode; ``auto`` is accepted and means the same).

``spikard init``, ``generate`` and ``check`` belong to the Rust CLI (``crates/spikard-cli``):
they are handed to a ``spikard`` executable found later on the ``PATH``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from spikard.app import Spikard
from spikard.config import RequestIdConfig, ServerConfig


def load(target: str, *, factory: bool = False, app_dir: str = ".") -> Any:
    """The object ``module:attribute`` names (``attribute`` may be dotted); called first
    with ``factory``. Errors name what was not found."""
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise SystemExit(f"error: expected 'module:attribute', got {target!r}")
    if app_dir not in sys.path:
        sys.path.insert(0, app_dir)
    try:
        obj: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name != module_name.split(".")[0] and e.name != module_name:
            raise
        raise SystemExit(f"error: could not import module {module_name!r}") from e
    for part in attribute.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise SystemExit(f"error: attribute {attribute!r} not found in module {module_name!r}") from None
    return obj() if factory else obj


def serve(args: argparse.Namespace) -> None:
    target = load(args.app, factory=args.factory, app_dir=args.app_dir)
    # As uvicorn answers: no X-Request-ID unless asked for.
    config = ServerConfig(
        host=args.host,
        port=args.port,
        workers=args.workers,
        max_body_size=args.max_body_size,
        request_id=RequestIdConfig() if args.request_id else None,
    )
    if isinstance(target, Spikard):
        target.run(config=replace_config(target.config, config))
        return
    if not callable(target):
        raise SystemExit(f"error: {args.app!r} is not an ASGI application")
    app = Spikard(config)
    app.mount("/", target, lifespan=args.lifespan, root_path=args.root_path, start_timeout=args.start_timeout)
    app.run()


def replace_config(base: ServerConfig, given: ServerConfig) -> ServerConfig:
    return replace(base, host=given.host, port=given.port, workers=given.workers)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="spikard", description="Spikard: serve ASGI apps on the Rust server.")
    commands = root.add_subparsers(dest="command", required=True)
    s = commands.add_parser("serve", help="serve an ASGI application (module:app) on Spikard's Rust server")
    s.add_argument("app", help="the application, as module:attribute")
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=8000, help="port to bind (default 8000; 0 picks a free one)")
    s.add_argument("--workers", type=int, default=1, help="worker processes sharing the port (default 1)")
    s.add_argument("--root-path", default="", help="the path a proxy mounts the app at (ASGI root_path)")
    s.add_argument("--lifespan", choices=["auto", "on", "off"], default="auto", help="the lifespan protocol")
    s.add_argument("--ws", choices=["auto", "none"], default="auto", help="WebSockets (not bridged yet: none)")
    s.add_argument("--app-dir", default=".", help="directory to import the module from (default .)")
    s.add_argument("--factory", action="store_true", help="module:attribute is a function returning the app")
    s.add_argument("--start-timeout", type=float, default=30.0, help="seconds to start a response (then 504)")
    s.add_argument("--max-body-size", type=int, default=100 * 1024 * 1024, help="largest request body (bytes; 413)")
    s.add_argument("--request-id", action="store_true", help="send and propagate X-Request-ID headers")
    s.set_defaults(run=serve)
    return root


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in {"init", "generate", "check"}:
        delegate(argv)
    args = parser().parse_args(argv)
    args.run(args)


def delegate(argv: list[str]) -> None:
    """Hand ``init``/``generate``/``check`` to the Rust CLI (another ``spikard`` on the PATH)."""
    me = os.path.realpath(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    search = os.environ.get("PATH", "").split(os.pathsep)
    for directory in search:
        found = shutil.which("spikard", path=directory)
        if found and os.path.realpath(found) != me and not _is_python_script(found):
            os.execv(found, [found, *argv])
    raise SystemExit(
        f"error: 'spikard {argv[0]}' is the Rust CLI's: install it with "
        "`cargo install --path crates/spikard-cli` (or run `cargo run -p spikard-cli -- ...`)"
    )


def _is_python_script(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(256)
    except OSError:
        return False
    return head.startswith(b"#!") and b"python" in head.split(b"\n", 1)[0]
