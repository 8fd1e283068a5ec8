//! The WebSocket opening handshake (RFC 6455 section 4.2) and the hand-over of
//! the upgraded connection — from hyper on a real socket, or from the in-memory
//! test client's duplex pipe.

use std::sync::{Arc, Mutex};

use http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use hyper_util::rt::TokioIo;
use spikard_core::error::HttpProblem;
use spikard_core::SpikardError;
use tokio::io::DuplexStream;

use super::session::run_session;
use crate::response::{error_response, HandlerResponse, ResponseBody};

/// The server half of an in-memory connection, put in the request extensions by the
/// test client in place of hyper's upgrade.
#[derive(Clone, Debug)]
pub struct InMemoryUpgrade(Arc<Mutex<Option<DuplexStream>>>);

impl InMemoryUpgrade {
    pub fn new(server_side: DuplexStream) -> Self {
        Self(Arc::new(Mutex::new(Some(server_side))))
    }

    fn take(&self) -> Option<DuplexStream> {
        self.0.lock().ok().and_then(|mut s| s.take())
    }
}

enum Pending {
    Hyper(hyper::upgrade::OnUpgrade),
    InMemory(DuplexStream),
}

/// A checked upgrade request: the accept key and the connection to take over.
pub struct Handshake {
    accept: HeaderValue,
    pending: Pending,
}

impl std::fmt::Debug for Handshake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handshake").field("accept", &self.accept).finish()
    }
}

fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

fn bad(detail: &str) -> SpikardError {
    SpikardError::BadRequest(format!("Invalid WebSocket upgrade request: {detail}"))
}

impl Handshake {
    /// Check the upgrade headers and take the connection out of the request's extensions.
    pub fn from_request(
        method: &Method,
        headers: &HeaderMap,
        extensions: &mut http::Extensions,
    ) -> Result<Self, SpikardError> {
        if method != Method::GET {
            return Err(bad("the method must be GET"));
        }
        if !has_token(headers, header::CONNECTION, "upgrade") {
            return Err(bad("the Connection header must include 'upgrade'"));
        }
        if !has_token(headers, header::UPGRADE, "websocket") {
            return Err(bad("the Upgrade header must be 'websocket'"));
        }
        if headers.get(header::SEC_WEBSOCKET_VERSION).map(HeaderValue::as_bytes) != Some(b"13") {
            // RFC 6455 section 4.4: the refusal names the version this server speaks.
            let refused = HttpProblem::new(426, "Unsupported WebSocket version: Sec-WebSocket-Version must be 13")
                .header(header::SEC_WEBSOCKET_VERSION.as_str(), "13");
            return Err(refused.into());
        }
        let key = headers
            .get(header::SEC_WEBSOCKET_KEY)
            .ok_or_else(|| bad("the Sec-WebSocket-Key header is missing"))?;
        if !is_valid_key(key.as_bytes()) {
            return Err(bad("Sec-WebSocket-Key must be 16 bytes in base64"));
        }
        let accept = HeaderValue::from_str(&tokio_tungstenite::tungstenite::handshake::derive_accept_key(
            key.as_bytes(),
        ))
        .map_err(|e| SpikardError::Internal(format!("accept key: {e}")))?;
        let pending = if let Some(on) = extensions.remove::<hyper::upgrade::OnUpgrade>() {
            Pending::Hyper(on)
        } else if let Some(duplex) = extensions.get::<InMemoryUpgrade>().and_then(InMemoryUpgrade::take) {
            Pending::InMemory(duplex)
        } else {
            return Err(bad("this connection cannot be upgraded (use HTTP/1.1)"));
        };
        Ok(Self { accept, pending })
    }
}

/// 24 base64 characters encoding 16 bytes: 22 from the alphabet and `==`.
fn is_valid_key(key: &[u8]) -> bool {
    key.len() == 24
        && key.ends_with(b"==")
        && key[..22]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
}

/// Turn the handler's answer into the `101 Switching Protocols` response and start the
/// session once the connection is handed over. Any other answer (a refusal, a hook's
/// early response) goes out unchanged; a session returned by a non-WebSocket route is an error.
pub fn finish(handshake: Option<Handshake>, response: HandlerResponse) -> HandlerResponse {
    let (headers, upgrade) = match response {
        HandlerResponse {
            headers,
            body: ResponseBody::WebSocket(upgrade),
            ..
        } => (headers, upgrade),
        other => return other,
    };
    let Some(handshake) = handshake else {
        return error_response(&SpikardError::Internal(
            "a handler answered with a WebSocket session on a route not registered as a WebSocket route".into(),
        ));
    };
    let mut answer = HandlerResponse::new(StatusCode::SWITCHING_PROTOCOLS, ResponseBody::Empty);
    answer.headers = headers;
    answer
        .headers
        .insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    answer
        .headers
        .insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    answer.headers.insert(header::SEC_WEBSOCKET_ACCEPT, handshake.accept);
    match handshake.pending {
        Pending::Hyper(on_upgrade) => {
            tokio::spawn(async move {
                match on_upgrade.await {
                    Ok(upgraded) => run_session(TokioIo::new(upgraded), *upgrade).await,
                    Err(e) => tracing::warn!(error = %e, "WebSocket upgrade failed"),
                }
            });
        }
        Pending::InMemory(duplex) => {
            tokio::spawn(run_session(duplex, *upgrade));
        }
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn keys_must_be_sixteen_bytes_of_base64() {
        assert!(is_valid_key(b"dGhlIHNhbXBsZSBub25jZQ=="));
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25jZQ="));
        assert!(!is_valid_key(b"dGhlIHNhbXBsZSBub25j*Q=="));
        assert!(!is_valid_key(b""));
    }

    #[test]
    fn connection_tokens_are_matched_in_lists_case_insensitively() {
        let h = headers(&[("connection", "keep-alive, Upgrade")]);
        assert!(has_token(&h, header::CONNECTION, "upgrade"));
        assert!(!has_token(&h, header::CONNECTION, "close"));
    }

    #[test]
    fn a_complete_request_yields_the_accept_key() {
        let h = headers(&[
            ("connection", "upgrade"),
            ("upgrade", "WebSocket"),
            ("sec-websocket-version", "13"),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ]);
        let (_client, server) = tokio::io::duplex(64);
        let mut ext = http::Extensions::new();
        ext.insert(InMemoryUpgrade::new(server));
        let hs = Handshake::from_request(&Method::GET, &h, &mut ext).unwrap();
        // RFC 6455 section 1.3's example.
        assert_eq!(hs.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        // The in-memory connection is taken once.
        assert!(Handshake::from_request(&Method::GET, &h, &mut ext).is_err());
        assert!(Handshake::from_request(&Method::POST, &h, &mut http::Extensions::new()).is_err());
    }
}
