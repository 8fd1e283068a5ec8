use std::path::Path;

use serde_json::json;

use super::*;

fn api(doc: Value) -> Result<Api> {
    Api::from_document(doc, Path::new("api.json"))
}

#[test]
fn nullable_30_and_type_null_31_give_the_same_model() {
    let op = |schema: Value, version: &str| {
        json!({"openapi": version, "info": {"title": "t", "version": "1"}, "paths": {"/a": {"post": {
            "requestBody": {"required": true, "content": {"application/json": {"schema": schema}}},
            "responses": {"201": {"description": "ok"}}}}}})
    };
    let a = api(op(json!({"type": "string", "nullable": true}), "3.0.3")).unwrap();
    let b = api(op(json!({"type": ["string", "null"]}), "3.1.0")).unwrap();
    assert_eq!(a.operations[0].body, b.operations[0].body);
    assert_eq!(a.operations[0].success_status(), 201);
}

#[test]
fn parameters_merge_and_paths_get_typed_segments() {
    let a = api(
        json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/pets/{petId}": {
        "parameters": [{"name": "petId", "in": "path", "required": true, "schema": {"type": "string"}},
                       {"name": "limit", "in": "query", "schema": {"type": "integer"}}],
        "get": {"parameters": [{"name": "petId", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "ok"}}},
        "delete": {"operationId": "drop", "responses": {"204": {"description": "gone"}}}}}}),
    )
    .unwrap();
    let get = &a.operations[0];
    assert_eq!(get.id, "get_pets_petId");
    assert!(!get.explicit_id);
    assert_eq!(get.pattern, "/pets/{petId:int}");
    assert_eq!(get.params.len(), 2);
    assert_eq!(a.operations[1].id, "drop");
    assert_eq!(a.operations[1].method, "DELETE");
}

#[test]
fn invalid_documents_are_reported_at_their_pointer() {
    let cases = [
        (json!({"swagger": "2.0"}), "#/swagger", "Swagger 2.0"),
        (
            json!({"openapi": "4.0.0", "info": {"title": "t", "version": "1"}}),
            "#/openapi",
            "unsupported",
        ),
        (
            json!({"openapi": "3.1.0", "info": {"title": "t"}}),
            "#/info/version",
            "must be a string",
        ),
        (
            json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/a/{id}": {"get": {
                "parameters": [{"name": "id", "in": "path", "schema": {"type": "integer"}}], "responses": {}}}}}),
            "#/paths/~1a~1{id}/get/parameters/0/required",
            "required: true",
        ),
        (
            json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"get": {
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "text"}}}}}}}}}),
            "#/paths/~1a/get/responses/200/content/application~1json/schema/type",
            "unknown schema type",
        ),
        (
            json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/a/{id}": {"get": {
                "responses": {}}}}}),
            "#/paths/~1a~1{id}/get",
            "not declared",
        ),
    ];
    for (doc, pointer, message) in cases {
        let err = api(doc).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(&format!("api.json{pointer}:")), "{text} lacks {pointer}");
        assert!(text.contains(message), "{text} lacks {message}");
        assert_eq!(err.exit_code(), 2);
    }
}

#[test]
fn schemas_that_do_not_compile_are_reported_at_their_pointer() {
    let err = api(json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "components": {"schemas": {"Code": {"type": "string", "pattern": "^(?:{[0-9]{4}})$"}}}}))
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("api.json#/components/schemas/Code: the schema does not compile"),
        "{text}"
    );
    assert_eq!(err.exit_code(), 2);
}
