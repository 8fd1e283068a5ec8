#!/usr/bin/env python3
"""Write the fuzz targets' starting corpora into fuzz/corpus/<target>/.

Every request of the fixtures in testing_data/ becomes a seed in the targets' input
formats (see fuzz/src/lib.rs): the whole request for `pipeline`, `cookies_headers` and
`multipart`; its method and path (and the route pattern) for `route_matcher`; its query
string or urlencoded body for `query_urlencoded`; its content type and body for
`json_body`. The hand-written seeds and crash reproducers kept in fuzz/seeds/<target>/
are copied too. Idempotent: a seed is named by the hash of its bytes.

Usage: python3 fuzz/seed.py [--fixtures DIR]
"""

import argparse
import base64
import hashlib
import json
import pathlib
import re
import shutil
import urllib.parse

FUZZ = pathlib.Path(__file__).resolve().parent
ROOT = FUZZ.parent
TARGETS = ["route_matcher", "query_urlencoded", "cookies_headers", "multipart", "json_body", "pipeline"]
BOUNDARY = "fuzzboundary7MA4YWxk"


def expand(value):
    """The fixtures' `{{ repeat 'x' N times }}` templates, as the runners expand them."""
    if isinstance(value, str):
        return re.sub(
            r"\{\{\s*repeat\s+['\"]?(.*?)['\"]?\s+(\d+)\s+times\s*\}\}",
            lambda m: m.group(1) * int(m.group(2)),
            value,
        )
    if isinstance(value, list):
        return [expand(v) for v in value]
    if isinstance(value, dict):
        return {k: expand(v) for k, v in value.items()}
    return value


def scalar(v):
    if isinstance(v, str):
        return v
    if v is None:
        return ""
    return json.dumps(v)


def pairs(mapping):
    out = []
    for k, v in (mapping or {}).items():
        items = v if isinstance(v, list) else [v]
        out.extend((k, scalar(i)) for i in items)
    return out


def file_bytes(part):
    if "magic_bytes" in part:
        return bytes.fromhex(part["magic_bytes"])
    content = scalar(part.get("content", ""))
    if part.get("content_encoding") == "base64":
        return base64.b64decode(content)
    return content.encode()


def multipart(fields, files):
    out = b""
    for k, v in fields:
        out += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'.encode() + v.encode() + b"\r\n"
    for part in files:
        out += (
            (
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{part.get("field_name", "")}"; '
                f'filename="{part.get("filename", "")}"\r\n'
                f"Content-Type: {part.get('content_type', 'application/octet-stream')}\r\n\r\n"
            ).encode()
            + file_bytes(part)
            + b"\r\n"
        )
    return out + f"--{BOUNDARY}--\r\n".encode()


def request_of(fixture):
    """(method, target, headers, content type, body) of a fixture's request."""
    request = expand(fixture.get("request", {}))
    method = request.get("method", "GET")
    target = request.get("path", "/")
    query = []
    if isinstance(request.get("query_params"), dict) and "?" not in target:
        query.append(urllib.parse.urlencode(pairs(request["query_params"])))
    if request.get("query_string"):
        query.append(request["query_string"].lstrip("?"))
    query = [q for q in query if q]
    if query:
        target += ("&" if "?" in target else "?") + "&".join(query)
    headers = []
    content_type = request.get("content_type")
    for k, v in (request.get("headers") or {}).items():
        if k.lower() == "content-type":
            content_type = scalar(v)
        else:
            headers.append((k, scalar(v)))
    if request.get("cookies"):
        headers.append(("Cookie", "; ".join(f"{k}={scalar(v)}" for k, v in request["cookies"].items())))
    fields = pairs(request.get("data")) + pairs(request.get("form_data"))
    files = request.get("files") or []
    body = b""
    if (content_type or "").startswith("multipart/") or files:
        if files or fields:
            content_type = f"multipart/form-data; boundary={BOUNDARY}"
            body = multipart(fields, files)
    elif "body_raw" in request:
        body = request["body_raw"].encode()
    elif isinstance(request.get("body"), str) and (content_type or request["body"].lstrip().startswith(("{", "["))):
        body = request["body"].encode()
    elif request.get("body") is None and request.get("form_data") is not None:
        content_type = content_type or "application/x-www-form-urlencoded"
        body = urllib.parse.urlencode(fields).encode()
    elif request.get("body") is not None:
        body = json.dumps(request["body"]).encode()
        content_type = content_type or "application/json"
    return method, target, headers, content_type, body


def wire(method, target, headers, content_type, body):
    lines = [f"{method} {target}"] + [f"{k}: {v}" for k, v in headers]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    return "\n".join(lines).encode() + b"\n\n" + body


def seeds(fixture):
    method, target, headers, content_type, body = request_of(fixture)
    path, _, query = target.partition("?")
    route = (fixture.get("handler") or {}).get("route", "")
    yield "pipeline", wire(method, target, headers, content_type, body)
    yield "route_matcher", f"{method}\n{path}\n{route}".encode()
    if headers or "?" in target:
        yield "cookies_headers", wire(method, target, headers, content_type, b"")
    if query:
        yield "query_urlencoded", query.encode()
    if content_type and "urlencoded" in content_type:
        yield "query_urlencoded", body
    if content_type and content_type.startswith("multipart/"):
        yield "multipart", wire(method, target, headers, content_type, body)
    if body:
        yield "json_body", (content_type or "application/json").encode() + b"\0" + body


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", default=str(ROOT / "testing_data"))
    args = parser.parse_args()
    counts = dict.fromkeys(TARGETS, 0)

    def write(target, data):
        out = FUZZ / "corpus" / target
        out.mkdir(parents=True, exist_ok=True)
        (out / hashlib.sha1(data).hexdigest()).write_bytes(data)
        counts[target] += 1

    for path in sorted(pathlib.Path(args.fixtures).rglob("*.json")):
        try:
            fixture = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(fixture, dict) or "request" not in fixture:
            continue
        for target, data in seeds(fixture):
            write(target, data)
    for target in TARGETS:
        kept = FUZZ / "seeds" / target
        for seed in sorted(kept.glob("*")) if kept.is_dir() else []:
            write(target, seed.read_bytes())
            shutil.copystat(seed, FUZZ / "corpus" / target / hashlib.sha1(seed.read_bytes()).hexdigest())
    print("seeds: " + ", ".join(f"{t} {n}" for t, n in counts.items()))


if __name__ == "__main__":
    main()
