//! OpenAPI document and docs pages.
//!
//! ```
//! use spikard_core::config::OpenApiConfig;
//! let config: OpenApiConfig = serde_json::from_value(serde_json::json!({"title": "Shop"})).unwrap();
//! assert!(config.enabled && config.offline_assets);
//! assert_eq!(config.openapi_json_path, "/openapi.json");
//! assert_eq!(config.swagger_ui_path.as_deref(), Some("/docs"));
//! ```

use serde::{Deserialize, Serialize};

/// OpenAPI 3.1 generation; the documents and docs pages are served when enabled.
/// The documents describe the routes registered when the app is built.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OpenApiConfig {
    /// Serve the documents and pages (`false` keeps the settings but serves nothing).
    pub enabled: bool,
    /// `info.title` of the documents and the pages' title.
    pub title: String,
    /// `info.version`: the version of the API (not of OpenAPI).
    pub version: String,
    /// `info.description` (CommonMark).
    pub description: Option<String>,
    /// Path of the OpenAPI 3.1 document.
    pub openapi_json_path: String,
    /// Swagger UI page (`None`: not served). Its assets are served under this path.
    pub swagger_ui_path: Option<String>,
    /// Redoc page (`None`: not served). Its script is served under this path.
    pub redoc_path: Option<String>,
    /// AsyncAPI 3.0 document for WebSocket and SSE routes (`None`: not served).
    pub asyncapi_json_path: Option<String>,
    /// Serve the pages' scripts and styles from the app (no internet needed) instead of a CDN.
    pub offline_assets: bool,
}

impl Default for OpenApiConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            title: "Spikard API".into(),
            version: "1.0.0".into(),
            description: None,
            openapi_json_path: "/openapi.json".into(),
            swagger_ui_path: Some("/docs".into()),
            redoc_path: Some("/redoc".into()),
            asyncapi_json_path: Some("/asyncapi.json".into()),
            offline_assets: true,
        }
    }
}
