//! Each `trees` operation called through the TestClient with the document's example data.

use shapes::spec;

#[tokio::test]
async fn get_tree() {
    let client = shapes::app().expect("the app builds").test_client();
    let res = spec::send(&client, "getTree").await;
    assert_eq!(res.status, 200, "{}", res.text());
    spec::assert_same_json(&res.json(), &spec::example_value("getTree"));
}

#[tokio::test]
async fn class() {
    let client = shapes::app().expect("the app builds").test_client();
    let res = spec::send(&client, "class").await;
    assert_eq!(res.status, 204, "{}", res.text());
    assert!(res.body.is_empty());
}
