"""Granian raw RSGI peer: no framework; routing, parsing and validation by hand (handwork.py)."""

import asyncio
import json
import time

import handwork as hw

GET_BODY = hw.GET_BODY.encode()
SLEPT = hw.SLEPT.encode()
TEXT = [("content-type", "text/plain; charset=utf-8")]
JSON = hw.JSON_HEADERS


def _ok(proto, value):
    proto.response_bytes(200, JSON, hw.dumps(value).encode())


def _json_body(body):
    try:
        return json.loads(body)
    except ValueError:
        raise hw.Invalid("invalid JSON") from None


async def _post(scope, proto, path):
    body = await proto()
    if path == "/echo/validated":
        return hw.order(_json_body(body))
    if path == "/echo/raw":
        return _json_body(body)
    if path == "/form":
        fields = hw.query_dict(body.decode())
        return hw.form(fields.get)
    if path == "/upload":
        return hw.upload(*hw.multipart(body, scope.headers.get("content-type", "")))
    if path.startswith("/items/"):
        limit = hw.query_dict(scope.query_string).get("limit")
        return hw.item(path[len("/items/"):], limit, _json_body(body))
    return None


async def app(scope, proto):
    if scope.proto != "http":
        return
    path, method = scope.path, scope.method
    if method == "GET" and path == "/plaintext":
        proto.response_str(200, TEXT, "Hello, World!")
        return
    if method == "GET" and path == "/json":
        proto.response_bytes(200, JSON, GET_BODY)
        return
    if method == "GET" and path == "/sleep":
        await asyncio.to_thread(time.sleep, 0.005)  # a blocking call, off the event loop
        proto.response_bytes(200, JSON, SLEPT)
        return
    try:
        out = await _post(scope, proto, path) if method == "POST" else hw.get_route(path, scope.query_string)
    except hw.Invalid as e:
        proto.response_bytes(422, JSON, hw.dumps({"error": str(e)}).encode())
        return
    if out is None:
        proto.response_empty(404, [])
    else:
        _ok(proto, out)
