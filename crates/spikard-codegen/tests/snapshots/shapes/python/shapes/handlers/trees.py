"""Handlers of the `trees` operations: generated stubs answering the document's example
data. Replace their bodies with your logic; the signatures follow the document."""

from __future__ import annotations

from typing import Annotated

import msgspec
from spikard import Path, Response

from shapes import models
from shapes._spec import example


async def get_tree(
    id: Annotated[int, Path(alias="id")],
) -> models.Node:
    """getTree (`GET /trees/{id}`)."""
    answer: models.Node = msgspec.convert(example("getTree"), type=models.Node)
    return answer


async def class_(
    id: Annotated[int, Path(alias="id")],
) -> Response:
    """class (`DELETE /trees/{id}`)."""
    return Response(status_code=204)
