"""Handlers of the `pets` operations: generated stubs answering the document's example
data. Replace their bodies with your logic; the signatures follow the document."""

from __future__ import annotations

from typing import Annotated

import msgspec
from spikard import Body, Path, Query

from petstore import models
from petstore._spec import example


async def list_pets(
    limit: Annotated[int | None, Query(alias="limit")] = None,
) -> list[models.Pet]:
    """listPets (`GET /pets`)."""
    answer: list[models.Pet] = msgspec.convert(example("listPets"), type=list[models.Pet])
    return answer


async def create_pet(
    body: Annotated[models.NewPet, Body()],
) -> models.Pet:
    """createPet (`POST /pets`)."""
    answer: models.Pet = msgspec.convert(example("createPet"), type=models.Pet)
    return answer


async def show_pet_by_id(
    pet_id: Annotated[int, Path(alias="petId")],
) -> models.Pet:
    """showPetById (`GET /pets/{petId}`)."""
    answer: models.Pet = msgspec.convert(example("showPetById"), type=models.Pet)
    return answer
