"""Robyn peer: routing by Robyn, validation by hand (Robyn has no built-in body validation).

Run as `python robyn_app.py --processes 1 --workers 1`; the port comes from $PORT.
"""

import json
import os

from robyn import Robyn, Response

app = Robyn(__file__)
JSON = {"content-type": "application/json"}
GET_BODY = json.dumps({"message": "hello", "id": 1, "ok": True}, separators=(",", ":"))


def _int(s):
    s = (s or "").strip()
    if not s or not (s.isdigit() or (s[0] == "-" and s[1:].isdigit())):
        return None
    return int(s)


def _error(msg):
    return Response(status_code=422, headers=JSON, description=json.dumps({"error": msg}))


@app.get("/json")
def get_json(request):
    return Response(status_code=200, headers=JSON, description=GET_BODY)


@app.post("/items/:id")
def create_item(request):
    item_id = _int(request.path_params.get("id"))
    if item_id is None:
        return _error("id must be an integer")
    limit = _int(request.query_params.get("limit", None))
    if limit is None:
        return _error("limit must be an integer")
    try:
        data = json.loads(request.body)
    except ValueError:
        return _error("invalid JSON")
    if not isinstance(data, dict):
        return _error("body must be an object")
    name, price, tags = data.get("name"), data.get("price"), data.get("tags")
    if not isinstance(name, str) or len(name) < 1:
        return _error("name must be a non-empty string")
    if isinstance(price, bool) or not isinstance(price, (int, float)) or not price > 0:
        return _error("price must be a number > 0")
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        return _error("tags must be a list of strings")
    out = {"id": item_id, "limit": limit, "name": name, "price": price, "tags": tags}
    return Response(status_code=200, headers=JSON, description=json.dumps(out, separators=(",", ":")))


if __name__ == "__main__":
    app.start(host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))
