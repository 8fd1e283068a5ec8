"""Dependency injection from Python: ``Provide`` factories of every kind, lifetimes,
cleanups, injection by name and by type, overrides, and graph errors."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from spikard import ConfigError, Dependency, HTTPException, Provide, Request, Spikard
from spikard.testing import TestClient


class Settings:
    def __init__(self, mode: str = "strict") -> None:
        self.mode = mode


class Session:
    def __init__(self, settings: Settings, serial: int) -> None:
        self.settings = settings
        self.serial = serial


def test_values_and_factories_are_injected_by_name() -> None:
    async def greeting(prefix: str) -> str:
        await asyncio.sleep(0)
        return f"{prefix}, world"

    app = Spikard(dependencies={"prefix": "Hello", "greeting": Provide(greeting), "limits": {"max": 3}})

    @app.get("/greet/{name}")
    def greet(name: str, greeting: str, limits: dict, shout: bool = False) -> dict:
        return {"name": name, "greeting": greeting.upper() if shout else greeting, "limits": limits}

    res = TestClient(app).get("/greet/ada?shout=true")
    assert res.json() == {"name": "ada", "greeting": "HELLO, WORLD", "limits": {"max": 3}}


def test_a_class_provided_once_is_injected_by_type() -> None:
    serials = itertools.count(1)

    def session(settings: Settings) -> Session:
        return Session(settings, next(serials))

    app = Spikard(dependencies={"settings": Provide(Settings, singleton=True), "db": Provide(session)})

    @app.get("/who")
    def who(conn: Session, cfg: Settings) -> dict:
        return {"serial": conn.serial, "mode": cfg.mode, "same": conn.settings is cfg}

    client = TestClient(app)
    assert client.get("/who").json() == {"serial": 1, "mode": "strict", "same": True}
    assert client.get("/who").json() == {"serial": 2, "mode": "strict", "same": True}


def test_lifetimes() -> None:
    created: dict[str, int] = {"per_use": 0, "per_request": 0, "singleton": 0}

    def factory(kind: str) -> Callable[[], int]:
        def make() -> int:
            created[kind] += 1
            return created[kind]

        return make

    app = Spikard(
        dependencies={
            "per_use": Provide(factory("per_use"), cacheable=False),
            "per_request": Provide(factory("per_request")),
            "singleton": Provide(factory("singleton"), singleton=True),
        }
    )
    app.provide("pair", lambda per_use, per_request, singleton: (per_use, per_request, singleton))

    @app.get("/n")
    def n(per_use: int, per_request: int, singleton: int, pair: tuple) -> dict:
        return {"mine": [per_use, per_request, singleton], "pair": list(pair)}

    client = TestClient(app)
    first = client.get("/n").json()
    second = client.get("/n").json()
    # per_use: one instance for the handler, another for `pair`; per_request: shared in a request.
    assert sorted([first["mine"][0], first["pair"][0]]) == [1, 2]
    assert first["mine"][1] == first["pair"][1] == 1
    assert second["mine"][1] == second["pair"][1] == 2
    assert first["mine"][2] == second["pair"][2] == 1
    assert created == {"per_use": 4, "per_request": 2, "singleton": 1}


def test_generator_cleanups_run_after_the_response_in_reverse_order() -> None:
    events: list[str] = []

    def connection() -> Iterator[str]:
        events.append("connection opened")
        yield "conn"
        events.append("connection closed")

    async def transaction(connection: str) -> AsyncIterator[str]:
        events.append("transaction begun")
        yield f"tx on {connection}"
        await asyncio.sleep(0)
        events.append("transaction ended")

    app = Spikard(dependencies={"connection": connection, "transaction": transaction})

    @app.get("/tx")
    async def run(transaction: str) -> dict:
        events.append("handler")
        return {"tx": transaction}

    assert TestClient(app).get("/tx").json() == {"tx": "tx on conn"}
    assert events == ["connection opened", "transaction begun", "handler", "transaction ended", "connection closed"]


def test_factories_get_the_request() -> None:
    def user(request: Request) -> str:
        return request.headers.get("x-user", "anonymous")

    def tenant(req: Request, user: str) -> str:
        return f"{req.path_params['org']}/{user}"

    app = Spikard(dependencies={"user": user, "tenant": tenant})

    @app.get("/orgs/{org}")
    def org(tenant: str) -> dict:
        return {"tenant": tenant}

    assert TestClient(app).get("/orgs/acme", headers={"x-user": "ada"}).json() == {"tenant": "acme/ada"}


def test_a_raising_factory_answers_like_a_raising_handler(caplog: pytest.LogCaptureFixture) -> None:
    def token(request: Request) -> str:
        if "authorization" not in request.headers:
            raise HTTPException(401, "Missing credentials")
        return request.headers["authorization"]

    def broken() -> str:
        raise RuntimeError("database unreachable at 10.0.0.7")

    app = Spikard(dependencies={"token": token, "broken": broken})

    @app.get("/me")
    def me(token: str) -> dict:
        return {"token": token}

    @app.get("/down")
    def down(broken: str) -> dict:
        return {}

    client = TestClient(app)
    res = client.get("/me")
    assert (res.status_code, res.json()["detail"]) == (401, "Missing credentials")
    assert client.get("/me", headers={"authorization": "t"}).json() == {"token": "t"}
    with caplog.at_level(logging.ERROR, logger="spikard"):
        res = client.get("/down")
    assert res.status_code == 500
    assert "10.0.0.7" not in res.text
    assert "database unreachable" in caplog.text


def test_route_dependencies_and_inline_provide_override_the_app() -> None:
    app = Spikard(dependencies={"mode": "production"})

    @app.get("/app")
    def app_mode(mode: str) -> dict:
        return {"mode": mode}

    @app.get("/route", dependencies={"mode": "test"})
    def route_mode(mode: str) -> dict:
        return {"mode": mode}

    @app.get("/inline")
    def inline_mode(mode: str = Provide(lambda: "inline")) -> dict:
        return {"mode": mode}

    client = TestClient(app)
    assert [client.get(p).json()["mode"] for p in ("/app", "/route", "/inline")] == ["production", "test", "inline"]


def test_a_json_annotation_is_checked_against_the_value() -> None:
    app = Spikard(dependencies={"limits": 10, "ratio": 1})

    @app.get("/limits")
    def limits(limits: dict) -> dict:
        return limits

    @app.get("/ratio")
    def ratio(ratio: float) -> dict:
        return {"ratio": ratio}

    client = TestClient(app)
    res = client.get("/limits")
    assert res.status_code == 500
    assert res.json()["errors"] == [
        {
            "type": "type_mismatch",
            "msg": "Dependency 'limits' type mismatch: expected object, got integer",
            "dependency_key": "limits",
            "expected_type": "object",
            "actual_type": "integer",
        }
    ]
    assert client.get("/ratio").json() == {"ratio": 1}


def test_graph_errors_fail_the_build_naming_the_route() -> None:
    app = Spikard()
    app.provide("a", lambda b: b)
    app.provide("b", lambda a: a)

    @app.get("/cycle")
    def cycle(a: int) -> dict:
        return {}

    with pytest.raises(ConfigError, match=r"GET /cycle: Circular dependency"):
        TestClient(app)

    missing = Spikard()

    @missing.get("/missing")
    def needs(db: object = Dependency()) -> dict:
        return {}

    with pytest.raises(ConfigError, match=r"Dependency 'db' is not registered"):
        TestClient(missing)


def test_deferred_graph_errors_answer_the_dependency_problem() -> None:
    app = Spikard()

    @app.get("/missing", defer_dependency_errors=True)
    def needs(db: object = Dependency("database")) -> dict:
        return {}

    res = TestClient(app).get("/missing")
    assert res.status_code == 500
    assert res.json()["errors"][0]["dependency_key"] == "database"


def test_a_dependency_registered_after_a_route_reading_that_name_is_refused() -> None:
    app = Spikard()

    @app.get("/items")
    def items(limit: int = 10) -> dict:
        return {"limit": limit}

    with pytest.raises(ConfigError, match="register dependencies before the routes"):
        app.provide("limit", 5)
    # A name no route reads from the request may come later, and a Dependency() marker too.
    app.provide("db", "conn")

    @app.get("/later")
    def later(cache: str = Dependency()) -> dict:
        return {"cache": cache}

    app.provide("cache", "redis")
    assert TestClient(app).get("/later").json() == {"cache": "redis"}


def test_the_handler_s_exception_is_thrown_into_generator_dependencies() -> None:
    events: list[str] = []

    def session() -> Iterator[list[str]]:
        work: list[str] = []
        try:
            yield work
            events.append(f"commit {work}")
        except Exception as e:
            events.append(f"rollback {work} after {type(e).__name__}")
            raise

    async def audit() -> AsyncIterator[str]:
        try:
            yield "audit"
        except HTTPException as e:
            events.append(f"audit saw {e.status_code}")
            raise
        else:
            events.append("audit ok")

    app = Spikard(dependencies={"session": session, "audit": audit})

    @app.post("/orders/{n:int}")
    def order(n: int, session: list, audit: str) -> dict:
        session.append(f"order {n}")
        if n == 0:
            raise HTTPException(409, "no empty orders")
        if n < 0:
            raise RuntimeError("boom")
        return {"ok": True}

    client = TestClient(app)
    assert client.post("/orders/1").status_code == 200
    assert events == ["audit ok", "commit ['order 1']"]
    events.clear()
    res = client.post("/orders/0")
    assert (res.status_code, res.json()["detail"]) == (409, "no empty orders")
    assert events == ["audit saw 409", "rollback ['order 0'] after HTTPException"]
    events.clear()
    assert client.post("/orders/-1").status_code == 500
    assert events == ["rollback ['order -1'] after RuntimeError"]


def test_a_generator_may_handle_the_handler_s_exception(caplog: pytest.LogCaptureFixture) -> None:
    events: list[str] = []

    def tolerant() -> Iterator[str]:
        try:
            yield "value"
        except ValueError:
            events.append("handled")

    app = Spikard(dependencies={"tolerant": tolerant})

    @app.get("/fail")
    def fail(tolerant: str) -> dict:
        raise ValueError("bad")

    with caplog.at_level(logging.ERROR, logger="spikard"):
        assert TestClient(app).get("/fail").status_code == 500
    assert events == ["handled"]
    assert "(cleanup)" not in caplog.text


def test_an_interrupted_handler_is_not_taken_for_a_finished_one() -> None:
    events: list[str] = []

    async def session() -> AsyncIterator[str]:
        try:
            yield "session"
            events.append("commit")
        except BaseException as e:
            events.append(f"not committed: {type(e).__name__}")
            raise

    app = Spikard(dependencies={"session": session})

    @app.get("/slow", middleware={"request_timeout": {"seconds": 0.05}})
    async def slow(session: str) -> dict:
        await asyncio.sleep(5)
        events.append("handler finished")
        return {}

    res = TestClient(app).get("/slow")
    assert res.status_code == 408
    for _ in range(200):  # the cleanup runs on the client's runtime after the answer
        if events:
            break
        time.sleep(0.01)
    assert events == ["not committed: CancelledError"]


def test_a_generator_rolls_back_when_a_later_dependency_fails() -> None:
    events: list[str] = []

    def session() -> Iterator[str]:
        try:
            yield "session"
            events.append("commit")
        except HTTPException as e:
            events.append(f"rollback after {e.status_code}")
            raise

    def repository(session: str) -> str:
        raise HTTPException(503, "no repository")

    app = Spikard(dependencies={"session": session, "repository": repository})

    @app.get("/items")
    def items(repository: str) -> dict:
        return {}

    client = TestClient(app)
    assert client.get("/items").status_code == 503
    for _ in range(200):  # the cleanup runs on the client's runtime after the answer
        if events:
            break
        time.sleep(0.01)
    assert events == ["rollback after 503"]
