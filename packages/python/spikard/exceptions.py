"""The exception hierarchy: everything Spikard raises derives from :class:`SpikardError`.

``SpikardError``, ``ConfigError``, ``RouteError`` and ``ServerError`` come from the Rust
binding (each instance carries the core's stable ``code``); :class:`HTTPException`
is what handlers raise to answer with a problem response of their choosing.
"""

from __future__ import annotations

from http import HTTPStatus

from spikard._spikard import ConfigError, RouteError, ServerError, SpikardError

__all__ = ["ConfigError", "HTTPException", "RouteError", "ServerError", "SpikardError"]


class HTTPException(SpikardError):
    """Raise in a handler to answer with an RFC 9457 problem: ``raise HTTPException(404, "Item not found")``.

    The problem's ``status`` is ``status_code``, its ``detail`` is ``detail`` (the status
    phrase when omitted) and its ``title``/``type`` follow the status.
    """

    code = "http-error"

    def __init__(self, status_code: int, detail: str | None = None) -> None:
        if not 400 <= status_code <= 599:
            raise ValueError(f"HTTPException needs an error status (400-599), got {status_code}")
        if detail is None:
            try:
                detail = HTTPStatus(status_code).phrase
            except ValueError:
                detail = "Error"
        self.status_code = status_code
        self.detail = detail
        super().__init__(detail)

    def __repr__(self) -> str:
        return f"HTTPException({self.status_code}, {self.detail!r})"
