use std::path::Path;

use serde_json::json;

use super::*;

fn doc(paths: Value, components: Value) -> Value {
    json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": paths, "components": components})
}

#[test]
fn local_schema_refs_stay_and_other_refs_are_inlined() {
    let d = doc(
        json!({"/pets": {"post": {
            "requestBody": {"$ref": "#/components/requestBodies/PetBody"},
            "responses": {"200": {"$ref": "#/components/responses/Pet"}}}}}),
        json!({
            "schemas": {"Pet": {"type": "object", "properties": {"parent": {"$ref": "#/components/schemas/Pet"}}}},
            "requestBodies": {"PetBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}}},
            "responses": {"Pet": {"description": "a pet", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}}}
        }),
    );
    let b = bundle_value(d, Path::new("api.json")).unwrap();
    let op = &b["paths"]["/pets"]["post"];
    assert_eq!(
        op["requestBody"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/Pet"})
    );
    assert_eq!(op["responses"]["200"]["description"], "a pet");
    // The self-reference is kept: cycles between schemas are fine.
    assert_eq!(
        b["components"]["schemas"]["Pet"]["properties"]["parent"],
        json!({"$ref": "#/components/schemas/Pet"})
    );
    assert!(b["components"].get("requestBodies").is_none());
}

#[test]
fn a_pointer_into_a_schema_becomes_a_component_of_its_own() {
    let d = doc(
        json!({"/a": {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Pet/properties/tag"}}}}}}}}),
        json!({"schemas": {"Pet": {"type": "object", "properties": {"tag": {"type": "string"}}}}}),
    );
    let b = bundle_value(d, Path::new("api.json")).unwrap();
    assert_eq!(
        b["paths"]["/a"]["get"]["responses"]["200"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/tag"})
    );
    assert_eq!(b["components"]["schemas"]["tag"], json!({"type": "string"}));
}

#[test]
fn circular_non_schema_refs_are_an_error_at_their_pointer() {
    let d = doc(
        json!({"/a": {"$ref": "#/paths/~1b"}, "/b": {"$ref": "#/paths/~1a"}}),
        json!({}),
    );
    let err = bundle_value(d, Path::new("api.json")).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("api.json#/paths/~1"), "{text}");
    assert!(text.contains("circular $ref"), "{text}");
    assert_eq!(err.exit_code(), 2);
}

#[test]
fn missing_targets_name_the_ref() {
    let d = doc(
        json!({"/a": {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Nope"}}}}}}}}),
        json!({}),
    );
    let text = bundle_value(d, Path::new("api.json")).unwrap_err().to_string();
    assert!(
        text.contains("#/paths/~1a/get/responses/200/content/application~1json/schema/$ref"),
        "{text}"
    );
    assert!(text.contains("points to nothing"), "{text}");
}

#[test]
fn other_files_are_bundled_and_colliding_names_numbered() {
    let dir = std::env::temp_dir().join(format!("spikard-codegen-resolve-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("schemas")).unwrap();
    std::fs::write(
        dir.join("api.yaml"),
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /pets:\n    get:\n      parameters:\n        - $ref: 'params.yaml#/limit'\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: 'schemas/pet.yaml#/Pet'}\n        default:\n          description: error\n          content:\n            application/json:\n              schema: {$ref: 'schemas/../api.yaml#/components/schemas/Pet'}\ncomponents:\n  schemas:\n    Pet: {type: string}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("params.yaml"),
        "limit: {name: limit, in: query, schema: {type: integer, maximum: 100}}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("schemas/pet.yaml"),
        "Pet:\n  type: object\n  properties:\n    owner: {$ref: 'owner.json'}\n    friends: {type: array, items: {$ref: '#/Pet'}}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("schemas/owner.json"),
        r#"{"type": "object", "properties": {"name": {"type": "string"}}}"#,
    )
    .unwrap();
    let b = bundle(&dir.join("api.yaml")).unwrap();
    let op = &b["paths"]["/pets"]["get"];
    assert_eq!(
        op["parameters"][0]["schema"],
        json!({"type": "integer", "maximum": 100})
    );
    assert_eq!(
        op["responses"]["200"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/Pet2"})
    );
    // A reference back into the root document names the root's component.
    assert_eq!(
        op["responses"]["default"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/Pet"})
    );
    let schemas = b["components"]["schemas"].as_object().unwrap();
    assert_eq!(schemas.keys().collect::<Vec<_>>(), ["Pet", "Pet2", "owner"]);
    assert_eq!(
        schemas["Pet2"]["properties"]["friends"]["items"],
        json!({"$ref": "#/components/schemas/Pet2"})
    );
    assert_eq!(schemas["owner"]["properties"]["name"], json!({"type": "string"}));
    std::fs::remove_dir_all(&dir).unwrap();
}
