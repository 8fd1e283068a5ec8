//! The body modes through Spikard's in-memory client: multipart (files streamed to the
//! task, limits, missing parts) and octet-stream (raw body in, a stream out).

mod common;

use common::{client, client_with, config, multipart, TOKEN};
use futures_util::StreamExt;
use runner_tunnel::{Exposure, Input, Output, Registry, TaskError, Value};
use spikard::TestClient;

async fn send_multipart(
    c: &TestClient,
    task: &str,
    manifest: &str,
    files: &[(&str, &str, &[u8])],
) -> spikard::TestResponse {
    let (content_type, body) = multipart(manifest, files);
    c.post(&format!("/__runner/task/{task}"))
        .header("x-runner-token", TOKEN)
        .header("content-type", &content_type)
        .body(body)
        .send()
        .await
}

const TWO_FILES: &str = r#"{"input":{"note":{"__type":"Date","value":"1970-01-01T00:00:00.001Z"},"files":[
    {"$runnerFile":"File","id":"F1","meta":{"name":"a.txt","type":"text/plain"}},
    {"$runnerFile":"File","id":"F2","meta":{"name":"b.bin"}}]}}"#;

#[tokio::test]
async fn multipart_files_reach_the_task_with_their_meta() {
    let c = client();
    let big = vec![7u8; 300_000];
    let res = send_multipart(
        &c,
        "app.tasks.upload",
        TWO_FILES,
        &[("F1", "a.txt", b"hello"), ("F2", "b.bin", &big)],
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let body = res.json();
    assert_eq!(
        body["result"]["note"],
        serde_json::json!({"__type": "Date", "value": "1970-01-01T00:00:00.001Z"})
    );
    let files = &body["result"]["files"];
    assert_eq!(files[0]["name"], "a.txt");
    assert_eq!(files[0]["type"], "text/plain");
    assert_eq!(files[0]["size"], 5);
    assert_eq!(
        files[0]["sha256"],
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    );
    assert_eq!(files[1]["size"], 300_000);
    assert_eq!(
        files[1]["type"],
        serde_json::json!({"__type": "Undefined", "value": null})
    );
}

#[tokio::test]
async fn a_file_the_manifest_names_but_the_body_lacks_is_an_error() {
    let c = client();
    let res = send_multipart(&c, "app.tasks.upload", TWO_FILES, &[("F1", "a.txt", b"hello")]).await;
    assert_eq!(res.status, 500);
    assert_eq!(
        res.text(),
        r#"{"ok":false,"error":{"message":"Internal Error","code":"MISSING_FILE_PART"}}"#
    );
}

#[tokio::test]
async fn malformed_multipart_calls_are_refused_with_their_codes() {
    let c = client();
    let res = send_multipart(&c, "app.tasks.upload", "{not json", &[]).await;
    assert_eq!(
        (res.status, res.json()["error"]["code"].as_str()),
        (400, Some("INVALID_MULTIPART"))
    );
    let res = send_multipart(&c, "app.tasks.upload", "42", &[]).await;
    assert_eq!(
        (res.status, res.json()["error"]["code"].as_str()),
        (400, Some("MISSING_MANIFEST"))
    );
    let res = c
        .post("/__runner/task/app.tasks.upload")
        .header("x-runner-token", TOKEN)
        .header("content-type", "multipart/form-data")
        .body("x")
        .send()
        .await;
    assert_eq!(
        (res.status, res.json()["error"]["code"].as_str()),
        (400, Some("INVALID_MULTIPART"))
    );
}

#[tokio::test]
async fn multipart_limits_answer_413() {
    let mut cfg = config();
    cfg.multipart.file_size = 10;
    cfg.multipart.files = 1;
    let c = client_with(runner_tunnel::demo::registry(), cfg);
    let res = send_multipart(&c, "app.tasks.upload", TWO_FILES, &[]).await;
    assert_eq!(
        (res.status, res.text().as_str()),
        (
            413,
            r#"{"ok":false,"error":{"message":"Files limit exceeded","code":"PAYLOAD_TOO_LARGE"}}"#
        )
    );
    let one = r#"{"input":{"files":[{"$runnerFile":"File","id":"F1"}]}}"#;
    let res = send_multipart(&c, "app.tasks.upload", one, &[("F1", "a", &[1u8; 11])]).await;
    assert_eq!(
        (res.status, res.text().as_str()),
        (
            413,
            r#"{"ok":false,"error":{"message":"File size limit exceeded","code":"PAYLOAD_TOO_LARGE"}}"#
        )
    );
}

#[tokio::test]
async fn a_task_that_skips_its_files_still_finishes() {
    let mut registry = Registry::new();
    registry.task("app.tasks.ignore", |input: Input, _| async move {
        Ok(Output::from(Value::from(input.files.len() as f64)))
    });
    let c = client_with(
        registry,
        runner_tunnel::TunnelConfig::new(runner_tunnel::Auth::token(TOKEN), Exposure::Open),
    );
    let big = vec![1u8; 2_000_000];
    let res = send_multipart(
        &c,
        "app.tasks.ignore",
        TWO_FILES,
        &[("F1", "a", &big), ("F2", "b", &big)],
    )
    .await;
    assert_eq!(res.text(), r#"{"ok":true,"result":2}"#);
}

#[tokio::test]
async fn octet_stream_in_and_a_stream_out() {
    let c = client();
    let res = c
        .post("/__runner/task/app.tasks.upper")
        .header("x-runner-token", TOKEN)
        .header("content-type", "application/octet-stream")
        .body("hello, world")
        .send()
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("application/octet-stream"));
    assert_eq!(res.text(), "HELLO, WORLD");
    let res = c
        .post("/__runner/task/app.tasks.count")
        .header("x-runner-token", TOKEN)
        .header("content-type", "application/octet-stream")
        .body(vec![b'x'; 1_000_000])
        .send()
        .await;
    assert_eq!(res.json()["result"]["bytes"], 1_000_000);
}

#[tokio::test]
async fn an_octet_stream_task_gets_the_raw_body_and_an_undefined_input() {
    let mut registry = Registry::new();
    registry.task("app.tasks.chunks", |input: Input, _| async move {
        let mut body = input.raw.ok_or_else(|| TaskError::invalid_input("a body"))?;
        let mut chunks = 0.0;
        while let Some(chunk) = body.next().await {
            chunk.map_err(|e| TaskError::internal(e.to_string()))?;
            chunks += 1.0;
        }
        Ok(Output::from(Value::object([
            ("chunks", Value::from(chunks)),
            ("input", input.value),
        ])))
    });
    let c = client_with(
        registry,
        runner_tunnel::TunnelConfig::new(runner_tunnel::Auth::Anonymous, Exposure::Open),
    );
    let res = c
        .post("/__runner/task/app.tasks.chunks")
        .header("content-type", "application/octet-stream")
        .body("abc")
        .send()
        .await;
    assert_eq!(
        res.text(),
        r#"{"ok":true,"result":{"chunks":1,"input":{"__type":"Undefined","value":null}}}"#
    );
}
