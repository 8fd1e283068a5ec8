"""The test client of the generated app."""

from __future__ import annotations

import pytest
from spikard.testing import TestClient

from shapes.main import create_app


@pytest.fixture(scope="session")
def client() -> TestClient:
    return TestClient(create_app())
