"""Fixture features that need more than the default "answer as the fixture expects"
handler (mirrors ``e2e/rust/src/features``): streamed bodies, background work, SSE and
WebSocket message fixtures. Each module recognises its fixtures and builds their
handlers; the default handler plays the rest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from features import streaming
from fixture import Fixture
from spikard import Spikard

#: A handler a feature module builds for the fixture's route.
Handler = Callable[..., Any]


def build_handler(f: Fixture, app: Spikard) -> Handler | None:
    """The first module's handler for the fixture's route, or ``None`` for the default one."""
    for build in (streaming.build,):
        handler = build(f, app)
        if handler is not None:
            return handler
    return None
