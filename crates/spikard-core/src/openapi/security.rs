//! Security schemes detected from the auth settings in force for each route
//! (the scheme objects come from the configs: [`JwtConfig::security_scheme`],
//! [`ApiKeyConfig::security_schemes`]): JWT in `Authorization` is an HTTP bearer
//! scheme (`bearerFormat: JWT`), JWT in another header and API keys are `apiKey`
//! schemes (header, and query when a query parameter is accepted). Each protected
//! operation lists its requirements.
//!
//! [`JwtConfig::security_scheme`]: crate::config::JwtConfig::security_scheme
//! [`ApiKeyConfig::security_schemes`]: crate::config::ApiKeyConfig::security_schemes

use serde_json::{json, Map, Value};

use super::RouteDoc;

#[derive(Debug, Default)]
pub(super) struct SecuritySchemes {
    schemes: Map<String, Value>,
}

impl SecuritySchemes {
    /// The name of `scheme`, registering it under `base` (numbered when the name holds another scheme).
    fn register(&mut self, base: &str, scheme: Value) -> String {
        let mut name = base.to_owned();
        let mut n = 2;
        loop {
            match self.schemes.get(&name) {
                Some(existing) if *existing == scheme => return name,
                None => {
                    self.schemes.insert(name.clone(), scheme);
                    return name;
                }
                Some(_) => {
                    name = format!("{base}{n}");
                    n += 1;
                }
            }
        }
    }

    /// The operation's `security`: alternatives, any one of which suffices.
    pub fn requirements(&mut self, route: &RouteDoc) -> Option<Value> {
        let mut jwt = Vec::new();
        if let Some(cfg) = &route.jwt_auth {
            jwt.push(self.register("BearerAuth", cfg.security_scheme()));
        }
        let mut keys = Vec::new();
        if let Some(cfg) = &route.api_key_auth {
            for scheme in cfg.security_schemes() {
                let base = if scheme["in"] == "query" {
                    "ApiKeyQuery"
                } else {
                    "ApiKeyHeader"
                };
                keys.push(self.register(base, scheme));
            }
        }
        // With both schemes configured either credential suffices (the auth middleware verifies
        // a bearer token when one is sent, else the API key): each scheme is an alternative.
        let alternatives: Vec<Value> = jwt
            .iter()
            .chain(&keys)
            .map(|name| json!({ name.as_str(): [] }))
            .collect();
        (!alternatives.is_empty()).then_some(Value::Array(alternatives))
    }

    pub fn into_schemes(self) -> Map<String, Value> {
        self.schemes
    }
}
