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

__all__ = [
    "Body",
    "BodyParam",
    "Cookie",
    "CookieParam",
    "File",
    "FileParam",
    "Form",
    "FormParam",
    "Header",
    "HeaderParam",
    "Param",
    "Path",
    "PathParam",
    "Query",
    "QueryParam",
]

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
    #: How the marker is written (in errors).
    spelling: ClassVar[str] = "Query"

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(frozen=True)
class QueryParam(Param):
    """What ``Query()`` marks: a query-string parameter (the default for scalar arguments)."""

    source: ClassVar[str] = "query"
    spelling: ClassVar[str] = "Query"


@dataclass(frozen=True)
class PathParam(Param):
    """What ``Path()`` marks: a path parameter (arguments named like a segment are anyway)."""

    source: ClassVar[str] = "path"
    spelling: ClassVar[str] = "Path"


@dataclass(frozen=True)
class HeaderParam(Param):
    """What ``Header()`` marks: a request header; ``x_token`` reads ``x-token`` unless
    ``convert_underscores=False``."""

    convert_underscores: bool = True
    source: ClassVar[str] = "header"
    spelling: ClassVar[str] = "Header"


@dataclass(frozen=True)
class CookieParam(Param):
    """What ``Cookie()`` marks: a request cookie."""

    source: ClassVar[str] = "cookie"
    spelling: ClassVar[str] = "Cookie"


@dataclass(frozen=True)
class BodyParam(Param):
    """What ``Body()`` marks: the request body (JSON, urlencoded form or multipart fields),
    optionally restricted to one media type; ``embed``: the body member of the parameter's
    name (as every body parameter is when a handler takes several)."""

    media_type: str | None = None
    embed: bool = False
    source: ClassVar[str] = "body"
    spelling: ClassVar[str] = "Body"


@dataclass(frozen=True)
class FormParam(Param):
    """What ``Form()`` marks: one field of an urlencoded or multipart form."""

    source: ClassVar[str] = "form"
    spelling: ClassVar[str] = "Form"


@dataclass(frozen=True)
class FileParam(Param):
    """What ``File()`` marks: an uploaded file (an ``UploadFile`` or ``list[UploadFile]``)."""

    source: ClassVar[str] = "file"
    spelling: ClassVar[str] = "File"


# The markers are functions typed ``Any``, as FastAPI's are, so ``limit: int = Query(10)``
# type-checks: the default's declared type is the parameter's, not the marker's.


def Query(
    default: Any = REQUIRED,
    *,
    alias: str | None = None,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
    description: str | None = None,
) -> Any:
    """A query-string parameter (the default for scalar arguments)."""
    return QueryParam(default, alias, gt, ge, lt, le, min_length, max_length, pattern, description)


def Path(
    default: Any = REQUIRED,
    *,
    alias: str | None = None,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
    description: str | None = None,
) -> Any:
    """A path parameter (arguments named like a path segment are path parameters anyway)."""
    return PathParam(default, alias, gt, ge, lt, le, min_length, max_length, pattern, description)


def Header(
    default: Any = REQUIRED,
    *,
    alias: str | None = None,
    convert_underscores: bool = True,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
    description: str | None = None,
) -> Any:
    """A request header; ``x_token`` reads ``x-token`` unless ``convert_underscores=False``."""
    return HeaderParam(
        default, alias, gt, ge, lt, le, min_length, max_length, pattern, description, convert_underscores
    )


def Cookie(
    default: Any = REQUIRED,
    *,
    alias: str | None = None,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
    description: str | None = None,
) -> Any:
    """A request cookie."""
    return CookieParam(default, alias, gt, ge, lt, le, min_length, max_length, pattern, description)


def Body(
    default: Any = REQUIRED,
    *,
    media_type: str | None = None,
    embed: bool = False,
    alias: str | None = None,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
    description: str | None = None,
) -> Any:
    """The request body (JSON, urlencoded form or multipart fields), optionally restricted
    to one media type."""
    return BodyParam(default, alias, gt, ge, lt, le, min_length, max_length, pattern, description, media_type, embed)


def Form(
    default: Any = REQUIRED,
    *,
    alias: str | None = None,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
    description: str | None = None,
) -> Any:
    """One form field (urlencoded or multipart): ``username: str = Form()``."""
    return FormParam(default, alias, gt, ge, lt, le, min_length, max_length, pattern, description)


def File(default: Any = REQUIRED, *, alias: str | None = None, description: str | None = None) -> Any:
    """An uploaded file: ``upload: UploadFile = File()`` (the annotation alone does the same)."""
    return FileParam(default, alias, description=description)
