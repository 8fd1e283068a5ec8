"""``spikard.config`` mirrors the Rust config structs field for field (names, order, defaults)."""

from __future__ import annotations

import pytest

from spikard import ConfigError, ServerConfig, Spikard, config
from spikard._spikard import default_configs
from spikard.config import rust_field_names
from spikard.testing import TestClient


@pytest.mark.parametrize("name", sorted(default_configs()))
def test_every_config_struct_is_mirrored(name: str) -> None:
    rust = default_configs()[name]
    cls = getattr(config, name)
    assert rust_field_names(cls) == list(rust), f"{name}: field names or order drifted from Rust"
    assert config.to_rust(cls()) == rust, f"{name}: defaults drifted from Rust"


def test_the_package_has_no_config_rust_lacks() -> None:
    assert set(config.__all__) == set(default_configs())


def test_nested_configs_reach_the_core() -> None:
    nested = ServerConfig(
        port=9001,
        compression=config.CompressionConfig(brotli=False),
        rate_limit=config.RateLimitConfig(global_=True),
        static_files=[config.StaticFilesConfig(files=[config.StaticFile("a.txt", "A")])],
    )
    core = Spikard(nested)._core.config()
    assert core["port"] == 9001
    assert core["compression"]["brotli"] is False
    assert core["rate_limit"]["global"] is True
    assert core["static_files"][0]["files"] == [{"path": "a.txt", "content": "A"}]
    assert ServerConfig().to_rust() == default_configs()["ServerConfig"]


def test_limits_apply_to_requests() -> None:
    app = Spikard(ServerConfig(max_body_size=8))
    app.add_route("POST", "/x", lambda body: body, body_schema={"type": "object"})
    res = TestClient(app).post("/x", json={"much": "too long"})
    assert res.status_code == 413


def test_wrong_types_raise_config_error() -> None:
    with pytest.raises(ConfigError):
        Spikard(ServerConfig(port="eighty"))  # type: ignore[arg-type]
