//! The app through Spikard's in-memory TestClient (the real pipeline, no socket).

#[tokio::test]
async fn hello() {
    let client = hello::app().expect("the app builds").test_client();
    let res = client.get("/hello/Ada").send().await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json(), serde_json::json!({"message": "Hello, Ada!"}));
}
