"""Comparing a response with a fixture's expectation (mirrors ``e2e/rust/src/compare.rs``).

JSON values compare as ``serde_json`` does: ``1`` and ``1.0`` differ, ``true`` and
``1`` differ, object key order does not matter. Nothing here is loosened.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from features import streaming
from fixture import Fixture
from spikard.testing import TestResponse


def json_equal(a: Any, b: Any) -> bool:
    """Strict JSON equality (types of scalars must match, as in serde_json)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def is_problem(value: Any) -> bool:
    """An RFC 9457 problem object has ``type``, ``title`` and ``status``."""
    return isinstance(value, dict) and all(k in value for k in ("type", "title", "status"))


def body_json(res: TestResponse) -> Any:
    try:
        return res.json()
    except ValueError:
        return None


def _dump(value: Any) -> str:
    return truncate(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def truncate(text: str) -> str:
    return text if len(text) <= 300 else text[:300] + "..."


def set_cookie_value(name: str, spec: Any) -> str:
    """The ``Set-Cookie`` value for a fixture cookie (value, max_age, path, domain, secure, httponly, samesite)."""
    spec_map = spec if isinstance(spec, dict) else {}
    value = spec if isinstance(spec, str) else spec_map.get("value")
    value = value if isinstance(value, str) else ""
    out = f"{name}={value}"
    if isinstance(spec_map.get("max_age"), int) and not isinstance(spec_map.get("max_age"), bool):
        out += f"; Max-Age={spec_map['max_age']}"
    if isinstance(spec_map.get("domain"), str):
        out += f"; Domain={spec_map['domain']}"
    if isinstance(spec_map.get("path"), str):
        out += f"; Path={spec_map['path']}"
    if spec_map.get("secure") is True:
        out += "; Secure"
    if spec_map.get("httponly", spec_map.get("http_only")) is True:
        out += "; HttpOnly"
    same_site = next((v for v in (spec_map.get("samesite"), spec_map.get("same_site")) if isinstance(v, str)), None)
    if same_site is not None:
        out += f"; SameSite={same_site[:1].upper()}{same_site[1:].lower()}"
    return out


def _header_ok(want: str, got: str | None) -> bool:
    if want == "<<absent>>":
        return got is None
    if want in ("<<present>>", ".*"):
        return got is not None
    if got is None:
        return False
    if want == "<<uuid>>":
        try:
            uuid.UUID(got)
        except ValueError:
            return False
        return True
    if ".*" in want:
        return matches_pattern(want, got)
    return want == got


def matches_pattern(pattern: str, got: str) -> bool:
    """A header pattern where each ``.*`` stands for any run of characters (``.*ms``)."""
    parts = pattern.split(".*")
    first, last = parts[0], parts[-1]
    if not got.startswith(first) or len(got) < len(first) + len(last) or not got.endswith(last):
        return False
    rest = got[len(first) : len(got) - len(last)]
    for part in parts[1:-1]:
        at = rest.find(part)
        if at < 0:
            return False
        rest = rest[at + len(part) :]
    return True


def _compare_body(f: Fixture, res: TestResponse, app_answers: bool) -> list[str]:
    expected = f.expected
    body = expected.get("body")
    if body is None or body == "":
        return []
    streamed = streaming.expected_body(f)
    if isinstance(body, str) and streamed is not None:
        if res.body_bytes == streamed:
            return []
        shown = truncate(streamed.decode(errors="replace"))
        return [f"streamed body {truncate(res.text)!r} != the chunks {shown!r}"]
    if isinstance(body, str):
        return [] if res.text == body else [f"body {truncate(res.text)!r} != expected {truncate(body)!r}"]
    got = body_json(res)
    if not app_answers and not is_problem(body):
        detail = got.get("detail") if isinstance(got, dict) else None
        if not is_problem(got) or not isinstance(detail, str) or not detail:
            return [f"expected a problem object with a detail, got {truncate(res.text)}"]
        return []
    return [] if json_equal(got, body) else [f"body {_dump(got)} != expected {_dump(body)}"]


def compare(f: Fixture, res: TestResponse, app_answers: bool) -> list[str]:
    """Every difference, one line each; empty when the response matches."""
    expected = f.expected
    if res.status_code != f.expected_status:
        return [f"status {res.status_code} != expected {f.expected_status}; body {truncate(res.text)}"]
    out = _compare_body(f, res, app_answers)
    if isinstance(expected.get("validation_errors"), list):
        got = body_json(res)
        errors = got.get("errors") if isinstance(got, dict) else None
        if not json_equal(errors, expected["validation_errors"]):
            out.append(f"errors {_dump(errors)} != expected {_dump(expected['validation_errors'])}")
    if isinstance(expected.get("body_partial"), dict):
        got = body_json(res)
        for key, want in expected["body_partial"].items():
            value = got.get(key) if isinstance(got, dict) else None
            if not (isinstance(got, dict) and key in got and json_equal(value, want)):
                out.append(f"body.{key} = {value!r}, expected {want!r}")
    for name, want in (expected.get("headers") or {}).items():
        values = res.get_all(name)
        got = values[0] if values else None
        # A header expected as JSON null must not be sent (as ``<<absent>>``).
        want_text = "<<absent>>" if want is None else want if isinstance(want, str) else ""
        if not _header_ok(want_text, got):
            out.append(f"header {name}: {got!r}, expected {want!r}")
    set_cookies = res.get_all("set-cookie")
    for name, spec in (expected.get("cookies") or {}).items():
        want = set_cookie_value(name, spec)
        if want not in set_cookies:
            out.append(f"set-cookie {want!r} missing; got {set_cookies!r}")
    return out
