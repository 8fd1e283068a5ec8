"""Fixture features that need more than the default "answer as the fixture expects"
handler (mirrors ``e2e/rust/src/features``): lifecycle hooks and dependency injection
named by the fixture, file responses, streamed bodies, background work, SSE and WebSocket message
fixtures. Each module recognises its fixtures and builds their
handlers; the default handler plays the rest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from features import background, di, files, hooks, realtime, streaming
from fixture import Fixture
from spikard import Spikard
from spikard.testing import TestClient

#: A handler a feature module builds for the fixture's route.
Handler = Callable[..., Any]


def build_route(f: Fixture, app: Spikard, default: Handler) -> tuple[Handler, dict[str, Any]] | None:
    """The first module's handler for the fixture's route (it may wrap ``default``, the
    handler answering as the fixture expects) and the route options it needs (hooks,
    dependencies), or ``None`` for the default handler."""
    built = hooks.build(f, app) or di.build(f, app)
    if built is not None:
        return built
    handler = files.build(f) or streaming.build(f, app) or background.build(f, app, default)
    return None if handler is None else (handler, {})


def after_checks(f: Fixture) -> list[Callable[[TestClient], list[str]]]:
    """Checks to run with the client after the fixture's request."""
    return [c for c in (background.after_check(f), di.after_check(f)) if c is not None]


def play_without_request(f: Fixture) -> list[str] | None:
    """Fixtures played whole by their module (SSE/WebSocket channels): their problems,
    or ``None`` when no module plays the fixture whole."""
    return realtime.play(f)
