"""The ASGI 3 HTTP and lifespan specs (asgi.readthedocs.io, "HTTP & WebSocket ASGI Message
Format" 2.4 and "Lifespan Protocol" 2.0), item by item, against the bridge (``spikard.asgi``)
and ``Spikard.mount``. Each test names the item it checks."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from spikard import Spikard
from spikard.asgi import ClientDisconnected, LifespanFailed
from spikard.config import CorsConfig, ServerConfig
from spikard.testing import TestClient

Scope = dict[str, Any]
seen: list[Scope] = []


async def echo_scope(scope: Scope, receive: Any, send: Any) -> None:
    """Answers with what it received: the scope (bytes as text) and the body messages."""
    if scope["type"] != "http":
        return
    seen.append(scope)
    messages = []
    while True:
        message = await receive()
        messages.append({**message, "body": message["body"].decode()})
        if not message["more_body"]:
            break
    plain = {k: v.decode() if isinstance(v, bytes) else v for k, v in scope.items() if k != "state"}
    plain["headers"] = [[k.decode(), v.decode()] for k, v in scope["headers"]]
    body = json.dumps({"scope": plain, "messages": messages}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


def client_for(asgi_app: Any, prefix: str = "/", **options: Any) -> TestClient:
    app = Spikard()
    app.mount(prefix, asgi_app, **options)
    return TestClient(app)


def answer(res: Any) -> dict[str, Any]:
    assert res.status_code == 200, res.text
    data: dict[str, Any] = res.json()
    return data


def test_scope_type_asgi_version_and_spec_version() -> None:
    scope = answer(client_for(echo_scope).get("/"))["scope"]
    assert scope["type"] == "http"
    assert scope["asgi"] == {"version": "3.0", "spec_version": "2.4"}


def test_scope_http_version_method_uppercase_and_scheme() -> None:
    scope = answer(client_for(echo_scope).request("patch", "/x"))["scope"]
    assert (scope["http_version"], scope["method"], scope["scheme"]) == ("1.1", "PATCH", "http")


def test_scope_path_is_decoded_and_raw_path_is_as_sent() -> None:
    scope = answer(client_for(echo_scope).get("/caf%C3%A9/a%2Fb"))["scope"]
    assert scope["path"] == "/café/a/b"
    assert scope["raw_path"] == "/caf%C3%A9/a%2Fb"


def test_scope_query_string_is_the_raw_bytes_after_the_question_mark() -> None:
    scope = answer(client_for(echo_scope).get("/q?a=1&b=%20x&a=2"))["scope"]
    assert scope["query_string"] == "a=1&b=%20x&a=2"


def test_scope_root_path_is_the_mount_prefix_and_path_keeps_it() -> None:
    scope = answer(client_for(echo_scope, "/legacy").get("/legacy/items"))["scope"]
    assert (scope["root_path"], scope["path"]) == ("/legacy", "/legacy/items")


def test_scope_root_path_given_is_prepended_as_uvicorn_does() -> None:
    scope = answer(client_for(echo_scope, root_path="/api").get("/items"))["scope"]
    assert (scope["root_path"], scope["path"], scope["raw_path"]) == ("/api", "/api/items", "/api/items")


def test_scope_headers_are_lowercased_byte_pairs_values_in_order() -> None:
    # "Order of header values must be preserved ...; order of header names is not important."
    res = client_for(echo_scope).get("/", headers=[("X-One", "1"), ("x-two", "2"), ("X-One", "3")])
    headers = answer(res)["scope"]["headers"]
    assert [v for k, v in headers if k == "x-one"] == ["1", "3"]
    assert [v for k, v in headers if k == "x-two"] == ["2"]
    assert all(isinstance(k, bytes) and isinstance(v, bytes) for k, v in seen[-1]["headers"])


def test_scope_client_and_server_are_none_in_memory() -> None:
    scope = answer(client_for(echo_scope).get("/"))["scope"]
    assert (scope["client"], scope["server"]) == (None, None)


def test_scope_extensions_offer_nothing_unsupported() -> None:
    assert answer(client_for(echo_scope).get("/"))["scope"]["extensions"] == {}


def test_request_body_in_one_message_with_more_body_false() -> None:
    messages = answer(client_for(echo_scope).post("/", content=b"hello"))["messages"]
    assert messages == [{"type": "http.request", "body": "hello", "more_body": False}]


def test_request_without_body_still_gets_one_message() -> None:
    messages = answer(client_for(echo_scope).get("/"))["messages"]
    assert messages == [{"type": "http.request", "body": "", "more_body": False}]


def test_large_body_arrives_in_chunks_with_more_body() -> None:
    payload = b"x" * 300_000
    messages = answer(client_for(echo_scope).post("/", content=payload))["messages"]
    assert "".join(m["body"] for m in messages) == payload.decode()
    assert [m["more_body"] for m in messages][-1] is False


def test_response_start_then_body_chunks_with_more_body() -> None:
    async def app(scope: Scope, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 201, "headers": [(b"x-a", b"1"), (b"x-a", b"2")]})
        for part in (b"a", b"b", b""):
            await send({"type": "http.response.body", "body": part, "more_body": bool(part)})

    res = client_for(app).get("/")
    assert (res.status_code, res.text, res.get_all("x-a")) == (201, "ab", ["1", "2"])


def test_response_start_with_trailers_is_refused_with_a_500() -> None:
    async def app(scope: Scope, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "trailers": True})

    assert client_for(app).get("/").status_code == 500


def test_exception_before_the_response_is_a_500_problem() -> None:
    async def app(scope: Scope, receive: Any, send: Any) -> None:
        raise RuntimeError("secret detail")

    res = client_for(app).get("/")
    assert (res.status_code, res.json()["detail"]) == (500, "Internal server error")


def test_app_returning_without_a_response_is_a_500_problem() -> None:
    async def app(scope: Scope, receive: Any, send: Any) -> None:
        return None

    assert client_for(app).get("/").status_code == 500


def test_no_response_start_within_the_start_timeout_is_a_504_problem() -> None:
    async def app(scope: Scope, receive: Any, send: Any) -> None:
        await asyncio.sleep(30)

    res = client_for(app, start_timeout=0.2).get("/")
    assert res.status_code == 504
    assert res.json()["detail"] == "The application did not start a response within 0.2 s"


def test_receive_after_the_response_gives_http_disconnect() -> None:
    after: list[Any] = []

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 200})
        await send({"type": "http.response.body", "body": b"done"})
        after.append(await asyncio.wait_for(receive(), 5))

    assert client_for(app).get("/").text == "done"
    for _ in range(100):
        if after:
            break
        time.sleep(0.01)
    assert after == [{"type": "http.disconnect"}]


def test_send_after_the_client_left_raises_an_oserror_subclass() -> None:
    assert issubclass(ClientDisconnected, OSError)


def test_lifespan_startup_state_reaches_every_request_as_a_copy() -> None:
    async def app(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    scope["state"]["db"] = "connected"
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        scope["state"]["scratch"] = True
        body = json.dumps(sorted(scope["state"])).encode()
        await send({"type": "http.response.start", "status": 200})
        await send({"type": "http.response.body", "body": body})

    with client_for(app) as client:
        assert client.get("/").json() == ["db", "scratch"]
        assert client.get("/").json() == ["db", "scratch"]


def test_lifespan_startup_failed_stops_the_start() -> None:
    async def app(scope: Scope, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no database"})

    with pytest.raises(LifespanFailed, match="no database"), client_for(app):
        pass


def test_lifespan_auto_serves_an_app_that_does_not_speak_it() -> None:
    async def app(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError("only http")
        await send({"type": "http.response.start", "status": 204})
        await send({"type": "http.response.body"})

    with client_for(app) as client:
        assert client.get("/").status_code == 204
    with pytest.raises(LifespanFailed), client_for(app, lifespan="on"):
        pass


def test_native_routes_win_and_server_middleware_covers_the_mount() -> None:
    app = Spikard(ServerConfig(cors=CorsConfig(allowed_origins=["https://a.example"])))

    @app.get("/legacy/native")
    def native() -> dict[str, bool]:
        return {"native": True}

    app.mount("/legacy", echo_scope)
    client = TestClient(app)
    assert client.get("/legacy/native").json() == {"native": True}
    res = client.get("/legacy/other", headers={"origin": "https://a.example"})
    assert res.json()["scope"]["path"] == "/legacy/other"
    assert res.headers["access-control-allow-origin"] == "https://a.example"
    assert "x-request-id" in res.headers
    assert client.get("/elsewhere").status_code == 404
    assert client.delete("/legacy/native").json()["scope"]["method"] == "DELETE"


def test_mount_prefixes_are_checked() -> None:
    app = Spikard()
    with pytest.raises(Exception, match="must start with '/'"):
        app.mount("legacy", echo_scope)


def test_client_leaving_gives_http_disconnect_and_send_raises_client_disconnected() -> None:
    import socket
    import sys
    import time

    from test_asgi_fastapi import free_port, serving

    port = free_port()
    command = [sys.executable, "-m", "spikard", "serve", "asgi_apps.raw:app", "--port", str(port)]
    with serving(command, port) as base:
        with socket.create_connection(("127.0.0.1", port)) as conn:
            conn.sendall(b"GET /endless HTTP/1.1\r\nhost: x\r\n\r\n")
            assert conn.recv(4096).startswith(b"HTTP/1.1 200")
        events: list[str] = []
        for _ in range(200):
            with socket.create_connection(("127.0.0.1", port)) as conn:
                conn.sendall(b"GET /events HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
                reply = b""
                while chunk := conn.recv(4096):
                    reply += chunk
            events = json.loads(reply.split(b"\r\n\r\n", 1)[1])
            if len(events) == 2:
                break
            time.sleep(0.05)
        assert base
        assert sorted(events) == ["ClientDisconnected", "http.disconnect"]
