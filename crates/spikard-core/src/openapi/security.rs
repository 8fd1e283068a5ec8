//! Security schemes detected from the auth settings in force for each route:
//! JWT in `Authorization` is an HTTP bearer scheme (`bearerFormat: JWT`), JWT in
//! another header and API keys are `apiKey` schemes (header, and query when a
//! query parameter is accepted). Each protected operation lists its requirements.

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
            let scheme = if cfg.header_name.eq_ignore_ascii_case("authorization") {
                json!({"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
            } else {
                json!({"type": "apiKey", "in": "header", "name": cfg.header_name,
                       "description": "A JWT as `Bearer <token>`."})
            };
            jwt.push(self.register("BearerAuth", scheme));
        }
        let mut keys = Vec::new();
        if let Some(cfg) = &route.api_key_auth {
            keys.push(self.register(
                "ApiKeyHeader",
                json!({"type": "apiKey", "in": "header", "name": cfg.header_name}),
            ));
            if let Some(q) = &cfg.query_param {
                keys.push(self.register("ApiKeyQuery", json!({"type": "apiKey", "in": "query", "name": q})));
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
