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

fn app() -> Router {
    Router::new()
        .route("/plaintext", get(plaintext))
        .route("/json", get(get_json))
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

#[tokio::main]
async fn main() {
    let port = match benchmark_harness::port_from_args() {
        Ok(port) => port,
        Err(e) => {
            eprintln!("raw-axum: {e}");
            std::process::exit(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
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
