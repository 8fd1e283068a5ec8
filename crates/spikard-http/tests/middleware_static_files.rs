//! Static file mounts on a real directory: traversal in every spelling is
//! refused with the exact 403 problem, symlink escapes with the 404 of a missing
//! file; files, ranges and conditional requests are served.

mod common;

use std::path::PathBuf;

use common::{arc, spec, Echo};
use serde_json::json;
use spikard_core::config::{ServerConfig, StaticFilesConfig};
use spikard_http::{PipelineBuilder, TestClient};

/// `<tmp>/root/public/{hello.txt, sub/index.html, inside -> hello.txt, escape -> ../secret.txt}` and `<tmp>/root/secret.txt`.
fn tree(name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("spikard-static-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let public = root.join("public");
    std::fs::create_dir_all(public.join("sub")).unwrap();
    std::fs::write(public.join("hello.txt"), "hello, static world").unwrap();
    std::fs::write(public.join("sub/index.html"), "<p>index</p>").unwrap();
    std::fs::write(root.join("secret.txt"), "TOP SECRET").unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(root.join("secret.txt"), public.join("escape")).unwrap();
        std::os::unix::fs::symlink(public.join("hello.txt"), public.join("inside")).unwrap();
    }
    root
}

fn client(root: &std::path::Path, follow_symlinks: bool) -> TestClient {
    let config = ServerConfig {
        static_files: vec![StaticFilesConfig {
            route_prefix: "/static".into(),
            directory: Some(root.join("public").to_string_lossy().into_owned()),
            cache_control: Some("public, max-age=3600".into()),
            follow_symlinks,
            ..Default::default()
        }],
        ..Default::default()
    };
    let mut b = PipelineBuilder::new(config);
    b.route(spec(json!({"method": "GET", "path": "/static/dynamic"})), arc(Echo))
        .unwrap();
    TestClient::new(b.build().unwrap())
}

async fn assert_traversal_refused(client: &TestClient, uri: &str) {
    let res = client.get(uri).send().await;
    assert_eq!(res.status, 403, "{uri}");
    assert_eq!(res.header("content-type"), Some("application/problem+json"), "{uri}");
    assert_eq!(
        res.json(),
        json!({
            "type": "https://spikard.dev/errors/forbidden",
            "title": "Forbidden",
            "status": 403,
            "detail": "Path traversal is not allowed",
        }),
        "{uri}"
    );
}

async fn assert_refused(client: &TestClient, uri: &str, decoded: &str) {
    let res = client.get(uri).send().await;
    assert_eq!(res.status, 404, "{uri}");
    assert_eq!(res.header("content-type"), Some("application/problem+json"), "{uri}");
    assert_eq!(
        res.json(),
        json!({
            "type": "https://spikard.dev/errors/not-found",
            "title": "Not Found",
            "status": 404,
            "detail": format!("No route matches GET {decoded}"),
        }),
        "{uri}"
    );
    assert!(!res.text().contains("SECRET"));
}

#[tokio::test]
async fn traversal_in_every_spelling_is_refused() {
    let root = tree("traversal");
    let client = client(&root, false);
    assert_traversal_refused(&client, "/static/../secret.txt").await;
    assert_traversal_refused(&client, "/static/%2e%2e/secret.txt").await;
    assert_traversal_refused(&client, "/static/%2E%2E%2Fsecret.txt").await;
    assert_traversal_refused(&client, "/static/sub/..%2F..%2Fsecret.txt").await;
    assert_traversal_refused(&client, "/static/..%5Csecret.txt").await;
    assert_traversal_refused(&client, "/static//etc/passwd").await;
    assert_traversal_refused(&client, "/static/%2Fetc%2Fpasswd").await;
    assert_traversal_refused(&client, "/static/./hello.txt").await;
    let _ = std::fs::remove_dir_all(root);
}

#[cfg(unix)]
#[tokio::test]
async fn symlink_escape_is_refused_unless_allowed() {
    let root = tree("symlink");
    let strict = client(&root, false);
    assert_refused(&strict, "/static/escape", "/static/escape").await;
    let inside = strict.get("/static/inside").send().await;
    assert_eq!((inside.status, inside.text()), (200, "hello, static world".to_owned()));
    let lenient = client(&root, true);
    let res = lenient.get("/static/escape").send().await;
    assert_eq!((res.status, res.text()), (200, "TOP SECRET".to_owned()));
    let _ = std::fs::remove_dir_all(root);
}

#[tokio::test]
async fn files_ranges_and_conditional_requests() {
    let root = tree("serve");
    let client = client(&root, false);
    let res = client.get("/static/hello.txt").send().await;
    assert_eq!(res.status, 200);
    assert_eq!(res.text(), "hello, static world");
    assert_eq!(res.header("content-type"), Some("text/plain"));
    assert_eq!(res.header("cache-control"), Some("public, max-age=3600"));
    assert_eq!(res.header("content-length"), Some("19"));
    let etag = res.header("etag").expect("etag").to_owned();
    let modified = res.header("last-modified").expect("last-modified").to_owned();

    let res = client
        .get("/static/hello.txt")
        .header("if-none-match", &etag)
        .send()
        .await;
    assert_eq!((res.status, res.body.len()), (304, 0));
    let res = client
        .get("/static/hello.txt")
        .header("if-modified-since", &modified)
        .send()
        .await;
    assert_eq!(res.status, 304);

    let res = client
        .get("/static/hello.txt")
        .header("range", "bytes=7-12")
        .send()
        .await;
    assert_eq!((res.status, res.text()), (206, "static".to_owned()));
    assert_eq!(res.header("content-range"), Some("bytes 7-12/19"));
    let res = client
        .get("/static/hello.txt")
        .header("range", "bytes=7-12")
        .header("if-range", "\"stale\"")
        .send()
        .await;
    assert_eq!(res.status, 200, "a stale If-Range gets the whole file");
    let res = client
        .get("/static/hello.txt")
        .header("range", "bytes=50-")
        .send()
        .await;
    assert_eq!(res.status, 416);
    assert_eq!(res.header("content-range"), Some("bytes */19"));

    let res = client.get("/static/sub/").send().await;
    assert_eq!((res.status, res.text()), (200, "<p>index</p>".to_owned()));
    assert_eq!(res.header("content-type"), Some("text/html"));
    // No file: routing continues to the handler, or to a 404.
    assert_eq!(client.get("/static/dynamic").send().await.status, 200);
    assert_eq!(client.get("/static/missing.txt").send().await.status, 404);
    // Only GET and HEAD are served from mounts.
    let res = client.request("HEAD", "/static/hello.txt").send().await;
    assert_eq!((res.status, res.body.len()), (200, 0));
    assert_eq!(res.header("content-length"), Some("19"));
    assert_eq!(client.post("/static/hello.txt").send().await.status, 404);
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn a_missing_directory_is_refused_at_build() {
    let config = ServerConfig {
        static_files: vec![StaticFilesConfig {
            directory: Some("/definitely/not/here".into()),
            ..Default::default()
        }],
        ..Default::default()
    };
    let err = PipelineBuilder::new(config).build().err().expect("refused");
    assert_eq!(
        err.to_string(),
        "static_files: directory '/definitely/not/here' does not exist"
    );
}
