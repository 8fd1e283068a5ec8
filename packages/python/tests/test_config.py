"""``spikard.config.ServerConfig`` mirrors the Rust ``ServerConfig`` field for field."""

from __future__ import annotations

import pytest

from spikard import ConfigError, ServerConfig, Spikard
from spikard._spikard import default_server_config
from spikard.config import PYTHON_ONLY_FIELDS


def test_fields_and_defaults_match_the_rust_struct() -> None:
    rust = default_server_config()
    python = ServerConfig().to_rust()
    assert list(python) == list(rust), "field names or order drifted from the Rust ServerConfig"
    assert python == rust, "defaults drifted from the Rust ServerConfig"
    assert set(ServerConfig.field_names()) - set(rust) == PYTHON_ONLY_FIELDS


def test_the_app_hands_its_config_to_the_core() -> None:
    app = Spikard(ServerConfig(port=9001, max_body_size=10))
    assert app._core.config()["port"] == 9001
    assert app._core.config()["max_body_size"] == 10


def test_limits_apply_to_requests() -> None:
    from spikard.testing import TestClient

    app = Spikard(ServerConfig(max_body_size=8))
    app.add_route("POST", "/x", lambda body: body, body_schema={"type": "object"})
    res = TestClient(app).post("/x", json={"much": "too long"})
    assert res.status_code == 413


def test_wrong_types_raise_config_error() -> None:
    with pytest.raises(ConfigError):
        Spikard(ServerConfig(port="eighty"))  # type: ignore[arg-type]
