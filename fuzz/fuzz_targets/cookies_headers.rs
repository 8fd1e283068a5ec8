//! Cookie and header parsing: `Cookie` headers, the size/URI checks made before routing,
//! the client address behind trusted proxies (`Forwarded`, `X-Forwarded-For`), bearer
//! tokens and API keys, `Accept-Encoding` negotiation, and typed header and cookie
//! parameters through a parameter plan.
//!
//! Input: a request in the format of `spikard_fuzz::parse_wire` (its body is unused).
#![no_main]

use std::net::{IpAddr, Ipv4Addr};
use std::sync::OnceLock;

use http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;
use serde_json::json;
use spikard_core::config::{ApiKeyConfig, JwtConfig, ServerConfig};
use spikard_core::params::{ParamSource, ParamSpec, ParameterPlan, RawParams};
use spikard_http::client_ip::TrustedProxies;
use spikard_http::cookies::parse_cookie_headers;
use spikard_http::limits::check_head;
use spikard_http::middleware::auth::{ApiKeyAuth, JwtAuth};
use spikard_http::middleware::compression::negotiate;

struct Fixed {
    plan: ParameterPlan,
    proxies: TrustedProxies,
    jwt: JwtAuth,
    api_key: ApiKeyAuth,
    config: ServerConfig,
}

fn fixed() -> &'static Fixed {
    static FIXED: OnceLock<Fixed> = OnceLock::new();
    FIXED.get_or_init(|| {
        let specs = vec![
            ParamSpec::from_schema(
                "x-request-count",
                ParamSource::Header,
                &json!({"type": "integer", "minimum": 0, "optional": true}),
            ),
            ParamSpec::from_schema(
                "accept-language",
                ParamSource::Header,
                &json!({"type": "array", "items": {"type": "string"}, "optional": true}),
            ),
            ParamSpec::from_schema(
                "x-token",
                ParamSource::Header,
                &json!({"type": "string", "minLength": 4, "optional": true}),
            ),
            ParamSpec::from_schema(
                "session",
                ParamSource::Cookie,
                &json!({"type": "string", "format": "uuid", "optional": true}),
            ),
            ParamSpec::from_schema(
                "theme",
                ParamSource::Cookie,
                &json!({"enum": ["dark", "light"], "default": "light"}),
            ),
            ParamSpec::from_schema(
                "visits",
                ParamSource::Cookie,
                &json!({"type": "integer", "optional": true}),
            ),
        ];
        let jwt = JwtConfig {
            secret: Some("fuzz-secret-fuzz-secret-fuzz-secret".into()),
            required_claims: vec!["sub".into()],
            ..Default::default()
        };
        let api_key = ApiKeyConfig {
            keys: vec!["key-one".into()],
            deprecated_keys: vec!["key-old".into()],
            ..Default::default()
        };
        Fixed {
            plan: ParameterPlan::compile(specs).expect("the header schemas compile"),
            proxies: TrustedProxies::parse(&["10.0.0.0/8".into(), "::1".into()]).expect("valid proxies"),
            jwt: JwtAuth::compile(&jwt).expect("valid JWT config"),
            api_key: ApiKeyAuth::compile(&api_key).expect("valid API key config"),
            config: ServerConfig::default(),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let wire = spikard_fuzz::parse_wire(data);
    let mut headers = HeaderMap::new();
    for (name, value) in &wire.headers {
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name), HeaderValue::from_bytes(value)) {
            headers.append(n, v);
        }
    }
    let fixed = fixed();

    let cookies = parse_cookie_headers(&headers);
    let lowered: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let raw = RawParams {
        headers: &lowered,
        cookies: &cookies,
        ..Default::default()
    };
    let _ = fixed.plan.extract(&raw);

    for peer in [IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3)), IpAddr::V4(Ipv4Addr::LOCALHOST)] {
        let _ = fixed.proxies.client_ip(Some(peer), &headers);
    }
    let _ = fixed.jwt.has_bearer(&headers);
    if let Err(failure) = fixed.jwt.authenticate(&headers) {
        assert!(failure.status() < 500, "JWT failure answered {}", failure.status());
    }
    if let Err(failure) = fixed.api_key.authenticate(&headers, &[]) {
        assert!(failure.status() < 500, "API key failure answered {}", failure.status());
    }
    for value in headers.get_all(http::header::ACCEPT_ENCODING) {
        if let Ok(accept) = value.to_str() {
            let _ = negotiate(accept, true, true);
        }
    }

    if let Ok(request) = http::Request::builder()
        .uri(wire.target)
        .body(())
        .map(|r| r.into_parts().0)
    {
        let mut parts = request;
        parts.headers = headers;
        if let Err(e) = check_head(&parts, &fixed.config) {
            assert!(matches!(e.status(), 414 | 431), "check_head answered {}", e.status());
        }
    }
});
