"""The exception hierarchy and how exceptions map to responses."""

from __future__ import annotations

import logging

import pytest

from spikard import (
    ConfigError,
    HTTPException,
    Provide,
    Request,
    ResponseValidationError,
    RouteError,
    ServerError,
    Spikard,
    SpikardError,
)
from spikard.testing import TestClient


def test_everything_derives_from_spikard_error() -> None:
    for cls in (ConfigError, RouteError, ServerError, HTTPException, ResponseValidationError):
        assert issubclass(cls, SpikardError)
    assert issubclass(SpikardError, Exception)
    assert SpikardError.__module__ == "spikard.exceptions"


def test_route_conflicts_raise_route_error_with_its_code() -> None:
    app = Spikard()
    app.add_route("GET", "/items/{id:int}", lambda id: id)
    with pytest.raises(RouteError) as info:
        app.add_route("GET", "/items/{id:int}", lambda id: id)
    assert info.value.code == "route-conflict"


def test_invalid_schemas_raise_route_error() -> None:
    app = Spikard()
    with pytest.raises(RouteError) as info:
        app.add_route("POST", "/x", lambda: None, body_schema={"type": 12})
    assert info.value.code == "invalid-route"


def test_bad_route_spec_raises_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        Spikard().add_route("GET", "/x", lambda: None, max_body_size=-1)
    assert info.value.code == "invalid-config"


def test_http_exception_defaults_its_detail_and_refuses_non_errors() -> None:
    assert HTTPException(404).detail == "Not Found"
    assert HTTPException(409, "taken").detail == "taken"
    with pytest.raises(ValueError, match="error status"):
        HTTPException(200)


@pytest.mark.parametrize(
    ("status", "detail", "type_suffix", "title"),
    [
        (404, "Item not found", "not-found", "Not Found"),
        (403, None, "forbidden", "Forbidden"),
        (409, "Already exists", "conflict", "Conflict"),
        (503, "Down", "service-unavailable", "Service Unavailable"),
    ],
)
def test_http_exceptions_become_problem_responses(
    status: int, detail: str | None, type_suffix: str, title: str
) -> None:
    app = Spikard()

    @app.get("/x")
    async def raising() -> None:
        raise HTTPException(status, detail)

    res = TestClient(app).get("/x")
    assert res.status_code == status
    assert res.headers["content-type"] == "application/problem+json"
    assert res.json() == {
        "type": f"https://spikard.dev/errors/{type_suffix}",
        "title": title,
        "status": status,
        "detail": detail or title,
    }


@pytest.mark.parametrize("is_async", [False, True])
def test_other_exceptions_are_500_problems_with_the_traceback_logged(
    is_async: bool, caplog: pytest.LogCaptureFixture
) -> None:
    app = Spikard()

    def fail() -> None:
        raise KeyError("database password is hunter2")

    async def afail() -> None:
        fail()

    app.add_route("GET", "/boom", afail if is_async else fail)
    app.add_route("GET", "/ok", lambda: {"ok": True})
    client = TestClient(app)
    with caplog.at_level(logging.ERROR, logger="spikard"):
        res = client.get("/boom")
    assert res.status_code == 500
    assert res.json() == {
        "type": "https://spikard.dev/errors/internal-server-error",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "Internal server error",
    }
    assert "hunter2" not in res.text
    record = next(r for r in caplog.records if r.name == "spikard")
    assert record.exc_info is not None
    assert record.exc_info[0] is KeyError
    assert "in fail" in caplog.text  # the traceback, not just the message
    assert client.get("/ok").json() == {"ok": True}


def test_unserialisable_results_are_500_problems() -> None:
    app = Spikard()
    app.add_route("GET", "/x", lambda: {"value": object()})
    res = TestClient(app).get("/x")
    assert res.status_code == 500
    assert res.json()["type"].endswith("/internal-server-error")


