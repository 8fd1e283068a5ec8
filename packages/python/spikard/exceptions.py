"""The exception hierarchy: everything Spikard raises derives from :class:`SpikardError`.

=========================== ===================================================================
exception                   raised for
=========================== ===================================================================
``SpikardError``            base of everything Spikard raises
``ConfigError``             a config or route declaration that cannot be read
``RouteError``              a route the core refuses (``code``: ``route-conflict`` or ``invalid-route``)
``ServerError``             the server cannot bind or stops with an I/O error
``HTTPException``           raised by handlers and hooks to answer with a problem of their choosing
``ResponseValidationError`` a handler's result does not match its response model (a logged 500)
=========================== ===================================================================

Each instance carries the core's stable ``code``. The extension (``spikard._spikard``)
raises these classes for the core's errors and re-exports them; this module imports
nothing from the package, so the extension can import it while it loads.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

__all__ = [
    "ConfigError",
    "HTTPException",
    "ResponseValidationError",
    "RouteError",
    "ServerError",
    "SpikardError",
]


class SpikardError(Exception):
    """Base of every error Spikard raises; ``code`` is the core's stable error code."""

    code: str


class ConfigError(SpikardError):
    """A config or route declaration that cannot be read."""

    code = "invalid-config"


class RouteError(SpikardError):
    """A route the core refuses (``code``: ``route-conflict`` or ``invalid-route``)."""

    code = "invalid-route"


class ServerError(SpikardError):
    """The server could not start or stopped with an I/O error."""

    code = "server-error"


#: Members of an RFC 9457 problem that ``extra`` cannot replace.
_STANDARD_MEMBERS = frozenset({"type", "title", "status", "detail"})


class HTTPException(SpikardError):
    """Raise in a handler to answer with an RFC 9457 problem: ``raise HTTPException(404, "Item not found")``.

    The problem's ``status`` is ``status_code``, its ``detail`` is ``detail`` (the status
    phrase when omitted) and its ``title``/``type`` follow the status. ``headers`` are sent
    with the response (``WWW-Authenticate`` on a 401, ``Retry-After`` on a 429; values are
    converted with ``str``, a list of values sends the header once per value)::

        raise HTTPException(401, "Token expired", headers={"WWW-Authenticate": "Bearer"})

    ``extra`` adds RFC 9457 extension members to the problem object (JSON-convertible
    values; the standard members ``type``, ``title``, ``status`` and ``detail`` cannot be
    replaced)::

        raise HTTPException(402, "Out of credit", extra={"balance": 30, "accounts": ["/account/12345"]})
    """

    code = "http-error"

    def __init__(
        self,
        status_code: int,
        detail: str | None = None,
        headers: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        if not 400 <= status_code <= 599:
            raise ValueError(f"HTTPException needs an error status (400-599), got {status_code}")
        if detail is None:
            try:
                detail = HTTPStatus(status_code).phrase
            except ValueError:
                detail = "Error"
        if extra is not None:
            clash = _STANDARD_MEMBERS.intersection(extra)
            if clash:
                raise ValueError(f"HTTPException extra cannot replace the problem members {sorted(clash)}")
        self.status_code = status_code
        self.detail = detail
        self.headers = dict(headers) if headers is not None else None
        self.extra = dict(extra) if extra is not None else None
        super().__init__(detail)

    def __repr__(self) -> str:
        parts = [str(self.status_code), repr(self.detail)]
        if self.headers:
            parts.append(f"headers={self.headers!r}")
        if self.extra:
            parts.append(f"extra={self.extra!r}")
        return f"HTTPException({', '.join(parts)})"


class ResponseValidationError(SpikardError):
    """A handler returned a value its response model refuses.

    Not an HTTP error: the client gets the generic 500 problem, and the exception (with
    ``errors``, the validator's findings) is logged with its traceback on the ``spikard``
    logger, as FastAPI's ``ResponseValidationError`` is.
    """

    code = "response-validation-error"

    def __init__(self, handler: str, model: Any, errors: list[dict[str, Any]]) -> None:
        self.handler = handler
        self.model = model
        self.errors = errors
        found = "; ".join(f"{e['msg']} at {e['loc']}" if e.get("loc") else e["msg"] for e in errors)
        super().__init__(f"the result of {handler} does not match its response model {_type_name(model)}: {found}")


def _type_name(tp: Any) -> str:
    return tp.__qualname__ if isinstance(tp, type) else repr(tp)
