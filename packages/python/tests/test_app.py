"""Module-level decorators, the current app, and the async test client."""

from __future__ import annotations

import asyncio

from spikard import Spikard, current_app, delete, get, head, options, patch, post, put
from spikard import app as app_module
from spikard.testing import AsyncTestClient, TestClient


def test_module_decorators_register_on_the_current_app() -> None:
    saved = list(app_module._apps)  # apps other tests left alive would make it ambiguous
    app_module._apps.clear()
    app = Spikard()
    assert current_app() is app
    for method, decorator in [
        ("GET", get),
        ("POST", post),
        ("PUT", put),
        ("PATCH", patch),
        ("DELETE", delete),
        ("OPTIONS", options),
    ]:
        decorator("/m")(lambda m=method: {"method": m})
    head("/m")(lambda: None)
    client = TestClient(app)
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        assert client.request(method, "/m").json() == {"method": method}
    assert client.head("/m").status_code == 200
    assert len(app) == 7
    app_module._apps.update(saved)


def test_routes_declared_before_the_app_are_adopted() -> None:
    saved = list(app_module._apps)
    app_module._apps.clear()
    try:

        @get("/early/{n:int}")
        def early(n: int) -> dict:
            return {"n": n}

        app = Spikard()
        assert TestClient(app).get("/early/3").json() == {"n": 3}
        assert early(4) == {"n": 4}  # the decorator returns the function itself
    finally:
        app_module._apps.clear()
        app_module._apps.update(saved)


def test_route_decorator_with_several_methods() -> None:
    app = Spikard()

    @app.route("/both", methods=["GET", "POST"])
    def both() -> str:
        return "ok"

    client = TestClient(app)
    assert client.get("/both").text == "ok"
    assert client.post("/both").text == "ok"
    assert client.put("/both").status_code == 405


def test_async_test_client() -> None:
    app = Spikard()

    @app.post("/echo")
    async def echo(body: dict) -> dict:
        await asyncio.sleep(0)
        return body

    async def main() -> dict:
        async with AsyncTestClient(app) as client:
            res = await client.post("/echo", json={"a": 1})
            return res.json()

    assert asyncio.run(main()) == {"a": 1}


def test_unknown_routes_are_404_problems() -> None:
    res = TestClient(Spikard()).get("/nowhere")
    assert res.status_code == 404
    assert res.json()["type"] == "https://spikard.dev/errors/not-found"
