"""Parameter markers: where a handler argument comes from, and its constraints.

Use them as defaults or inside ``Annotated``::

    def search(q: str = Query(min_length=3), limit: Annotated[int, Query(ge=1, le=100)] = 10): ...

Constraints become JSON Schema keywords (``gt`` -> ``exclusiveMinimum``, ``ge`` ->
``minimum``, ``lt`` -> ``exclusiveMaximum``, ``le`` -> ``maximum``, ``min_length`` /
``max_length`` -> ``minLength``/``maxLength`` for strings and ``minItems``/``maxItems``
for lists, ``pattern``), checked by the Rust core before the handler runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = ["Body", "Cookie", "Header", "Param", "Path", "Query"]

#: Marks a parameter without a default (required).
REQUIRED: Any = ...


@dataclass(frozen=True)
class Param:
    """Common base of the markers; ``source`` names where the value is read."""

    default: Any = REQUIRED
    alias: str | None = None
    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    description: str | None = None

    source: ClassVar[str] = "query"

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(frozen=True)
class Query(Param):
    """A query-string parameter (the default for scalar arguments)."""

    source: ClassVar[str] = "query"


@dataclass(frozen=True)
class Path(Param):
    """A path parameter (arguments named like a path segment are path parameters anyway)."""

    source: ClassVar[str] = "path"


@dataclass(frozen=True)
class Header(Param):
    """A request header; ``x_token`` reads ``x-token`` unless ``convert_underscores=False``."""

    convert_underscores: bool = True
    source: ClassVar[str] = "header"


@dataclass(frozen=True)
class Cookie(Param):
    """A request cookie."""

    source: ClassVar[str] = "cookie"


@dataclass(frozen=True)
class Body(Param):
    """The request body (JSON, urlencoded form or multipart fields), optionally restricted to one media type."""

    media_type: str | None = None
    source: ClassVar[str] = "body"
