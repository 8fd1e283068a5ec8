//! Config structs as plain data; [`default_configs`] gives the package's drift test the
//! core's defaults (`spikard_core::config::defaults`).

use pyo3::prelude::*;
use pyo3::types::PyDict;
use spikard_core::config::ServerConfig;
use spikard_http::foreign::decl;

use crate::errors;

/// A `ServerConfig` from a Python dict (missing keys take their defaults).
pub fn config_from(dict: Option<&Bound<'_, PyDict>>) -> PyResult<ServerConfig> {
    match dict {
        None => Ok(ServerConfig::default()),
        Some(d) => serde_json::from_value(crate::convert::py_to_json(d.as_any())?)
            .map_err(|e| errors::to_py(&decl::config_error("ServerConfig", e))),
    }
}

/// The default of every config struct, by struct name, as dicts (field order kept).
#[pyfunction]
pub fn default_configs(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    crate::convert::map_to_py(py, &spikard_core::config::defaults())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_dicts_take_defaults_and_bad_types_are_config_errors() {
        Python::attach(|py| {
            let classes = crate::stand_ins::errors(py);
            let d = PyDict::new(py);
            d.set_item("port", 9001).unwrap();
            let config = config_from(Some(&d)).unwrap();
            assert_eq!(config.port, 9001);
            assert_eq!(config.host, ServerConfig::default().host);
            d.set_item("port", "eighty").unwrap();
            let err = config_from(Some(&d)).unwrap_err();
            assert!(err.value(py).is_instance(classes[1].bind(py)).unwrap());
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
