"""What the fixture's application answers (mirrors the application side of
``e2e/rust/src/play.rs``): whether the application (not the framework) produces the
expected response, and that response built from the fixture."""

from __future__ import annotations

from typing import Any

from fixture import Fixture
from spikard import HTTPException, Response

#: Statuses the framework answers even in ``status_codes``/``lifecycle_hooks``.
FRAMEWORK_STATUSES = (400, 405, 413, 422, 431)
#: Headers owned by middleware, never returned by the application.
MIDDLEWARE_HEADERS = ("vary", "content-encoding", "content-length", "x-request-id", "transfer-encoding")


class FixtureError(RuntimeError):
    """The handler raises as the fixture asks (an expected 500 internal-server-error; an
    expected problem of another status is an ``HTTPException`` of that status and detail)."""


def application_answers(f: Fixture) -> bool:
    """Whether the application (the handler) produces the expected response."""
    status = f.expected_status
    return status < 400 or (f.category in ("status_codes", "lifecycle_hooks") and status not in FRAMEWORK_STATUSES)


def configures_middleware(f: Fixture) -> bool:
    return "middleware" in f.handler or "cors" in f.handler or "lifecycle_hooks" in f.data


def _raised_http_error(status: int, body: Any) -> bool:
    """Whether the expected body is the problem the framework builds for an HTTP error the
    application raises (``type``, ``title``, ``status``, ``detail`` and nothing else)."""
    return (
        status >= 400
        and isinstance(body, dict)
        and set(body) == {"type", "title", "status", "detail"}
        and str(body["type"]).startswith("https://spikard.dev/errors/")
        and isinstance(body["detail"], str)
    )


def app_response(expected: dict[str, Any], keep_headers: bool) -> Response:
    """The application's response as the fixture expects it."""
    status = int(expected.get("status_code") or 200)
    body = expected.get("body")
    if status == 500 and isinstance(body, dict) and str(body.get("type", "")).endswith("/internal-server-error"):
        raise FixtureError("handler raised as the fixture asks")
    if _raised_http_error(status, body):
        raise HTTPException(status, body["detail"])
    headers: dict[str, str] = {}
    content_type = None
    if keep_headers:
        for name, value in (expected.get("headers") or {}).items():
            lower = name.lower()
            if (
                not isinstance(value, str)
                or lower.startswith("access-control-")
                or lower in MIDDLEWARE_HEADERS
                or value.startswith("<<")
                or value == ".*"
            ):
                continue
            if lower == "content-type":
                content_type = value
            headers[name] = value
    if isinstance(body, str):
        response = Response(body, status, headers, media_type=content_type or "text/plain; charset=utf-8")
    else:
        response = Response(body, status, headers)
    for name, spec in (expected.get("cookies") or {}).items():
        spec_map = spec if isinstance(spec, dict) else {}
        response.set_cookie(name, **_cookie_options(spec, spec_map))
    return response


def _cookie_options(spec: Any, spec_map: dict[str, Any]) -> dict[str, Any]:
    def text(key: str) -> str | None:
        value = spec_map.get(key)
        return value if isinstance(value, str) else None

    max_age = spec_map.get("max_age")
    httponly = spec_map["httponly"] if "httponly" in spec_map else spec_map.get("http_only")
    return {
        "value": spec if isinstance(spec, str) else (text("value") or ""),
        "max_age": max_age if isinstance(max_age, int) and not isinstance(max_age, bool) else None,
        "path": text("path"),
        "domain": text("domain"),
        "secure": spec_map.get("secure") is True,
        "httponly": httponly is True,
        "samesite": text("samesite") or text("same_site"),
    }
