"""The document's operations as Spikard route specs and the example data of each one,
read from ``routes.json`` (generated; regenerate rather than edit it)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from spikard import Spikard

_DATA: dict[str, Any] = json.loads((Path(__file__).parent / "routes.json").read_text(encoding="utf-8"))


def register(app: Spikard, operation_id: str, handler: Callable[..., Any]) -> None:
    """Register ``handler`` for an operation, with the document's schemas and responses."""
    spec: dict[str, Any] = _DATA["routes"][operation_id]
    app.add_route(
        spec["method"],
        spec["path"],
        handler,
        parameters=spec["parameters"],
        body_schema=spec.get("body_schema"),
        body_optional=spec.get("body_optional", False),
        content_type=spec.get("content_type"),
        name=spec["handler_name"],
        tags=spec.get("tags"),
        summary=spec.get("summary"),
        description=spec.get("description"),
        operation_id=spec.get("operation_id"),
        deprecated=spec.get("deprecated", False),
        responses=spec["responses"],
        status_code=spec.get("status_code"),
        response_model=None,
    )


def example(operation_id: str) -> Any:
    """The example answer of an operation (valid against its success response's schema)."""
    return _DATA["examples"][operation_id]["response"]


def request_example(operation_id: str) -> dict[str, Any]:
    """Keywords of ``TestClient.request`` for a valid call of the operation."""
    call: dict[str, Any] = _DATA["examples"][operation_id]["request"]
    keywords = {"method": call["method"], "url": call["url"], "headers": call["headers"], "cookies": call["cookies"]}
    if "json" in call:
        keywords["json"] = call["json"]
    if "data" in call:
        keywords["data"] = call["data"]
    if "files" in call:
        keywords["files"] = {field: (part[0], part[1]) for field, part in call["files"].items()}
    return keywords
