"""Robyn peer: routing, path/query/form/multipart parsing by Robyn; validation by hand
(handwork.py: Robyn has no built-in validation). Robyn does not decode urlencoded forms
(`form_data` is filled for multipart only), so that body is parsed with urllib here.

Run as `python robyn_app.py --processes 1 --workers 1`; the port comes from $PORT.
"""

import json
import os
import time

from robyn import Response, Robyn

import handwork as hw

app = Robyn(__file__)
JSON = {"content-type": "application/json"}
SLEPT = hw.SLEPT


def _ok(value):
    return Response(status_code=200, headers=JSON, description=hw.dumps(value))


def _guard(fn):
    """Turns hw.Invalid into a 422 answer."""

    def wrapped(request):
        try:
            return _ok(fn(request))
        except hw.Invalid as e:
            return Response(status_code=422, headers=JSON, description=hw.dumps({"error": str(e)}))

    wrapped.__name__ = fn.__name__
    return wrapped


def _json(request):
    try:
        return json.loads(request.body)
    except ValueError:
        raise hw.Invalid("invalid JSON") from None


def _query(request):
    return lambda name: request.query_params.get(name, None)


@app.get("/plaintext")
def plaintext(request):
    return Response(status_code=200, headers={"content-type": "text/plain; charset=utf-8"}, description="Hello, World!")


@app.get("/json")
def get_json(request):
    return Response(status_code=200, headers=JSON, description=hw.GET_BODY)


@app.get("/sleep")
def sleep(request):
    time.sleep(0.005)  # a blocking call in a sync handler, as Robyn runs it
    return Response(status_code=200, headers=JSON, description=SLEPT)


@app.post("/echo/validated")
@_guard
def echo_validated(request):
    return hw.order(_json(request))


@app.post("/echo/raw")
@_guard
def echo_raw(request):
    return _json(request)


@app.get("/path/one/:name")
@_guard
def path_one(request):
    return {"name": request.path_params["name"]}


@app.get("/path/several/:org/:repo/:branch")
@_guard
def path_several(request):
    p = request.path_params
    return {"org": p["org"], "repo": p["repo"], "branch": p["branch"]}


@app.get("/path/int/:id")
@_guard
def path_int(request):
    return {"id": hw.to_int(request.path_params["id"], "id")}


@app.get("/path/uuid/:id")
@_guard
def path_uuid(request):
    return {"id": hw.to_uuid(request.path_params["id"])}


@app.get("/path/date/:day")
@_guard
def path_date(request):
    return {"date": hw.to_date(request.path_params["day"])}


@app.get("/query/few")
@_guard
def query_few(request):
    return hw.typed(_query(request), hw.QUERY_FEW)


@app.get("/query/many")
@_guard
def query_many(request):
    return hw.typed(_query(request), hw.QUERY_MANY)


@app.post("/form")
@_guard
def form(request):
    # Robyn fills form_data only for multipart bodies; urlencoded ones are parsed here.
    body = request.body if isinstance(request.body, str) else request.body.decode()
    return hw.form(hw.query_dict(body).get)


@app.post("/upload")
@_guard
def upload(request):
    files = {name: (filename, data) for name, (filename, data) in _files(request).items()}
    return hw.upload(dict(request.form_data), files)


def _files(request):
    # Robyn keys uploaded files by filename; the benchmark sends one file part, "file".
    return {"file": (filename, data) for filename, data in request.files.items()}


@app.post("/items/:id")
@_guard
def create_item(request):
    return hw.item(request.path_params.get("id"), request.query_params.get("limit", None), _json(request))


if __name__ == "__main__":
    app.start(host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))
