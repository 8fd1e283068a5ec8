//! Each `shapes` operation called through the TestClient with the document's example data.

use shapes::spec;

#[tokio::test]
async fn create_shape() {
    let client = shapes::app().expect("the app builds").test_client();
    let res = spec::send(&client, "createShape").await;
    assert_eq!(res.status, 201, "{}", res.text());
    spec::assert_same_json(&res.json(), &spec::example_value("createShape"));
}
