//! Generated OpenAPI documents validate against the official OpenAPI 3.1 JSON Schema
//! (vendored in `tests/data/oas-3.1-schema.json`), for several realistic apps.

use serde_json::{json, Value};
use spikard_core::config::{ApiKeyConfig, JwtConfig, OpenApiConfig};
use spikard_core::openapi::{openapi_document, ResponseDoc, RouteDoc};

fn oas_validator() -> jsonschema::Validator {
    let text = include_str!("data/oas-3.1-schema.json");
    let schema: Value = serde_json::from_str(text).expect("vendored schema is JSON");
    jsonschema::validator_for(&schema).expect("the OAS 3.1 schema compiles")
}

fn assert_valid(doc: &Value) {
    let validator = oas_validator();
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid OpenAPI document: {errors:#?}\n{doc:#}");
}

fn item_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Item", "type": "object", "required": ["name", "price"],
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "price": {"type": "number", "exclusiveMinimum": 0},
            "tags": {"type": "array", "items": {"type": "string"}},
            "category": {"$ref": "#/$defs/Category"},
            "children": {"type": "array", "items": {"$ref": "#"}}
        },
        "$defs": {"Category": {"type": "string", "enum": ["food", "tools"]}}
    })
}

fn shop_app() -> Vec<RouteDoc> {
    let mut list = RouteDoc::new("GET", "/items");
    list.doc.tags = vec!["items".into()];
    list.query.insert(
        "limit".into(),
        json!({"type": "integer", "default": 20, "minimum": 1, "maximum": 100}),
    );
    list.query
        .insert("q".into(), json!({"type": "string", "optional": true}));
    list.query.insert(
        "ids".into(),
        json!({"type": "array", "items": {"type": "integer"}, "separator": ",", "optional": true}),
    );
    // As schemars writes `Vec<Item>`: the element type under `$defs`.
    list.doc.response_schema = Some(json!({
        "type": "array", "items": {"$ref": "#/$defs/Item"},
        "$defs": {
            "Item": {"title": "Item", "type": "object", "required": ["name", "price"], "properties": {
                "name": {"type": "string", "minLength": 1},
                "price": {"type": "number", "exclusiveMinimum": 0},
                "tags": {"type": "array", "items": {"type": "string"}},
                "category": {"$ref": "#/$defs/Category"},
                "children": {"type": "array", "items": {"$ref": "#/$defs/Item"}}
            }},
            "Category": {"type": "string", "enum": ["food", "tools"]}
        }
    }));

    let mut create = RouteDoc::new("POST", "/items");
    create.doc.tags = vec!["items".into()];
    create.body_schema = Some(item_schema());
    create.doc.responses.insert(
        "201".into(),
        ResponseDoc {
            description: Some("Created".into()),
            schema: Some(item_schema()),
            content_type: None,
        },
    );

    let mut get = RouteDoc::new("GET", "/items/{id:int}");
    get.path_params
        .insert("id".into(), json!({"type": "integer", "minimum": 1}));
    get.headers
        .insert("If-None-Match".into(), json!({"type": "string", "optional": true}));
    get.cookies
        .insert("session".into(), json!({"type": "string", "optional": true}));
    get.doc.responses.insert(
        "404".into(),
        ResponseDoc {
            description: Some("Not found".into()),
            schema: Some(json!({"type": "object"})),
            content_type: Some("application/problem+json".into()),
        },
    );

    let mut upload = RouteDoc::new("PUT", "/items/{id:uuid}/image");
    upload.files.insert(
        "image".into(),
        json!({"required": true, "content_type": ["image/png", "image/jpeg"]}),
    );
    upload.body_schema = Some(json!({"type": "object", "properties": {"caption": {"type": "string"}}}));

    let mut login = RouteDoc::new("POST", "/login");
    login.content_type = Some("application/x-www-form-urlencoded".into());
    login.body_schema = Some(json!({"type": "object", "required": ["user", "password"],
        "properties": {"user": {"type": "string"}, "password": {"type": "string", "format": "password"}}}));

    let mut me = RouteDoc::new("GET", "/me");
    me.jwt_auth = Some(JwtConfig::default());
    me.rate_limit = true;
    me.request_timeout = true;
    me.doc.responses.insert(
        "404".into(),
        ResponseDoc {
            description: Some("No profile yet".into()),
            ..Default::default()
        },
    );
    let mut admin = RouteDoc::new("DELETE", "/admin/{rest:path}");
    admin.api_key_auth = Some(ApiKeyConfig {
        query_param: Some("api_key".into()),
        ..Default::default()
    });
    admin.doc.deprecated = true;
    let root = RouteDoc::new("HEAD", "/");
    vec![list, create, get, upload, login, me, admin, root]
}

#[test]
fn the_vendored_schema_rejects_invalid_documents() {
    let validator = oas_validator();
    assert!(!validator.is_valid(&json!({"openapi": "3.1.0"})), "info is required");
    let bad_param = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "paths": {"/a": {"get": {"parameters": [{"name": "x", "in": "body"}], "responses": {}}}}});
    assert!(!validator.is_valid(&bad_param));
    let good = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}});
    assert!(validator.is_valid(&good));
}

#[test]
fn an_empty_app_is_valid() {
    assert_valid(&openapi_document(&OpenApiConfig::default(), &[]));
}

#[test]
fn a_shop_app_is_valid() {
    let config = OpenApiConfig {
        title: "Shop".into(),
        description: Some("Items, uploads and logins".into()),
        ..Default::default()
    };
    let doc = openapi_document(&config, &shop_app());
    assert_valid(&doc);
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    assert!(schemas.contains_key("Item") && schemas.contains_key("Category"));
    // The array's element and the body are the same type: one component.
    assert!(!schemas.contains_key("Item2"), "{:#}", doc["components"]["schemas"]);
    assert_eq!(
        doc["paths"]["/items"]["get"]["responses"]["200"]["content"]["application/json"]["schema"],
        json!({"type": "array", "items": {"$ref": "#/components/schemas/Item"}})
    );
    assert_eq!(
        doc["components"]["schemas"]["Item"]["properties"]["children"]["items"],
        json!({"$ref": "#/components/schemas/Item"})
    );
    assert!(
        doc.to_string().find("#/$defs").is_none(),
        "no $defs reference is left behind"
    );
}

#[test]
fn an_app_of_every_parameter_shape_is_valid() {
    let mut routes = Vec::new();
    for (i, schema) in [
        json!({"type": "string", "format": "date"}),
        json!({"anyOf": [{"type": "integer"}, {"type": "null"}], "default": null}),
        json!({"enum": ["a", "b"], "optional": true}),
        json!({"type": "boolean", "required": false}),
        json!({"type": "array", "items": {"type": "number"}, "separator": "|", "minItems": 1}),
        json!({"type": "string", "pattern": "^[a-z]+$", "maxLength": 8, "deprecated": true}),
    ]
    .into_iter()
    .enumerate()
    {
        let mut r = RouteDoc::new("GET", &format!("/p{i}/{{v:float}}"));
        r.query.insert("x".into(), schema.clone());
        r.headers.insert("X-H".into(), schema.clone());
        r.cookies.insert("c".into(), schema);
        routes.push(r);
    }
    let doc = openapi_document(&OpenApiConfig::default(), &routes);
    assert_valid(&doc);
    assert_eq!(
        doc["paths"]["/p4/{v}"]["get"]["parameters"][1]["style"],
        "pipeDelimited"
    );
}
