"""App-wide lifecycle hooks written in Python (sync and async), run by the Rust pipeline."""

from __future__ import annotations

import asyncio
import logging

import pytest

from spikard import ConfigError, HTTPException, Request, Response, Spikard
from spikard.testing import TestClient


def _app() -> Spikard:
    app = Spikard()

    @app.get("/items/{item_id:int}")
    def item(item_id: int, request: Request) -> dict:
        return {"id": item_id, "state": dict(request.state)}

    return app


def test_request_hooks_run_in_order_and_hand_state_to_the_handler() -> None:
    app = _app()

    @app.on_request
    def first(request: Request) -> None:
        request.state["seen"] = ["on_request"]

    @app.pre_validation
    async def second(request: Request) -> None:
        await asyncio.sleep(0)
        request.state["seen"] = [*request.state["seen"], "pre_validation"]

    @app.pre_handler
    def third(request: Request) -> None:
        request.state["seen"] = [*request.state["seen"], f"pre_handler:{request.path_params['item_id']}"]

    res = TestClient(app).get("/items/3")
    assert res.json() == {"id": 3, "state": {"seen": ["on_request", "pre_validation", "pre_handler:3"]}}


def test_a_request_hook_answers_early() -> None:
    app = _app()

    @app.pre_handler
    def guard(request: Request) -> Response | None:
        if request.headers.get("authorization") != "Bearer ok":
            return Response({"error": "unauthorized"}, status_code=401)
        return None

    client = TestClient(app)
    res = client.get("/items/1")
    assert (res.status_code, res.json()) == (401, {"error": "unauthorized"})
    assert client.get("/items/1", headers={"authorization": "Bearer ok"}).status_code == 200


def test_pre_validation_runs_before_validation_and_pre_handler_after() -> None:
    app = _app()
    ran: list[str] = []
    app.pre_validation(lambda request: ran.append("pre_validation"))
    app.pre_handler(lambda request: ran.append("pre_handler"))
    assert TestClient(app).get("/items/abc").status_code == 422
    assert ran == ["pre_validation"]


def test_response_hooks_change_responses_in_place_or_replace_them() -> None:
    app = _app()

    @app.on_response
    async def stamp(response: Response) -> None:
        await asyncio.sleep(0)
        response.headers["x-stamp"] = "1"

    @app.on_error
    def reformat(response: Response) -> Response:
        return Response({"failed": response.status_code}, status_code=response.status_code)

    client = TestClient(app)
    ok = client.get("/items/2")
    assert ok.headers["x-stamp"] == "1"
    assert ok.json()["id"] == 2
    assert ok.headers["content-type"] == "application/json"
    missing = client.get("/nowhere")
    assert (missing.status_code, missing.json()) == (404, {"failed": 404})
    invalid = client.get("/items/abc")
    assert (invalid.status_code, invalid.json()) == (422, {"failed": 422})


def test_raising_hooks_answer_like_raising_handlers(caplog: pytest.LogCaptureFixture) -> None:
    app = _app()

    @app.on_request
    def refuse(request: Request) -> None:
        if request.path == "/items/1":
            raise HTTPException(403, "No access")
        if request.path == "/items/2":
            raise RuntimeError("hook bug")

    client = TestClient(app)
    res = client.get("/items/1")
    assert (res.status_code, res.json()["detail"]) == (403, "No access")
    with caplog.at_level(logging.ERROR, logger="spikard"):
        res = client.get("/items/2")
    assert (res.status_code, res.json()["detail"]) == (500, "Internal server error")
    assert "hook bug" in caplog.text
    assert client.get("/items/3").status_code == 200


def test_unknown_phases_are_refused() -> None:
    with pytest.raises(ConfigError):
        Spikard()._core.add_hook("after_everything", lambda r: None, "h", False)
