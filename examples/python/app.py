"""A small CRUD service for a product catalogue: validation in Spikard's Rust core, API-key
auth on the writes, the catalogue injected as a dependency, OpenAPI docs at ``/docs``.

Run it with ``./task demo`` (or ``python examples/python/app.py`` after ``./task
build:python``), then::

    curl -X POST localhost:8000/products -H 'x-api-key: demo-key' \\
         -H 'content-type: application/json' \\
         -d '{"name": "Desk lamp", "price": 39.9, "category": "home"}'
    curl 'localhost:8000/products?category=home&limit=10'
    curl localhost:8000/products/1
    curl -X PATCH localhost:8000/products/1 -H 'x-api-key: demo-key' \\
         -H 'content-type: application/json' -d '{"price": 35}'
    curl -X DELETE localhost:8000/products/1 -H 'x-api-key: demo-key'

Invalid input (``limit=0``, a negative price, an unknown category, ``/products/abc``)
answers a 422 problem listing every failing field; a write without the key (set it with
``DEMO_API_KEY``) a 401 problem. Swagger UI is at http://127.0.0.1:8000/docs, Redoc at
``/redoc``.
"""

from __future__ import annotations

import enum
import os
from typing import Annotated

import msgspec

from spikard import HTTPException, Provide, Query, Response, Spikard
from spikard.config import ApiKeyConfig, OpenApiConfig, ServerConfig

#: The key writes need (``X-API-Key`` header).
API_KEY = os.environ.get("DEMO_API_KEY", "demo-key")
#: Route middleware of the writes: reads stay public.
WRITES = {"api_key_auth": ApiKeyConfig(keys=[API_KEY], query_param=None)}
#: Documented for the routes that look a product up (a ``HTTPException(404)`` answers a problem).
NOT_FOUND = {404: {"description": "No such product"}}


class Category(enum.Enum):
    HOME = "home"
    OFFICE = "office"
    GARDEN = "garden"


class NewProduct(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    price: Annotated[float, msgspec.Meta(gt=0)]
    category: Category
    tags: list[str] = []


class ProductPatch(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=80)] | None = None
    price: Annotated[float, msgspec.Meta(gt=0)] | None = None
    category: Category | None = None
    tags: list[str] | None = None


class Product(msgspec.Struct):
    id: int
    name: str
    price: float
    category: Category
    tags: list[str]


class Catalogue:
    """In-memory storage (swap for a database in a real service)."""

    def __init__(self) -> None:
        self.products: dict[int, Product] = {}
        self.next_id = 1

    def add(self, new: NewProduct) -> Product:
        product = Product(self.next_id, new.name, new.price, new.category, new.tags)
        self.products[product.id] = product
        self.next_id += 1
        return product

    def get(self, product_id: int) -> Product:
        try:
            return self.products[product_id]
        except KeyError:
            raise HTTPException(404, f"Product {product_id} not found") from None


catalogue = Catalogue()

app = Spikard(
    ServerConfig(
        openapi=OpenApiConfig(
            title="Product catalogue",
            version="1.0.0",
            description="The Spikard Python demo: a small CRUD service.",
        )
    ),
    # Handlers ask for ``products: Catalogue``; tests may register another one.
    dependencies={"products": Provide(catalogue)},
)


@app.get("/products", tags=["products"], summary="List products")
def list_products(
    products: Catalogue,
    category: Category | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict:
    matching = [p for p in products.products.values() if category is None or p.category == category]
    return {"total": len(matching), "items": matching[offset : offset + limit]}


@app.post(
    "/products",
    middleware=WRITES,
    tags=["products"],
    summary="Create a product",
    status_code=201,
    response_model=Product,
)
def create_product(product: NewProduct, products: Catalogue) -> Response:
    created = products.add(product)
    return Response(created, headers={"location": f"/products/{created.id}"})


@app.get(
    "/products/{product_id:int}",
    tags=["products"],
    summary="Get a product",
    response_model=Product,
    responses=NOT_FOUND,
)
def get_product(product_id: int, products: Catalogue) -> Product:
    return products.get(product_id)


@app.put(
    "/products/{product_id:int}", middleware=WRITES, tags=["products"], summary="Replace a product", responses=NOT_FOUND
)
def replace_product(product_id: int, product: NewProduct, products: Catalogue) -> Product:
    products.get(product_id)
    replaced = Product(product_id, product.name, product.price, product.category, product.tags)
    products.products[product_id] = replaced
    return replaced


@app.patch(
    "/products/{product_id:int}", middleware=WRITES, tags=["products"], summary="Update a product", responses=NOT_FOUND
)
async def update_product(product_id: int, changes: ProductPatch, products: Catalogue) -> Product:
    current = products.get(product_id)
    given = {k: v for k, v in msgspec.structs.asdict(changes).items() if v is not None}
    updated = msgspec.structs.replace(current, **given)
    products.products[product_id] = updated
    return updated


@app.delete(
    "/products/{product_id:int}",
    middleware=WRITES,
    tags=["products"],
    summary="Delete a product",
    status_code=204,
    responses=NOT_FOUND,
)
def delete_product(product_id: int, products: Catalogue) -> None:
    products.get(product_id)
    del products.products[product_id]


if __name__ == "__main__":
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "8000")))
