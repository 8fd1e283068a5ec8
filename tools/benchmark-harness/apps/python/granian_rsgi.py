"""Granian raw RSGI peer: no framework; routing and validation by hand."""

import json

GET_BODY = json.dumps({"message": "hello", "id": 1, "ok": True}, separators=(",", ":")).encode()
JSON = [("content-type", "application/json")]


def _int(s):
    s = s.strip()
    if not s or not (s.isdigit() or (s[0] == "-" and s[1:].isdigit())):
        return None
    return int(s)


def _query(qs, key):
    for pair in qs.split("&"):
        k, _, v = pair.partition("=")
        if k == key:
            return v
    return None


def _error(proto, status, msg):
    proto.response_bytes(status, JSON, json.dumps({"error": msg}).encode())


async def app(scope, proto):
    if scope.proto != "http":
        return
    path, method = scope.path, scope.method
    if path == "/json" and method == "GET":
        proto.response_bytes(200, JSON, GET_BODY)
        return
    if path.startswith("/items/") and method == "POST":
        body = await proto()
        item_id = _int(path[len("/items/"):])
        if item_id is None:
            return _error(proto, 422, "id must be an integer")
        raw_limit = _query(scope.query_string, "limit")
        limit = None if raw_limit is None else _int(raw_limit)
        if limit is None:
            return _error(proto, 422, "limit must be an integer")
        try:
            data = json.loads(body)
        except ValueError:
            return _error(proto, 422, "invalid JSON")
        if not isinstance(data, dict):
            return _error(proto, 422, "body must be an object")
        name, price, tags = data.get("name"), data.get("price"), data.get("tags")
        if not isinstance(name, str) or len(name) < 1:
            return _error(proto, 422, "name must be a non-empty string")
        if isinstance(price, bool) or not isinstance(price, (int, float)) or not price > 0:
            return _error(proto, 422, "price must be a number > 0")
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            return _error(proto, 422, "tags must be a list of strings")
        out = {"id": item_id, "limit": limit, "name": name, "price": price, "tags": tags}
        proto.response_bytes(200, JSON, json.dumps(out, separators=(",", ":")).encode())
        return
    proto.response_empty(404, [])
