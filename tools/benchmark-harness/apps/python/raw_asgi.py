"""Raw ASGI 3 peer: no framework; routing, parsing and validation by hand (handwork.py).
The same app runs on uvicorn (asgi-uvicorn), Granian's ASGI interface (asgi-granian) and
Spikard's server through its ASGI bridge (asgi-spikard)."""

import asyncio
import json
import time

import handwork as hw

GET_BODY = hw.GET_BODY.encode()
SLEPT = hw.SLEPT.encode()
TEXT = [(b"content-type", b"text/plain; charset=utf-8")]
JSON = [(k.encode(), v.encode()) for k, v in hw.JSON_HEADERS]


async def _send(send, status, headers, body):
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _body(receive):
    message = await receive()
    body = message.get("body", b"")
    if not message.get("more_body"):
        return body
    chunks = [body]
    while message.get("more_body"):
        message = await receive()
        chunks.append(message.get("body", b""))
    return b"".join(chunks)


def _json_body(body):
    try:
        return json.loads(body)
    except ValueError:
        raise hw.Invalid("invalid JSON") from None


def _header(scope, name):
    for k, v in scope["headers"]:
        if k == name:
            return v.decode("latin-1")
    return ""


async def _post(scope, receive, path):
    body = await _body(receive)
    query = scope["query_string"].decode("latin-1")
    if path == "/echo/validated":
        return hw.order(_json_body(body))
    if path == "/echo/raw":
        return _json_body(body)
    if path == "/form":
        return hw.form(hw.query_dict(body.decode()).get)
    if path == "/upload":
        return hw.upload(*hw.multipart(body, _header(scope, b"content-type")))
    if path.startswith("/items/"):
        return hw.item(path[len("/items/"):], hw.query_dict(query).get("limit"), _json_body(body))
    return None


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    path, method = scope["path"], scope["method"]
    if method == "GET" and path == "/plaintext":
        await _send(send, 200, TEXT, b"Hello, World!")
        return
    if method == "GET" and path == "/json":
        await _send(send, 200, JSON, GET_BODY)
        return
    if method == "GET" and path == "/sleep":
        await asyncio.to_thread(time.sleep, 0.005)  # a blocking call, off the event loop
        await _send(send, 200, JSON, SLEPT)
        return
    query = scope["query_string"].decode("latin-1")
    try:
        out = await _post(scope, receive, path) if method == "POST" else hw.get_route(path, query)
    except hw.Invalid as e:
        await _send(send, 422, JSON, hw.dumps({"error": str(e)}).encode())
        return
    if out is None:
        await _send(send, 404, [], b"")
    else:
        await _send(send, 200, JSON, hw.dumps(out).encode())
