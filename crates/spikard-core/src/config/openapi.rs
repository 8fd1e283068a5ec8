//! OpenAPI document and docs pages.

use serde::{Deserialize, Serialize};

/// OpenAPI 3.1 generation; the document and docs pages are served when enabled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OpenApiConfig {
    pub enabled: bool,
    pub title: String,
    pub version: String,
    pub description: Option<String>,
    pub openapi_json_path: String,
    /// Swagger UI page (`None`: not served).
    pub swagger_ui_path: Option<String>,
    /// Redoc page (`None`: not served).
    pub redoc_path: Option<String>,
    /// AsyncAPI 3.0 document for WebSocket and SSE routes.
    pub asyncapi_json_path: Option<String>,
    /// Serve the pages' scripts from the app (no internet needed) instead of a CDN.
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
