"""App-wide lifecycle hooks written in Python (sync and async), run by the Rust pipeline."""

from __future__ import annotations

import asyncio
import logging

import pytest

from spikard import ConfigError, HookRequest, HTTPException, Request, Response, Spikard
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
    with pytest.raises(ConfigError, match=r"hook: phase: unknown variant `after_everything`"):
        Spikard()._core.add_hook({"phase": "after_everything", "function": 0}, [lambda r: None])


def test_registration_errors_name_the_route_and_the_field() -> None:
    core = Spikard()._core
    route = {"method": "GET", "path": "/items/{id:int}"}
    with pytest.raises(
        ConfigError, match=r"route GET /items/\{id:int\}: handler.args\[0\].source: unknown variant `moon`"
    ):
        core.add_route(
            {"route": route, "handler": {"function": 0, "args": [{"name": "id", "source": "moon"}]}}, [print]
        )
    with pytest.raises(ConfigError, match=r"route GET /items/\{id:int\}: handler: function: object 3 is out of range"):
        core.add_route({"route": route, "handler": {"function": 3}}, [print])
    args = [{"name": "id", "source": "path"}, {"name": "id", "source": "query"}]
    with pytest.raises(
        ConfigError, match=r"route GET /items/\{id:int\}: handler: args\[1\]: argument 'id' is declared twice"
    ):
        core.add_route({"route": route, "handler": {"function": 0, "args": args}}, [print])
    with pytest.raises(ConfigError, match=r"dependency db: lifetime: unknown variant `forever`"):
        core.provide("db", {"kind": "factory", "function": 0, "lifetime": "forever"}, [print])


def test_route_hooks_run_after_the_app_wide_ones_of_their_phase() -> None:
    app = Spikard()
    app.on_request(lambda request: request.state.setdefault("seen", []).append("app"))

    def route_hook(request: Request) -> None:
        request.state["seen"].append("route")

    def other_hook(request: Request) -> None:
        request.state["seen"].append("other")

    @app.get("/seen", on_request=[route_hook, other_hook], on_response=lambda response: None)
    def seen(request: Request) -> dict:
        return {"seen": request.state["seen"]}

    @app.get("/plain")
    def plain(request: Request) -> dict:
        return {"seen": request.state["seen"]}

    client = TestClient(app)
    assert client.get("/seen").json() == {"seen": ["app", "route", "other"]}
    assert client.get("/plain").json() == {"seen": ["app"]}


def test_request_hooks_read_dependencies_and_add_response_headers() -> None:
    app = Spikard(dependencies={"settings": {"mode": "strict"}})

    def read_settings(request: Request, settings: dict) -> None:
        request.reply_header("x-mode", settings["mode"])

    def refuse(request: Request) -> Response | None:
        request.reply_header("x-refused-by", "guard")
        if "x-deny" in request.headers:
            return Response({"error": "denied"}, status_code=403)
        return None

    @app.get("/mode", on_request=read_settings, pre_handler=refuse)
    def mode(request: Request) -> dict:
        request.reply_header("x-handler", "yes")
        return {"ok": True}

    client = TestClient(app)
    res = client.get("/mode")
    assert res.json() == {"ok": True}
    assert (res.headers["x-mode"], res.headers["x-refused-by"], res.headers["x-handler"]) == ("strict", "guard", "yes")
    denied = client.get("/mode", headers={"x-deny": "1"})
    assert denied.status_code == 403
    assert (denied.headers["x-mode"], denied.headers["x-refused-by"]) == ("strict", "guard")
    assert "x-handler" not in denied.headers


def test_an_invalid_reply_header_is_the_application_s_error(caplog: pytest.LogCaptureFixture) -> None:
    app = Spikard()

    @app.get("/bad-header")
    def bad(request: Request) -> dict:
        request.reply_header("bad header", "x")
        return {}

    with caplog.at_level(logging.ERROR, logger="spikard"):
        res = TestClient(app).get("/bad-header")
    assert res.status_code == 500
    assert '"bad header" is not a valid header name' in caplog.text


def test_response_hooks_may_take_the_hook_request() -> None:
    app = _app()

    @app.on_request
    def stamp(request: Request) -> None:
        request.state["user"] = "ada"

    @app.on_response
    def timing(response: Response, request: HookRequest) -> None:
        assert request.elapsed >= 0
        response.headers["x-user"] = request.state["user"]
        response.headers["x-route"] = f"{request.method} {request.path}"

    res = TestClient(app).get("/items/4")
    assert (res.headers["x-user"], res.headers["x-route"]) == ("ada", "GET /items/4")


def test_a_hook_phase_must_exist() -> None:
    app = Spikard()
    with pytest.raises(ConfigError, match="not a hook phase"):
        app._hook("after_everything", lambda request: None)
