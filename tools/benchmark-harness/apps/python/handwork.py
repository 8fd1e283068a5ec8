"""Hand validation shared by the peers without a validation layer (Granian RSGI, raw ASGI, Robyn).

Every function returns the typed value, or raises Invalid with the message for a 422.
"""

import json
import uuid
from datetime import date
from urllib.parse import parse_qsl

JSON_HEADERS = [("content-type", "application/json")]
GET_BODY = json.dumps({"message": "hello", "id": 1, "ok": True}, separators=(",", ":"))
SLEPT = json.dumps({"slept": True}, separators=(",", ":"))

QUERY_FEW = [("q", str), ("page", int), ("active", bool)]
QUERY_MANY = [
    ("q", str), ("sort", str), ("order", str), ("category", str), ("brand", str), ("color", str),
    ("page", int), ("per_page", int), ("min_price", int), ("max_price", int),
    ("in_stock", bool), ("featured", bool),
]


class Invalid(Exception):
    pass


def dumps(value):
    return json.dumps(value, separators=(",", ":"))


def to_int(s, name="value"):
    s = (s or "").strip()
    if not s or not (s.isdigit() or (s[0] == "-" and s[1:].isdigit())):
        raise Invalid(f"{name} must be an integer")
    return int(s)


def to_bool(s, name="value"):
    if s in ("true", "false"):
        return s == "true"
    raise Invalid(f"{name} must be a boolean")


def to_uuid(s):
    try:
        return str(uuid.UUID(s))
    except (ValueError, TypeError):
        raise Invalid("id must be a UUID") from None


def to_date(s):
    try:
        if len(s) != 10:
            raise ValueError(s)
        return date.fromisoformat(s).isoformat()
    except (ValueError, TypeError):
        raise Invalid("date must be YYYY-MM-DD") from None


def typed(get, spec):
    """The parameters in spec, read with get(name) (None when absent) and converted."""
    out = {}
    for name, kind in spec:
        raw = get(name)
        if raw is None:
            raise Invalid(f"{name} is required")
        if kind is int:
            out[name] = to_int(raw, name)
        elif kind is bool:
            out[name] = to_bool(raw, name)
        else:
            out[name] = raw
    return out


def query_dict(query_string):
    return dict(parse_qsl(query_string, keep_blank_values=True))


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def order(data):
    """Validates an order body (already parsed JSON) and returns it."""
    if not isinstance(data, dict):
        raise Invalid("body must be an object")
    if not isinstance(data.get("id"), int) or isinstance(data.get("id"), bool):
        raise Invalid("id must be an integer")
    customer = data.get("customer")
    if not isinstance(customer, str) or not customer:
        raise Invalid("customer must be a non-empty string")
    items = data.get("items")
    if not isinstance(items, list):
        raise Invalid("items must be a list")
    for item in items:
        if not isinstance(item, dict):
            raise Invalid("item must be an object")
        sku, quantity, price, tags = item.get("sku"), item.get("quantity"), item.get("price"), item.get("tags")
        if not isinstance(sku, str) or not sku:
            raise Invalid("sku must be a non-empty string")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            raise Invalid("quantity must be an integer >= 1")
        if not _is_number(price) or not price > 0:
            raise Invalid("price must be a number > 0")
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise Invalid("tags must be a list of strings")
    return data


def item(raw_id, raw_limit, data):
    """The post-validated workload: path id, query limit, item body."""
    item_id = to_int(raw_id, "id")
    limit = to_int(raw_limit, "limit")
    if not isinstance(data, dict):
        raise Invalid("body must be an object")
    name, price, tags = data.get("name"), data.get("price"), data.get("tags")
    if not isinstance(name, str) or len(name) < 1:
        raise Invalid("name must be a non-empty string")
    if not _is_number(price) or not price > 0:
        raise Invalid("price must be a number > 0")
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise Invalid("tags must be a list of strings")
    return {"id": item_id, "limit": limit, "name": name, "price": price, "tags": tags}


def form(get):
    """The form workload: name (non-empty), price (> 0), quantity (integer)."""
    name = get("name")
    if not name:
        raise Invalid("name is required")
    try:
        price = float(get("price"))
    except (TypeError, ValueError):
        raise Invalid("price must be a number") from None
    if not price > 0:
        raise Invalid("price must be > 0")
    return {"name": name, "price": price, "quantity": to_int(get("quantity"), "quantity")}


def multipart(body, content_type):
    """Parses a multipart body: ({field: text}, {field: (filename, bytes)})."""
    boundary = None
    for part in content_type.split(";"):
        key, _, value = part.strip().partition("=")
        if key == "boundary":
            boundary = value.strip('"')
    if not boundary:
        raise Invalid("multipart body without boundary")
    fields, files = {}, {}
    delim = b"--" + boundary.encode()
    for chunk in body.split(delim)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, data = chunk[2:].partition(b"\r\n\r\n")
        data = data[:-2] if data.endswith(b"\r\n") else data
        params = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if line.lower().startswith("content-disposition:"):
                for p in line.split(";")[1:]:
                    k, _, v = p.strip().partition("=")
                    params[k] = v.strip('"')
        if "name" not in params:
            raise Invalid("part without a name")
        if "filename" in params:
            files[params["name"]] = (params["filename"], data)
        else:
            fields[params["name"]] = data.decode("utf-8", "replace")
    return fields, files


def upload(fields, files):
    """The multipart workload's answer, or Invalid when a part is missing."""
    if "description" not in fields or "file" not in files:
        raise Invalid("description and file are required")
    filename, data = files["file"]
    return {"filename": filename, "size": len(data), "description": fields["description"]}


def get_route(path, query_string):
    """The answer of a GET workload route (path parameters, typed queries); None: not found."""
    parts = path.split("/")
    if path.startswith("/path/") and len(parts) >= 4:
        kind, args = parts[2], parts[3:]
        if kind == "one" and len(args) == 1:
            return {"name": args[0]}
        if kind == "several" and len(args) == 3:
            return {"org": args[0], "repo": args[1], "branch": args[2]}
        if kind == "int" and len(args) == 1:
            return {"id": to_int(args[0], "id")}
        if kind == "uuid" and len(args) == 1:
            return {"id": to_uuid(args[0])}
        if kind == "date" and len(args) == 1:
            return {"date": to_date(args[0])}
    if path == "/query/few":
        return typed(query_dict(query_string).get, QUERY_FEW)
    if path == "/query/many":
        return typed(query_dict(query_string).get, QUERY_MANY)
    return None

