"""Multi-file pet store: the app, every operation of the document registered with its schemas.

Run it with ``python -m petstore.main`` (``HOST``/``PORT`` override 127.0.0.1:8000); the
document is served at ``/openapi.json`` and the docs at ``/docs``.
"""

from __future__ import annotations

import os

from spikard import Spikard
from spikard.config import OpenApiConfig, ServerConfig

from petstore._spec import register
from petstore.handlers import pets


def create_app() -> Spikard:
    """The app with every operation of the document."""
    app = Spikard(
        ServerConfig(
            openapi=OpenApiConfig(
                title="Multi-file pet store",
                version="1.0.0",
            )
        )
    )
    register(app, "listPets", pets.list_pets)
    register(app, "createPet", pets.create_pet)
    register(app, "showPetById", pets.show_pet_by_id)
    return app


def main() -> None:
    create_app().run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "8000")))


if __name__ == "__main__":
    main()
