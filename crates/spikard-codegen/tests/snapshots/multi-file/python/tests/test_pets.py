"""Each `pets` operation called through the TestClient with the document's example data."""

from __future__ import annotations

from spikard.testing import TestClient

from petstore._spec import example, request_example


def test_list_pets(client: TestClient) -> None:
    res = client.request(**request_example("listPets"))
    assert res.status_code == 200, res.text
    assert res.json() == example("listPets")


def test_create_pet(client: TestClient) -> None:
    res = client.request(**request_example("createPet"))
    assert res.status_code == 201, res.text
    assert res.json() == example("createPet")


def test_show_pet_by_id(client: TestClient) -> None:
    res = client.request(**request_example("showPetById"))
    assert res.status_code == 200, res.text
    assert res.json() == example("showPetById")
