//! Each `pets` operation called through the TestClient with the document's example data.

use petstore::spec;

#[tokio::test]
async fn list_pets() {
    let client = petstore::app().expect("the app builds").test_client();
    let res = spec::send(&client, "listPets").await;
    assert_eq!(res.status, 200, "{}", res.text());
    spec::assert_same_json(&res.json(), &spec::example_value("listPets"));
}

#[tokio::test]
async fn create_pet() {
    let client = petstore::app().expect("the app builds").test_client();
    let res = spec::send(&client, "createPet").await;
    assert_eq!(res.status, 201, "{}", res.text());
    spec::assert_same_json(&res.json(), &spec::example_value("createPet"));
}

#[tokio::test]
async fn show_pet_by_id() {
    let client = petstore::app().expect("the app builds").test_client();
    let res = spec::send(&client, "showPetById").await;
    assert_eq!(res.status, 200, "{}", res.text());
    spec::assert_same_json(&res.json(), &spec::example_value("showPetById"));
}
