"""The example service, exercised through the in-memory test client."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import app as service
from spikard.testing import TestClient


@pytest.fixture
def client() -> TestClient:
    service.catalogue.__init__()
    return TestClient(service.app)


LAMP = {"name": "Desk lamp", "price": 39.9, "category": "home", "tags": ["light"]}
KEY = {"x-api-key": service.API_KEY}


def test_create_read_update_delete(client: TestClient) -> None:
    res = client.post("/products", headers=KEY, json=LAMP)
    assert res.status_code == 201
    assert res.headers["location"] == "/products/1"
    assert res.json() == {"id": 1, **LAMP}
    assert client.get("/products/1").json()["name"] == "Desk lamp"
    res = client.patch("/products/1", headers=KEY, json={"price": 35})
    assert res.json()["price"] == 35.0
    assert res.json()["name"] == "Desk lamp"
    res = client.put("/products/1", headers=KEY, json={"name": "Floor lamp", "price": 80, "category": "home"})
    assert res.json() == {"id": 1, "name": "Floor lamp", "price": 80.0, "category": "home", "tags": []}
    assert client.delete("/products/1", headers=KEY).status_code == 204
    res = client.get("/products/1")
    assert res.status_code == 404
    assert res.json()["detail"] == "Product 1 not found"


def test_listing_filters_and_paginates(client: TestClient) -> None:
    for i in range(3):
        client.post("/products", headers=KEY, json={**LAMP, "name": f"lamp {i}"})
    client.post("/products", headers=KEY, json={"name": "Chair", "price": 120, "category": "office"})
    res = client.get("/products", params={"category": "home", "limit": 2, "offset": 1})
    body = res.json()
    assert body["total"] == 3
    assert [p["name"] for p in body["items"]] == ["lamp 1", "lamp 2"]


def test_invalid_input_is_a_422_problem_listing_every_field(client: TestClient) -> None:
    res = client.post("/products", headers=KEY, json={"name": "", "price": -1, "category": "kitchen"})
    assert res.status_code == 422
    assert res.headers["content-type"] == "application/problem+json"
    errors = res.json()["errors"]
    assert [(e["loc"], e["type"]) for e in errors] == [
        (["body", "name"], "string_too_short"),
        (["body", "price"], "greater_than"),
        (["body", "category"], "enum"),
    ]
    res = client.get("/products", params={"limit": 0})
    assert res.json()["errors"][0]["type"] == "greater_than_equal"
    assert client.get("/products/abc").json()["errors"][0]["type"] == "int_parsing"


def test_writes_need_the_api_key_and_reads_do_not(client: TestClient) -> None:
    res = client.post("/products", json=LAMP)
    assert res.status_code == 401
    assert res.headers["content-type"] == "application/problem+json"
    assert res.headers["www-authenticate"].startswith("ApiKey")
    assert client.post("/products", headers={"x-api-key": "wrong"}, json=LAMP).status_code == 401
    assert client.get("/products").status_code == 200


def test_docs_describe_the_service(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert doc["info"]["title"] == "Product catalogue"
    assert set(doc["paths"]) == {"/products", "/products/{product_id}"}
    assert doc["paths"]["/products"]["get"]["summary"] == "List products"
    assert client.get("/docs").status_code == 200


def test_the_demo_runs_a_release_build_and_says_so() -> None:
    """``./task demo`` serves an optimised extension (not the debug one the tests use) and
    announces the build, which takes minutes the first time."""
    root = Path(__file__).resolve().parents[2]
    dry = subprocess.run([str(root / "task"), "--dry", "demo"], cwd=root, capture_output=True, text=True, check=True)
    plan = dry.stdout + dry.stderr
    assert 'maturin" develop --release' in plan
    assert "Building the Python extension in release mode" in plan


def test_docs_list_every_status_the_routes_answer(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    create = paths["/products"]["post"]["responses"]
    assert set(create) == {"201", "400", "401", "408", "413", "415", "422"}
    assert create["201"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Product"}
    remove = paths["/products/{product_id}"]["delete"]["responses"]
    assert set(remove) == {"204", "400", "401", "404", "422"}
    assert "content" not in remove["204"]
    assert remove["404"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/ProblemDetails"
    }
    client.post("/products", headers=KEY, json=LAMP)
    res = client.delete("/products/1", headers=KEY)
    assert (res.status_code, res.text, res.headers.get("content-type")) == (204, "", None)
