//! How a tunnel is served: its base path, who may call it, what it exposes, and the
//! Spikard middleware settings its routes get (CORS, compression, deadline, body limit).

use std::collections::BTreeSet;
use std::time::Duration;

use spikard::{ApiKeyConfig, CompressionConfig, CorsConfig, RequestIdConfig, RequestTimeoutConfig, RouteMiddleware};

use crate::envelope::ProtocolError;
use crate::multipart::MultipartLimits;
use crate::serializer::Value;

/// The header the Runner clients send their token in.
pub const DEFAULT_TOKEN_HEADER: &str = "x-runner-token";
/// The reference's request correlation header.
pub const REQUEST_ID_HEADER: &str = "x-runner-request-id";

/// Who may call the tunnel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// One of these tokens in `header` (checked by Spikard's API-key middleware, in
    /// constant time; no query-string fallback).
    Token { header: String, tokens: Vec<String> },
    /// Anyone (the reference's `allowAnonymous: true`).
    Anonymous,
}

impl Auth {
    /// One token in the clients' default header.
    pub fn token(token: impl Into<String>) -> Self {
        Self::Token {
            header: DEFAULT_TOKEN_HEADER.into(),
            tokens: vec![token.into()],
        }
    }

    fn middleware(&self) -> Option<ApiKeyConfig> {
        match self {
            Self::Token { header, tokens } => Some(ApiKeyConfig {
                keys: tokens.clone(),
                header_name: header.clone(),
                query_param: None,
                realm: "runner".into(),
                ..Default::default()
            }),
            Self::Anonymous => None,
        }
    }
}

/// Which ids the tunnel serves (the reference's allow-list from its tunnel resources).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exposure {
    /// These task and event ids only (an id listed but not registered is "not found").
    Listed {
        tasks: BTreeSet<String>,
        events: BTreeSet<String>,
    },
    /// Every registered id (the reference's `dangerouslyAllowOpenExposure`).
    Open,
}

impl Exposure {
    pub fn listed<I: Into<String>, J: Into<String>>(
        tasks: impl IntoIterator<Item = I>,
        events: impl IntoIterator<Item = J>,
    ) -> Self {
        Self::Listed {
            tasks: tasks.into_iter().map(Into::into).collect(),
            events: events.into_iter().map(Into::into).collect(),
        }
    }

    /// `None` when the task may be called, else the 403 answer.
    pub fn check_task(&self, id: &str) -> Option<ProtocolError> {
        match self {
            Self::Listed { tasks, .. } if !tasks.contains(id) => {
                Some(ProtocolError::new(403, format!("Task {id} not exposed"), "FORBIDDEN"))
            }
            _ => None,
        }
    }

    pub fn check_event(&self, id: &str) -> Option<ProtocolError> {
        match self {
            Self::Listed { events, .. } if !events.contains(id) => {
                Some(ProtocolError::new(403, format!("Event {id} not exposed"), "FORBIDDEN"))
            }
            _ => None,
        }
    }

    /// The discovery document's `allowList` (an open exposure has no list, as in the reference).
    pub fn discovery(&self) -> Value {
        let (enabled, tasks, events) = match self {
            Self::Listed { tasks, events } => (true, tasks.iter().cloned().collect(), events.iter().cloned().collect()),
            Self::Open => (false, Vec::new(), Vec::new()),
        };
        let list = |ids: Vec<String>| Value::Array(ids.into_iter().map(Value::from).collect());
        Value::object([(
            "allowList",
            Value::object([
                ("enabled", Value::Bool(enabled)),
                ("tasks", list(tasks)),
                ("events", list(events)),
            ]),
        )])
    }
}

/// Everything about serving one tunnel.
#[derive(Debug, Clone)]
pub struct TunnelConfig {
    /// Where the protocol lives (default `/__runner`).
    pub base_path: String,
    pub auth: Auth,
    pub exposure: Exposure,
    /// CORS for browser callers (Spikard's CORS middleware); `None`: no CORS headers.
    pub cors: Option<CorsConfig>,
    /// Response compression (Spikard's, by `Accept-Encoding`).
    pub compression: Option<CompressionConfig>,
    /// A deadline for a whole call (Spikard's request deadline: a 408, the task cancelled).
    pub request_timeout: Option<Duration>,
    /// The most bytes any call's body may have (Spikard's body limit, all modes).
    pub max_body_size: usize,
    /// The most bytes of a JSON call (the reference's `limits.json.maxSize`, 2 MiB).
    pub json_max_size: usize,
    pub multipart: MultipartLimits,
    /// How long a cancelled task may still run to clean up before it is dropped.
    pub cancel_grace: Duration,
    /// Answer `GET {base}/discovery` (the reference's `disableDiscovery: false`).
    pub discovery: bool,
}

impl TunnelConfig {
    pub fn new(auth: Auth, exposure: Exposure) -> Self {
        Self {
            base_path: "/__runner".into(),
            auth,
            exposure,
            cors: None,
            compression: Some(CompressionConfig::default()),
            request_timeout: None,
            max_body_size: 256 * 1024 * 1024,
            json_max_size: 2 * 1024 * 1024,
            multipart: MultipartLimits::default(),
            cancel_grace: Duration::from_secs(5),
            discovery: true,
        }
    }

    /// The base path with one leading slash and no trailing one.
    pub fn normalized_base(&self) -> String {
        let trimmed = self.base_path.trim_end_matches('/');
        if trimmed.starts_with('/') {
            trimmed.to_owned()
        } else {
            format!("/{trimmed}")
        }
    }

    /// The Spikard middleware of every tunnel route.
    pub fn middleware(&self) -> RouteMiddleware {
        RouteMiddleware {
            api_key_auth: self.auth.middleware(),
            cors: self.cors.clone(),
            compression: self.compression.clone(),
            request_id: Some(RequestIdConfig {
                header_name: REQUEST_ID_HEADER.into(),
                ..Default::default()
            }),
            request_timeout: self.request_timeout.map(|d| RequestTimeoutConfig {
                seconds: d.as_secs_f64(),
            }),
            ..Default::default()
        }
    }
}
