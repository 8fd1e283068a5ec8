"""Shapes: the app, every operation of the document registered with its schemas.

Run it with ``python -m shapes.main`` (``HOST``/``PORT`` override 127.0.0.1:8000); the
document is served at ``/openapi.json`` and the docs at ``/docs``.
"""

from __future__ import annotations

import os

from spikard import Spikard
from spikard.config import OpenApiConfig, ServerConfig

from shapes._spec import register
from shapes.handlers import shapes, trees


def create_app() -> Spikard:
    """The app with every operation of the document."""
    app = Spikard(
        ServerConfig(
            openapi=OpenApiConfig(
                title="Shapes",
                version="2.1.0",
                description="Names that collide, nullable fields, a discriminated union, a recursive tree, keywords as names.",
            )
        )
    )
    register(app, "createShape", shapes.create_shape)
    register(app, "getTree", trees.get_tree)
    register(app, "class", trees.class_)
    return app


def main() -> None:
    create_app().run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "8000")))


if __name__ == "__main__":
    main()
