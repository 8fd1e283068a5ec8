"""Loading fixtures and turning their request part into a test-client call.

Mirrors ``e2e/rust/src/fixture.rs``: the same folder walk, categories, template
expansion and request building, so both runners send identical requests.
"""

from __future__ import annotations

import base64
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote_to_bytes

from spikard import UploadFile
from spikard.testing import TestClient, TestResponse

ROOT = Path(__file__).resolve().parents[2]
_TEMPLATE = re.compile(r"\{\{(.*?)\}\}")


@dataclass(frozen=True)
class Fixture:
    """One fixture file: ``id`` is ``category/file.json`` relative to the fixture folder."""

    id: str
    category: str
    data: dict[str, Any]

    @property
    def handler(self) -> dict[str, Any]:
        return self.data.get("handler") or {}

    @property
    def request(self) -> dict[str, Any]:
        return self.data.get("request") or {}

    @property
    def expected(self) -> dict[str, Any]:
        return self.data.get("expected_response") or {}

    @property
    def expected_status(self) -> int:
        return int(self.expected.get("status_code") or 0)


def fixture_dir() -> Path:
    """``SPIKARD_FIXTURES`` (absolute, relative to the working directory, or to the repository), or ``testing_data``."""
    raw = os.environ.get("SPIKARD_FIXTURES", "")
    if not raw:
        return ROOT / "testing_data"
    path = Path(raw)
    return path if path.is_absolute() or path.exists() else ROOT / path


def load_dir(directory: Path) -> list[Fixture]:
    out = []
    for path in sorted(directory.rglob("*.json"), key=lambda p: p.as_posix()):
        rel = path.relative_to(directory).as_posix()
        data = json.loads(path.read_text(encoding="utf-8"))
        category = rel.split("/")[0] if "/" in rel else data.get("category", "")
        out.append(Fixture(rel, category, data))
    return out


def expand_templates(value: Any) -> Any:
    """Expand ``{{ repeat 'x' 2000 times }}`` in strings."""
    if isinstance(value, str):
        return _TEMPLATE.sub(_expand_one, value)
    if isinstance(value, list):
        return [expand_templates(v) for v in value]
    if isinstance(value, dict):
        return {k: expand_templates(v) for k, v in value.items()}
    return value


def _expand_one(match: re.Match[str]) -> str:
    words = match.group(1).split()
    if len(words) == 4 and words[0] == "repeat" and words[3] == "times":
        return words[1].strip("'\"") * (int(words[2]) if words[2].isdigit() else 0)
    return match.group(0)


def scalar(value: Any) -> str:
    """A JSON value as the text a query string or form carries (JSON text for non-strings)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def pairs_of(mapping: dict[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, value in mapping.items():
        if isinstance(value, list):
            out.extend((key, scalar(v)) for v in value)
        else:
            out.append((key, scalar(value)))
    return out


def encode_component(text: str) -> str:
    return quote(text, safe="")


def decode_path(raw: str) -> str:
    """Percent-decode a path as the core does; malformed escapes or bad UTF-8 leave it unchanged."""
    if "%" not in raw:
        return raw
    if re.search(r"%(?![0-9A-Fa-f]{2})", raw):
        return raw
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return raw


def route_path(request: dict[str, Any]) -> str:
    return str(request.get("path", "/")).split("?")[0]


def _file_of(part: dict[str, Any]) -> tuple[str, UploadFile]:
    if isinstance(part.get("magic_bytes"), str):
        data = bytes.fromhex(part["magic_bytes"])
    else:
        content = scalar(part.get("content"))
        encoding = part.get("content_encoding")
        data = base64.b64decode(content) if encoding == "base64" else content.encode()
    field = scalar(part.get("field_name"))
    content_type = scalar(part["content_type"]) if "content_type" in part else "application/octet-stream"
    return field, UploadFile(scalar(part.get("filename")), data, content_type, field)


def send(client: TestClient, request: dict[str, Any]) -> TestResponse:
    """Send the request a fixture describes (the same bytes the Rust runner sends)."""
    request = expand_templates(request)
    method = request.get("method", "GET")
    uri = request.get("path", "/")
    query: list[str] = []
    if isinstance(request.get("query_params"), dict) and "?" not in uri:
        query.extend(f"{encode_component(k)}={encode_component(v)}" for k, v in pairs_of(request["query_params"]))
    if isinstance(request.get("query_string"), str):
        query.append(request["query_string"].lstrip("?"))
    if query:
        uri += ("&" if "?" in uri else "?") + "&".join(query)
    headers: list[tuple[str, str]] = []
    content_type = request.get("content_type") if isinstance(request.get("content_type"), str) else None
    for key, value in (request.get("headers") or {}).items():
        if key.lower() == "content-type":
            content_type = scalar(value)
        else:
            headers.append((key, scalar(value)))
    cookies = request.get("cookies")
    if isinstance(cookies, dict) and cookies:
        headers.append(("cookie", "; ".join(f"{k}={scalar(v)}" for k, v in cookies.items())))
    files = [_file_of(part) for part in request.get("files") or []]
    fields: list[tuple[str, str]] = []
    for key in ("data", "form_data"):
        if isinstance(request.get(key), dict):
            fields.extend(pairs_of(request[key]))
    is_multipart = (content_type or "").startswith("multipart/") or "files" in request
    # A multipart Content-Type without a boundary and with no parts to encode is what the
    # fixture tests: send it as is (with parts, the runner encodes them and adds the boundary).
    explicit_without_boundary = (
        not files
        and not fields
        and (content_type or "").startswith("multipart/")
        and "boundary=" not in (content_type or "").lower()
    )
    if is_multipart and not explicit_without_boundary:
        return client.request(method, uri, headers=headers, data=fields, files=files)
    if content_type is not None:
        headers.append(("content-type", content_type))
    if isinstance(request.get("body_raw"), str):
        return client.request(method, uri, headers=headers, content=request["body_raw"])
    body = request.get("body")
    # A string body is the literal bytes when the fixture names the content type or the text
    # looks like (possibly malformed) JSON; otherwise it is a JSON string value.
    if isinstance(body, str) and (content_type is not None or body.lstrip().startswith(("{", "["))):
        return client.request(method, uri, headers=headers, content=body)
    if body is None and "form_data" in request:
        if content_type is None:
            headers.append(("content-type", "application/x-www-form-urlencoded"))
        encoded = "&".join(f"{encode_component(k)}={encode_component(v)}" for k, v in fields)
        return client.request(method, uri, headers=headers, content=encoded)
    if body is None:
        return client.request(method, uri, headers=headers)
    return client.request(
        method, uri, headers=headers, content=json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    )
