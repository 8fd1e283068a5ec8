"""Fixtures with a ``background`` section (mirrors ``e2e/rust/src/features/background.rs``):
the handler answers as the fixture expects and schedules, with ``spikard.background.run``,
a task appending the request body's ``value_field`` to a shared list; ``GET state_path``
returns ``{state_key: [...]}``. The after-check polls that route until it shows
``expected_state`` (bounded)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fixture import Fixture
from spikard import Request, Spikard, background
from spikard.testing import TestClient

#: How long the after-check waits for the background work to show, in seconds.
STATE_WAIT = 5.0


@dataclass(frozen=True)
class Section:
    state_path: str
    state_key: str
    value_field: str
    expected_state: Any


def _canonical(value: Any) -> str:
    """Strict JSON identity (``1`` and ``1.0`` differ, key order does not matter)."""
    return json.dumps(value, sort_keys=True)


def has_dependencies(f: Fixture) -> bool:
    """Dependency-injection fixtures use the section for their cleanup log (see ``di``)."""
    return any(k in f.handler for k in ("dependencies", "handler_dependencies", "route_overrides"))


def section(f: Fixture) -> Section | None:
    s = f.data.get("background")
    if not isinstance(s, dict) or has_dependencies(f):
        return None
    missing = [k for k in ("state_path", "state_key", "value_field") if not isinstance(s.get(k), str)]
    if missing:
        raise ValueError(f"background.{missing[0]} is missing")
    return Section(s["state_path"], s["state_key"], s["value_field"], s.get("expected_state", []))


def build(f: Fixture, app: Spikard, default: Callable[[Request], Any]) -> Callable[..., Any] | None:
    """The handler of a ``background`` fixture; ``None`` otherwise."""
    sec = section(f)
    if sec is None:
        return None
    state: list[Any] = []

    def read_state() -> dict[str, Any]:
        return {sec.state_key: list(state)}

    app.add_route("GET", sec.state_path, read_state)

    async def append(value: Any) -> None:
        await asyncio.sleep(0)
        state.append(value)

    def handler(request: Request) -> Any:
        try:
            body = request.get_json()
        except ValueError:
            body = None
        if isinstance(body, dict) and sec.value_field in body:
            background.run(append, body[sec.value_field])
        return default(request)

    return handler


def after_check(f: Fixture) -> Callable[[TestClient], list[str]] | None:
    """Poll the state route until it shows the expected state, or report what it showed."""
    try:
        sec = section(f)
    except ValueError as e:
        message = str(e)
        return lambda _client: [message]
    if sec is None:
        return None
    want = {sec.state_key: sec.expected_state}

    def check(client: TestClient) -> list[str]:
        deadline = time.monotonic() + STATE_WAIT
        while True:
            res = client.get(sec.state_path)
            try:
                got = res.json()
            except ValueError:
                got = None
            if res.status_code == 200 and _canonical(got) == _canonical(want):
                return []
            if time.monotonic() >= deadline:
                return [f"background state at {sec.state_path}: {res.text} (status {res.status_code}), expected {want}"]
            time.sleep(0.01)

    return check
