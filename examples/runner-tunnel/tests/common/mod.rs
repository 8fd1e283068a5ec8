//! Helpers shared by the integration tests: the demo app in memory, and requests the way
//! the Runner clients send them.
#![allow(dead_code)]

use runner_tunnel::{demo, mount, Auth, Registry, TunnelConfig};
use spikard::{App, TestClient, TestResponse};

pub const TOKEN: &str = "test-token";

pub fn config() -> TunnelConfig {
    TunnelConfig::new(Auth::token(TOKEN), demo::exposure())
}

pub fn client_with(registry: Registry, config: TunnelConfig) -> TestClient {
    let mut app = App::new();
    mount(&mut app, registry, config).expect("mount");
    app.test_client()
}

pub fn client() -> TestClient {
    client_with(demo::registry(), config())
}

/// A JSON call as `createHttpClient` sends it: the serializer's text, the token header.
pub async fn call(client: &TestClient, path: &str, body: &str) -> TestResponse {
    client
        .post(&format!("/__runner{path}"))
        .header("content-type", "application/json; charset=utf-8")
        .header("x-runner-token", TOKEN)
        .body(body.to_owned())
        .send()
        .await
}

/// A multipart body as the Node smart client encodes it: the manifest, then files.
pub fn multipart(manifest: &str, files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "runner-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"__manifest\"\r\n\r\n{manifest}\r\n").as_bytes(),
    );
    for (id, name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file:{id}\"; filename=\"{name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
