"""Handlers of the `shapes` operations: generated stubs answering the document's example
data. Replace their bodies with your logic; the signatures follow the document."""

from __future__ import annotations

from typing import Annotated

import msgspec
from spikard import Body, Header, Query

from shapes import models
from shapes._spec import example


async def create_shape(
    x_request_id: Annotated[str, Header(alias="x-request-id")],
    body: Annotated[models.Shape, Body()],
    dry_run: Annotated[bool | None, Query(alias="dry-run")] = None,
) -> models.Shape:
    """createShape (`POST /shapes`)."""
    answer: models.Shape = msgspec.convert(example("createShape"), type=models.Shape)
    return answer
