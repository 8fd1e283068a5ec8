"""Each `shapes` operation called through the TestClient with the document's example data."""

from __future__ import annotations

from spikard.testing import TestClient

from shapes._spec import example, request_example


def test_create_shape(client: TestClient) -> None:
    res = client.request(**request_example("createShape"))
    assert res.status_code == 201, res.text
    assert res.json() == example("createShape")