@pytest.mark.parametrize("is_async", [False, True])
def test_http_exception_headers_are_sent_with_the_problem(is_async: bool) -> None:
    app = Spikard()

    def refuse() -> None:
        raise HTTPException(
            401,
            "Token expired",
            headers={"WWW-Authenticate": ['Bearer error="invalid_token"', 'Basic realm="api"'], "X-Attempts": 3},
        )

    async def arefuse() -> None:
        refuse()

    app.add_route("GET", "/me", arefuse if is_async else refuse)
    res = TestClient(app).get("/me")
    assert res.status_code == 401
    assert res.headers["content-type"] == "application/problem+json"
    assert res.get_all("www-authenticate") == ['Bearer error="invalid_token"', 'Basic realm="api"']
    assert res.headers["x-attempts"] == "3"
    assert res.json() == {
        "type": "https://spikard.dev/errors/unauthorized",
        "title": "Unauthorized",
        "status": 401,
        "detail": "Token expired",
    }


def test_http_exception_extra_adds_extension_members() -> None:
    app = Spikard()

    @app.get("/quota")
    def quota() -> None:
        raise HTTPException(429, "Slow down", headers={"Retry-After": 30}, extra={"limit": 10, "window": "1m"})

    res = TestClient(app).get("/quota")
    assert res.status_code == 429
    assert res.headers["retry-after"] == "30"
    assert res.json() == {
        "type": "https://spikard.dev/errors/too-many-requests",
        "title": "Too Many Requests",
        "status": 429,
        "detail": "Slow down",
        "limit": 10,
        "window": "1m",
    }


def test_http_exception_extra_cannot_replace_standard_members() -> None:
    with pytest.raises(ValueError, match=r"\['status', 'title'\]"):
        HTTPException(400, extra={"status": 200, "title": "fine", "other": 1})
    exc = HTTPException(403, headers={"X-Reason": "ip"}, extra={"ip": "10.0.0.1"})
    assert exc.headers == {"X-Reason": "ip"}
    assert exc.extra == {"ip": "10.0.0.1"}
    assert repr(exc) == "HTTPException(403, 'Forbidden', headers={'X-Reason': 'ip'}, extra={'ip': '10.0.0.1'})"


def test_http_exception_with_unserialisable_extra_is_a_logged_500(caplog: pytest.LogCaptureFixture) -> None:
    app = Spikard()

    @app.get("/x")
    def raising() -> None:
        raise HTTPException(409, "taken", extra={"when": object()})

    with caplog.at_level(logging.ERROR, logger="spikard"):
        res = TestClient(app).get("/x")
    assert res.status_code == 500
    assert res.json()["detail"] == "Internal server error"
    record = next(r for r in caplog.records if r.name == "spikard")
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1].__cause__, HTTPException)


def test_http_exception_headers_from_a_hook() -> None:
    app = Spikard()

    @app.get("/private")
    def private() -> dict:
        return {"secret": True}

    @app.on_request
    async def guard(request: Request) -> None:
        if "authorization" not in request.headers:
            raise HTTPException(401, headers={"WWW-Authenticate": 'Bearer realm="api"'})

    client = TestClient(app)
    res = client.get("/private")
    assert res.status_code == 401
    assert res.headers["www-authenticate"] == 'Bearer realm="api"'
    assert res.json()["detail"] == "Unauthorized"
    assert client.get("/private", headers={"Authorization": "Bearer t"}).json() == {"secret": True}


def test_http_exception_headers_from_a_dependency() -> None:
    def current_user(request: Request) -> str:
        token = request.headers.get("authorization")
        if token is None:
            raise HTTPException(401, "Not authenticated", headers={"WWW-Authenticate": "Bearer"})
        return token

    app = Spikard(dependencies={"user": Provide(current_user)})

    @app.get("/me")
    async def me(user: str) -> dict:
        return {"user": user}

    client = TestClient(app)
    res = client.get("/me")
    assert res.status_code == 401
    assert res.headers["www-authenticate"] == "Bearer"
    assert res.json()["detail"] == "Not authenticated"
    assert client.get("/me", headers={"Authorization": "t"}).json() == {"user": "t"}
