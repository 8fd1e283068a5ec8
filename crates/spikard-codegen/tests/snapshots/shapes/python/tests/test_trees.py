"""Each `trees` operation called through the TestClient with the document's example data."""

from __future__ import annotations

from spikard.testing import TestClient

from shapes._spec import example, request_example


def test_get_tree(client: TestClient) -> None:
    res = client.request(**request_example("getTree"))
    assert res.status_code == 200, res.text
    assert res.json() == example("getTree")


def test_class_(client: TestClient) -> None:
    res = client.request(**request_example("class"))
    assert res.status_code == 204, res.text
    assert res.text == ""
