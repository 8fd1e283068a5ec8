//! Config structs crossing the boundary as plain data.
//!
//! The Python package mirrors every struct of `spikard_core::config` as a
//! dataclass; [`default_configs`] hands Python the Rust defaults of each, so the
//! package's drift test compares names, order and defaults with the real structs.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde::Serialize;
use spikard_core::config::{
    ApiKeyConfig, BackgroundConfig, BodyLimitConfig, CompressionConfig, CorsConfig, JwtConfig, OpenApiConfig,
    RateLimitConfig, RequestIdConfig, RequestTimeoutConfig, ServerConfig, StaticFile, StaticFilesConfig,
};

use crate::convert::json_to_py;
use crate::errors;

/// A `ServerConfig` from a Python dict (missing keys take their defaults).
pub fn config_from(dict: Option<&Bound<'_, PyDict>>) -> PyResult<ServerConfig> {
    match dict {
        None => Ok(ServerConfig::default()),
        Some(d) => serde_json::from_value(crate::convert::py_to_json(d.as_any())?)
            .map_err(|e| errors::config_error("ServerConfig", e)),
    }
}

fn to_py<'py, T: Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    let value = serde_json::to_value(value).map_err(|e| errors::config_error("config", e))?;
    json_to_py(py, &value)
}

/// The default `ServerConfig` as a dict.
#[pyfunction]
pub fn default_server_config(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    to_py(py, &ServerConfig::default())
}

/// The default of every config struct, by struct name, as dicts (field order kept).
#[pyfunction]
pub fn default_configs(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let out = PyDict::new(py);
    out.set_item("ServerConfig", to_py(py, &ServerConfig::default())?)?;
    out.set_item("CompressionConfig", to_py(py, &CompressionConfig::default())?)?;
    out.set_item("CorsConfig", to_py(py, &CorsConfig::default())?)?;
    out.set_item("RequestIdConfig", to_py(py, &RequestIdConfig::default())?)?;
    out.set_item("RequestTimeoutConfig", to_py(py, &RequestTimeoutConfig::default())?)?;
    out.set_item("RateLimitConfig", to_py(py, &RateLimitConfig::default())?)?;
    out.set_item("BodyLimitConfig", to_py(py, &BodyLimitConfig::default())?)?;
    out.set_item("StaticFile", to_py(py, &StaticFile::default())?)?;
    out.set_item("StaticFilesConfig", to_py(py, &StaticFilesConfig::default())?)?;
    out.set_item("JwtConfig", to_py(py, &JwtConfig::default())?)?;
    out.set_item("ApiKeyConfig", to_py(py, &ApiKeyConfig::default())?)?;
    out.set_item("OpenApiConfig", to_py(py, &OpenApiConfig::default())?)?;
    out.set_item("BackgroundConfig", to_py(py, &BackgroundConfig::default())?)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_dicts_take_defaults_and_bad_types_are_config_errors() {
        Python::attach(|py| {
            let d = PyDict::new(py);
            d.set_item("port", 9001).unwrap();
            let config = config_from(Some(&d)).unwrap();
            assert_eq!(config.port, 9001);
            assert_eq!(config.host, ServerConfig::default().host);
            d.set_item("port", "eighty").unwrap();
            let err = config_from(Some(&d)).unwrap_err();
            assert!(err.is_instance_of::<errors::ConfigError>(py));
        });
    }

    #[test]
    fn every_struct_is_listed() {
        Python::attach(|py| {
            let all = default_configs(py).unwrap();
            assert_eq!(all.len(), 13);
            let server = all.get_item("ServerConfig").unwrap().unwrap();
            assert_eq!(server.get_item("port").unwrap().extract::<u16>().unwrap(), 8000);
        });
    }
}
