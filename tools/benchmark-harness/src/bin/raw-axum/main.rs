//! Contestant `raw-axum`: plain axum 0.8 doing by hand what a Spikard route does (typed path,
//! query and form parsing, JSON body parsing and validation with 422 on bad input, JSON
//! serialisation of the answer), for every workload in `workload.rs`. The ceiling the other
//! contestants are compared with.

mod bodies;
mod params;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;

pub(crate) fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (status, [(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

pub(crate) fn unprocessable(detail: &str) -> Response {
    json_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        &serde_json::json!({"status": 422, "detail": detail}),
    )
}

async fn plaintext() -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "Hello, World!").into_response()
}

async fn get_json() -> Response {
    json_response(
        StatusCode::OK,
        &serde_json::json!({"message": "hello", "id": 1, "ok": true}),
    )
}

/// A blocking call (a database driver, an HTTP client) as tokio runs one: on its blocking pool.
async fn sleep() -> Response {
    let _ = tokio::task::spawn_blocking(|| std::thread::sleep(std::time::Duration::from_millis(5))).await;
    json_response(StatusCode::OK, &serde_json::json!({"slept": true}))
}

fn app() -> Router {
    Router::new()
        .route("/plaintext", get(plaintext))
        .route("/json", get(get_json))
        .route("/sleep", get(sleep))
        .route("/echo/validated", post(bodies::echo_validated))
        .route("/echo/raw", post(bodies::echo_raw))
        .route("/items/{id}", post(bodies::post_item))
        .route("/form", post(bodies::form))
        .route("/upload", post(bodies::upload))
        .route("/path/one/{name}", get(params::path_one))
        .route("/path/several/{org}/{repo}/{branch}", get(params::path_several))
        .route("/path/int/{id}", get(params::path_int))
        .route("/path/uuid/{id}", get(params::path_uuid))
        .route("/path/date/{day}", get(params::path_date))
        .route("/query/few", get(params::query_few))
        .route("/query/many", get(params::query_many))
}

/// The listening socket, with `TCP_NODELAY` set on it: every accepted connection inherits it
/// (Spikard's server sets it on each accepted connection), so no response waits for Nagle.
fn listener(port: u16) -> std::io::Result<tokio::net::TcpListener> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    // As `TcpListener::bind` does.
    socket.set_reuseaddr(true)?;
    socket.set_nodelay(true)?;
    socket.bind(([127, 0, 0, 1], port).into())?;
    socket.listen(1024)
}

#[tokio::main]
async fn main() {
    let port = match benchmark_harness::port_from_args() {
        Ok(port) => port,
        Err(e) => {
            eprintln!("raw-axum: {e}");
            std::process::exit(2);
        }
    };
    let listener = match listener(port) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("raw-axum: cannot bind 127.0.0.1:{port}: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = axum::serve(listener, app()).await {
        eprintln!("raw-axum: server error: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use benchmark_harness::check::Checker;
    use benchmark_harness::workload;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn send(
        method: &axum::http::Method,
        path: &str,
        ct: Option<&String>,
        body: Option<&axum::body::Bytes>,
    ) -> (StatusCode, axum::body::Bytes) {
        let mut req = Request::builder().method(method.clone()).uri(path);
        if let Some(ct) = ct {
            req = req.header(header::CONTENT_TYPE, ct.as_str());
        }
        let req = req.body(Body::from(body.cloned().unwrap_or_default())).unwrap();
        let res = app().oneshot(req).await.unwrap();
        let status = res.status();
        (status, res.into_body().collect().await.unwrap().to_bytes())
    }

    /// Every workload's request (and its negative checks) through the router.
    #[tokio::test]
    async fn every_workload_is_answered_correctly() {
        for w in workload::all() {
            let (status, body) = send(&w.method, &w.path, w.content_type.as_ref(), w.body.as_ref()).await;
            Checker::new(&w)
                .check(status, &body)
                .unwrap_or_else(|e| panic!("{}: {e}", w.name));
            for n in &w.negative {
                let (status, _) = send(&n.method, &n.path, n.content_type.as_ref(), n.body.as_ref()).await;
                assert_eq!(
                    status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "{} / {}",
                    w.name,
                    n.description
                );
            }
        }
    }

    #[tokio::test]
    async fn accepted_connections_have_tcp_nodelay() {
        let l = listener(0).unwrap();
        let _client = tokio::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (accepted, _) = l.accept().await.unwrap();
        assert!(accepted.nodelay().unwrap(), "inherited from the listening socket");
    }

    #[test]
    fn bytes_are_found_where_a_plain_scan_finds_them() {
        let hay: Vec<u8> = (0..200u32).map(|i| (i * 37 % 251) as u8).collect();
        for from in [0, 1, 7, 8, 9, 100, 199, 200, 201] {
            for byte in [0u8, 1, 13, 37, 200, 250, 255] {
                let plain = hay
                    .get(from..)
                    .and_then(|h| h.iter().position(|&b| b == byte))
                    .map(|p| from + p);
                assert_eq!(bodies::find_byte(&hay, byte, from), plain, "byte {byte} from {from}");
            }
        }
        // Several candidates in one word: the first one wins.
        assert_eq!(bodies::find_byte(b"ab\r\r\rcdefgh", b'\r', 0), Some(2));
        assert_eq!(bodies::find_byte(b"\x01\x00\x00\x00\x00\x00\x00\x00", 0, 0), Some(1));
    }

    #[test]
    fn dates_are_calendar_days() {
        assert!(params::is_date("2024-02-29") && params::is_date("2023-12-31"));
        assert!(!params::is_date("2023-02-29") && !params::is_date("2023-13-01") && !params::is_date("2023-1-01"));
    }
}
