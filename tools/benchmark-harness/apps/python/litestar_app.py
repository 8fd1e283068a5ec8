"""Litestar peer: body validated by a msgspec Struct (with constraints), query by type hints.

Litestar answers validation errors with 400 and unmatched typed path parameters with 404;
to give the 422 every contestant must give, validation errors are mapped to 422 and the
id is declared as a string path parameter and converted here.
"""

from typing import Annotated

import msgspec
from litestar import Litestar, MediaType, Request, Response, get, post
from litestar.exceptions import ValidationException


class Item(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(min_length=1)]
    price: Annotated[float, msgspec.Meta(gt=0)]
    tags: list[str]


@get("/json", sync_to_thread=False)
def get_json() -> dict:
    return {"message": "hello", "id": 1, "ok": True}


@post("/items/{item_id:str}", status_code=200)
async def create_item(item_id: str, limit: int, data: Item) -> dict:
    try:
        id_ = int(item_id)
    except ValueError:
        raise ValidationException(detail="id must be an integer") from None
    return {"id": id_, "limit": limit, "name": data.name, "price": data.price, "tags": data.tags}


def unprocessable(_: Request, exc: ValidationException) -> Response:
    return Response({"detail": exc.detail, "errors": exc.extra}, status_code=422, media_type=MediaType.JSON)


app = Litestar(
    route_handlers=[get_json, create_item],
    exception_handlers={ValidationException: unprocessable},
    logging_config=None,
)
