"""Fixtures with lifecycle hooks (``handler.middleware.lifecycle_hooks.<phase>``:
``[{name, handler, config?, order?, dependencies?}]``), mirroring
``e2e/rust/src/features/hooks.rs`` rule for rule. Hooks are application code, so the
runner writes them in Python from a small vocabulary keyed by words in the hook's
``handler`` name (documented in ``testing_data/README.md``) and registers them as route
hooks through the public API (``on_request=[...]`` etc. on ``add_route``).

Every request hook appends its ``name`` to ``request.state["hooks_run"]``; the handler
refuses (500) unless the request hooks ran exactly in the declared order (phases in
order, ``order`` then registration order within a phase), and it takes every dependency
it declares (a missing one fails the call). A hook declaring ``dependencies`` takes them
as parameters, so they must be resolved before its phase.

Guards (``rate_limit``, ``auth``/``token``, ``admin``/``role``/``permission``/``authoriz``)
decide by their own rules and, when they refuse, answer early with the fixture's
expected error response (or their own default when the fixture expects success). When
the fixture expects an application error that no guard produces, the last hook outside
the vocabulary answers it early; without one, the handler does (raising, when an
``on_error`` formatter is there to format it). Expected headers that no vocabulary hook
produces are set by one "carrier" hook: the first hook declaring dependencies, else the
last response hook of the expected response's phase, else the first request hook."""

from __future__ import annotations

import http
import inspect
import itertools
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from answer import FixtureError, app_response, application_answers

from features import di
from fixture import Fixture
from spikard import HookRequest, HTTPException, Request, Response, Spikard

PHASES = ("on_request", "pre_validation", "pre_handler", "on_response", "on_error")
#: Headers the security-headers hook sets (with these defaults unless the fixture expects other values).
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "x-xss-protection": "1; mode=block",
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "referrer-policy": "strict-origin-when-cross-origin",
    "content-security-policy": "default-src 'self'",
}
GUARDS = ("rate_limit", "authenticate", "authorize")


@dataclass
class HookDef:
    phase: int
    name: str
    kind: str
    deps: list[str]
    #: ``max_requests``/``window_seconds`` (rate limit), ``admin`` (authorize), ``panic`` (fail).
    config: dict[str, Any] = field(default_factory=dict)


def kind_of(handler: str, phase: int, config: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The vocabulary word of a hook's ``handler`` name, with what it needs to know."""
    h = handler.lower()
    request_phase = phase < 3

    def has(w: str) -> bool:
        return w in h

    if has("panic") or has("raise") or has("throw") or h.startswith("fail"):
        return "fail", {}
    if has("rate_limit") or has("ratelimit"):

        def num(k: str, default: int) -> int:
            v = config.get(k)
            return v if isinstance(v, int) and not isinstance(v, bool) and v >= 0 else default

        return "rate_limit", {"max": num("max_requests", 2**63), "window": num("window_seconds", 60)}
    if has("request_id"):
        return "request_id", {}
    if has("security"):
        return "security", {}
    if has("error") and (has("format") or has("transform")):
        return "error_format", {}
    if has("response_time") or (not request_phase and (has("timing") or has("timer"))):
        return "response_time", {}
    if request_phase and (has("start_time") or has("timer")):
        return "start_timer", {}
    if has("admin") or has("role") or has("permission") or has("authoriz"):
        return "authorize", {"admin": has("admin") or has("role")}
    if has("auth") or has("token"):
        return "authenticate", {}
    if has("log") or has("audit"):
        return "log", {}
    return "other", {}


def hook_defs(f: Fixture) -> list[HookDef] | None:
    """The fixture's hooks, phase by phase, each phase sorted by ``order`` (stable)."""
    config = (f.handler.get("middleware") or {}).get("lifecycle_hooks") or f.data.get("lifecycle_hooks")
    if not isinstance(config, dict):
        return None
    defs = []
    for phase, key in enumerate(PHASES):
        entries = [e for e in config.get(key) or [] if isinstance(e, dict)]
        entries.sort(key=lambda e: e["order"] if isinstance(e.get("order"), (int, float)) else float("inf"))
        for e in entries:
            name = str(e.get("name") or "hook")
            cfg = e.get("config") if isinstance(e.get("config"), dict) else {}
            kind, settings = kind_of(str(e.get("handler") or name), phase, cfg)
            defs.append(HookDef(phase, name, kind, di.names(e.get("dependencies")), settings))
    return defs


def concrete(want: str) -> str | None:
    """A header value standing for a fixture placeholder."""
    if want == "<<absent>>":
        return None
    if want in ("<<uuid>>", "<<present>>", ".*"):
        return str(uuid.uuid4())
    return want.replace(".*", "0")


@dataclass
class Scenario:
    expected: dict[str, Any]
    expected_status: int
    #: The application answers errors itself (lifecycle category, not a framework status).
    app_error: bool
    #: Headers the carrier hook sets.
    carried: dict[str, str]
    #: Expected values of security headers.
    security: dict[str, str]
    time_header: str

    def early_answer(self, status: int, error: str, message: str) -> Response:
        if self.app_error:
            try:
                return app_response(self.expected, False)
            except FixtureError:
                pass
        return Response({"error": error, "message": message}, status_code=status)


def _unclaimed_headers(f: Fixture, defs: list[HookDef]) -> dict[str, str]:
    """Expected headers no vocabulary hook (or configured middleware) produces."""
    kinds = {d.kind for d in defs}
    middleware = f.handler.get("middleware") or {}
    out = {}
    for name, want in (f.expected.get("headers") or {}).items():
        lower = name.lower()
        claimed = (
            lower == "content-type"
            or lower.startswith("access-control-")
            or lower in ("vary", "content-encoding", "content-length", "transfer-encoding")
            or (lower == "x-request-id" and ("request_id" in kinds or "request_id" in middleware))
            or ("response-time" in lower and "response_time" in kinds)
            or (lower in SECURITY_HEADERS and "security" in kinds)
            or (lower == "retry-after" and "rate_limit" in kinds)
        )
        value = concrete(want) if isinstance(want, str) and not claimed else None
        if value is not None:
            out[lower] = value
    return out


def scenario(f: Fixture, defs: list[HookDef]) -> Scenario:
    security = {}
    time_header = "x-response-time"
    for name, want in (f.expected.get("headers") or {}).items():
        lower = name.lower()
        if not isinstance(want, str):
            continue
        if "response-time" in lower:
            time_header = lower
        if lower in SECURITY_HEADERS and not want.startswith("<<") and ".*" not in want:
            security[lower] = want
    return Scenario(
        expected=f.expected,
        expected_status=f.expected_status,
        app_error=application_answers(f) and f.expected_status >= 400,
        carried=_unclaimed_headers(f, defs),
        security=security,
        time_header=time_header,
    )


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _valid(token: str | None) -> bool:
    return token is not None and "invalid" not in token.lower() and "expired" not in token.lower()


def _fail(name: str) -> None:
    raise RuntimeError(f"hook {name} failed as the fixture asks")


def request_hook(d: HookDef, s: Scenario, carrier: bool, answers: bool) -> Callable[..., Any]:
    """A request-phase hook of the vocabulary."""
    count = itertools.count(1)

    def hook(request: Request, **_deps: Any) -> Response | None:
        request.state.setdefault("hooks_run", []).append(d.name)
        state = request.state
        if d.kind == "fail":
            _fail(d.name)
        elif d.kind == "rate_limit" and next(count) > d.config["max"]:
            answer = s.early_answer(429, "Rate limit exceeded", "Too many requests, please try again later")
            answer.headers["retry-after"] = str(d.config["window"])
            return answer
        elif d.kind == "rate_limit":
            state["rate_limit_checked"] = True
        elif d.kind == "authenticate":
            token = _bearer(request)
            if not _valid(token):
                return s.early_answer(401, "Unauthorized", "Invalid or expired authentication token")
            state.update(authenticated=True, token=token)
        elif d.kind == "authorize":
            token = _bearer(request)
            allowed = _valid(token) and (not d.config["admin"] or "admin" in str(token).lower())
            if not allowed:
                return s.early_answer(403, "Forbidden", "Insufficient permissions for this endpoint")
            state["authorized"] = True
        elif d.kind == "request_id":
            state["request_id"] = str(uuid.uuid4())
            request.reply_header("x-request-id", state["request_id"])
        elif d.kind == "start_timer":
            state["start_time"] = time.time()
        elif d.kind == "log":
            state["request_logged"] = True
        if carrier:
            for name, value in s.carried.items():
                request.reply_header(name, value)
        if answers:
            return s.early_answer(500, "Error", "hook answered")
        return None

    params = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)]
    return di.keyword_function(hook, params + di.keyword_parameters(d.deps), d.name)


def response_hook(d: HookDef, s: Scenario, carrier: bool) -> Callable[..., Any]:
    """A response-phase hook of the vocabulary (it takes the ``HookRequest``)."""

    def hook(response: Response, request: HookRequest) -> Response | None:
        if d.kind == "fail":
            _fail(d.name)
        elif d.kind == "security":
            response.headers.update({**SECURITY_HEADERS, **s.security})
        elif d.kind == "response_time":
            response.headers[s.time_header] = f"{request.elapsed * 1000:.3f}ms"
        elif d.kind == "request_id":
            response.headers["x-request-id"] = str(request.state.get("request_id") or uuid.uuid4())
        elif d.kind == "error_format" and response.status_code >= 400:
            response = _formatted(response, s)
        if carrier:
            response.headers.update(s.carried)
        return response

    hook.__name__ = hook.__qualname__ = d.name
    return hook


def _formatted(response: Response, s: Scenario) -> Response:
    status = response.status_code
    if s.app_error and status == s.expected_status:
        formatted = s.early_answer(status, "", "")
    else:
        formatted = Response(
            {"error": http.HTTPStatus(status).phrase, "message": "An unexpected error occurred"}, status
        )
    present = {k.lower() for k in formatted.headers}
    for name, value in response.headers.items():
        if name.lower() != "content-type" and name.lower() not in present:
            formatted.headers[name] = value
    return formatted


def build(f: Fixture, app: Spikard) -> tuple[Callable[..., Any], dict[str, Any]] | None:
    """The handler and route options (its hooks, and its dependencies) of a fixture with hooks."""
    defs = hook_defs(f)
    if defs is None:
        return None
    s = scenario(f, defs)
    formats_errors = any(d.phase == 4 and d.kind == "error_format" for d in defs)
    expected_run = [d.name for d in defs if d.phase < 3]
    guarded = any(d.phase < 3 and d.kind in GUARDS for d in defs)
    others = [i for i, d in enumerate(defs) if d.phase < 3 and d.kind == "other"]
    answering = others[-1] if s.app_error and not guarded and others else None
    response_phase = 4 if s.expected_status >= 400 else 3
    with_deps = [i for i, d in enumerate(defs) if d.deps]
    in_phase = [i for i, d in enumerate(defs) if d.phase == response_phase]
    requests = [i for i, d in enumerate(defs) if d.phase < 3]
    carrier = (with_deps[:1] or in_phase[-1:] or requests[:1] or [None])[0]

    options: dict[str, Any] = {phase: [] for phase in PHASES}
    for i, d in enumerate(defs):
        hook = response_hook(d, s, carrier == i) if d.phase >= 3 else request_hook(d, s, carrier == i, answering == i)
        options[PHASES[d.phase]].append(hook)
    if di.has_dependencies(f):
        options.update(di.configure(f, app))
    app_answers = application_answers(f)

    def handler(request: Request, **_deps: Any) -> Any:
        run = request.state.get("hooks_run", [])
        if run != expected_run:
            raise RuntimeError(f"request hooks ran as {run}, expected {expected_run}")
        if s.app_error and formats_errors:
            if s.expected_status == 500:
                raise RuntimeError("handler raised as the fixture asks")
            raise HTTPException(s.expected_status, "handler raised as the fixture asks")
        return app_response(s.expected, False) if app_answers else {"handler_called": True}

    params = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)]
    return di.keyword_function(handler, params + di.handler_parameters(f, app), "hooks_handler"), options
