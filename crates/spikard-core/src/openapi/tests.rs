//! Generator tests: parameters, bodies, responses, `$defs` hoisting, security, ids.

use serde_json::{json, Value};

use super::*;
use crate::config::{ApiKeyConfig, JwtConfig};

fn doc(routes: &[RouteDoc]) -> Value {
    openapi_document(&OpenApiConfig::default(), routes)
}

#[test]
fn typed_segments_and_parameters_of_every_source() {
    let mut r = RouteDoc::new("get", "/items/{id:int}/files/{rest:path}");
    r.path_params
        .insert("id".into(), json!({"type": "integer", "minimum": 1}));
    r.query.insert(
        "limit".into(),
        json!({"type": "integer", "default": 10, "maximum": 100}),
    );
    r.query.insert(
        "q".into(),
        json!({"type": "string", "minLength": 3, "description": "Search text"}),
    );
    r.query.insert(
        "tags".into(),
        json!({"type": "array", "items": {"type": "string"}, "separator": ",", "optional": true}),
    );
    r.headers
        .insert("X-Token".into(), json!({"type": "string", "annotation": "str"}));
    r.cookies
        .insert("session".into(), json!({"type": "string", "optional": true}));
    let d = doc(&[r]);
    let op = &d["paths"]["/items/{id}/files/{rest}"]["get"];
    assert_eq!(
        op["parameters"],
        json!([
            {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1, "format": "int64"}},
            {"name": "rest", "in": "path", "required": true, "description": "The rest of the path; may contain `/`.",
             "schema": {"type": "string"}},
            {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "default": 10, "maximum": 100, "format": "int64"}},
            {"name": "q", "in": "query", "required": true, "description": "Search text",
             "schema": {"type": "string", "minLength": 3, "description": "Search text"}},
            {"name": "tags", "in": "query", "required": false, "style": "form", "explode": false,
             "schema": {"type": "array", "items": {"type": "string"}}},
            {"name": "X-Token", "in": "header", "required": true, "schema": {"type": "string"}},
            {"name": "session", "in": "cookie", "required": false, "schema": {"type": "string"}}
        ])
    );
    assert_eq!(op["operationId"], "get_items_id_files_rest");
    assert_eq!(
        op["responses"]["422"],
        json!({"$ref": "#/components/responses/ValidationProblem"})
    );
    assert_eq!(
        d["components"]["responses"]["ValidationProblem"]["content"]["application/problem+json"]["schema"],
        json!({"$ref": "#/components/schemas/ValidationProblem"})
    );
    assert_eq!(
        d["components"]["schemas"]["ValidationError"]["required"],
        json!(["type", "loc", "msg"])
    );
    assert_eq!(
        d["components"]["schemas"]["ProblemDetails"]["required"],
        json!(["type", "title", "status"])
    );
}

#[test]
fn uuid_and_date_segments_get_formats() {
    let d = doc(&[RouteDoc::new("GET", "/a/{u:uuid}/{d:date}/{t:datetime}/{f:float}")]);
    let params = &d["paths"]["/a/{u}/{d}/{t}/{f}"]["get"]["parameters"];
    assert_eq!(params[0]["schema"], json!({"type": "string", "format": "uuid"}));
    assert_eq!(params[1]["schema"], json!({"type": "string", "format": "date"}));
    assert_eq!(params[2]["schema"], json!({"type": "string", "format": "date-time"}));
    assert_eq!(params[3]["schema"], json!({"type": "number"}));
}

#[test]
fn a_route_without_inputs_has_the_success_and_bad_request_responses() {
    // Any request may carry a malformed query string or Content-Length: 400 is always possible.
    let d = doc(&[RouteDoc::new("GET", "/health")]);
    assert_eq!(
        d["paths"]["/health"]["get"],
        json!({"responses": {
            "200": {"description": "Successful Response"},
            "400": {"$ref": "#/components/responses/BadRequest"}
        }, "operationId": "get_health"})
    );
    assert_eq!(
        d["components"]["responses"]["BadRequest"]["content"]["application/problem+json"]["schema"],
        json!({"$ref": "#/components/schemas/ProblemDetails"})
    );
    assert!(d["components"]["schemas"].get("ValidationProblem").is_none());
}

#[test]
fn the_declared_success_status_is_documented_and_204_has_no_content() {
    let mut create = RouteDoc::new("POST", "/items");
    create.success_status = Some(201);
    create.body_schema = Some(json!({"type": "object"}));
    create.doc.response_schema = Some(json!({"type": "object", "properties": {"id": {"type": "integer"}}}));
    let mut remove = RouteDoc::new("DELETE", "/items/{id:int}");
    remove.success_status = Some(204);
    remove.doc.response_schema = Some(json!({"type": "object"}));
    let d = doc(&[create, remove]);
    let responses = &d["paths"]["/items"]["post"]["responses"];
    assert_eq!(
        responses,
        &json!({
            "201": {"description": "Created", "content": {"application/json": {"schema":
                {"type": "object", "properties": {"id": {"type": "integer"}}}}}},
            "400": {"$ref": "#/components/responses/BadRequest"},
            "408": {"$ref": "#/components/responses/RequestTimeout"},
            "413": {"$ref": "#/components/responses/PayloadTooLarge"},
            "415": {"$ref": "#/components/responses/UnsupportedMediaType"},
            "422": {"$ref": "#/components/responses/ValidationProblem"}
        })
    );
    let keys: Vec<&String> = responses.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["201", "400", "408", "413", "415", "422"], "statuses in order");
    assert_eq!(
        d["paths"]["/items/{id}"]["delete"]["responses"]["204"],
        json!({"description": "No Content"})
    );
    for name in [
        "BadRequest",
        "RequestTimeout",
        "PayloadTooLarge",
        "UnsupportedMediaType",
    ] {
        let r = &d["components"]["responses"][name];
        assert_eq!(
            r["content"]["application/problem+json"]["schema"],
            json!({"$ref": "#/components/schemas/ProblemDetails"}),
            "{name}"
        );
        assert!(r["description"].is_string(), "{name}");
    }
}

#[test]
fn declared_errors_are_problems_and_rate_limits_and_timeouts_are_documented() {
    let mut r = RouteDoc::new("GET", "/items/{id:int}");
    r.doc.responses.insert(
        "404".into(),
        ResponseDoc {
            description: Some("No such item".into()),
            ..Default::default()
        },
    );
    r.rate_limit = true;
    r.request_timeout = true;
    let d = doc(&[r]);
    let responses = &d["paths"]["/items/{id}"]["get"]["responses"];
    assert_eq!(
        responses["404"],
        json!({"description": "No such item", "content": {"application/problem+json": {
            "schema": {"$ref": "#/components/schemas/ProblemDetails"}}}})
    );
    assert_eq!(
        responses["408"],
        json!({"$ref": "#/components/responses/RequestTimeout"})
    );
    assert_eq!(
        responses["429"],
        json!({"$ref": "#/components/responses/TooManyRequests"})
    );
    assert!(responses.get("413").is_none() && responses.get("415").is_none());
    assert_eq!(
        d["components"]["responses"]["TooManyRequests"]["headers"]["Retry-After"]["schema"],
        json!({"type": "string"})
    );
}

#[test]
fn a_nullable_query_parameter_allows_an_empty_value() {
    // `?limit=` is read as null where the schema admits null: documented, so clients know.
    let mut r = RouteDoc::new("GET", "/items");
    r.query
        .insert("limit".into(), json!({"type": ["integer", "null"], "optional": true}));
    r.query.insert("q".into(), json!({"type": "string", "optional": true}));
    let d = doc(&[r]);
    let params = &d["paths"]["/items"]["get"]["parameters"];
    assert_eq!(
        params[0],
        json!({"name": "limit", "in": "query", "required": false, "allowEmptyValue": true,
               "schema": {"type": ["integer", "null"], "format": "int64"}})
    );
    assert!(params[1].get("allowEmptyValue").is_none());
}

#[test]
fn an_optional_body_is_documented_as_not_required() {
    let mut r = RouteDoc::new("PATCH", "/items");
    r.body_schema = Some(json!({"type": "object"}));
    r.body_optional = true;
    let d = doc(&[r]);
    assert_eq!(d["paths"]["/items"]["patch"]["requestBody"]["required"], json!(false));
}

#[test]
fn json_body_with_schemars_defs_is_hoisted() {
    let mut r = RouteDoc::new("POST", "/items");
    r.body_schema = Some(json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Item", "type": "object", "required": ["name", "kind"],
        "properties": {"name": {"type": "string"}, "kind": {"$ref": "#/$defs/Kind"}},
        "$defs": {"Kind": {"type": "string", "enum": ["a", "b"]}}
    }));
    r.doc.response_schema = Some(json!({"title": "Item", "type": "object", "required": ["name", "kind"],
        "properties": {"name": {"type": "string"}, "kind": {"$ref": "#/$defs/Kind"}},
        "$defs": {"Kind": {"type": "string", "enum": ["a", "b"]}}}));
    let d = doc(&[r]);
    let op = &d["paths"]["/items"]["post"];
    assert_eq!(
        op["requestBody"],
        json!({"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}})
    );
    assert_eq!(
        op["responses"]["200"],
        json!({"description": "Successful Response",
               "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}})
    );
    let schemas = d["components"]["schemas"].as_object().unwrap();
    assert_eq!(schemas["Kind"], json!({"type": "string", "enum": ["a", "b"]}));
    assert_eq!(
        schemas["Item"]["properties"]["kind"],
        json!({"$ref": "#/components/schemas/Kind"})
    );
    assert!(
        !schemas.contains_key("Item2"),
        "the equal response schema shares the component"
    );
}

#[test]
fn form_and_multipart_bodies() {
    let mut form = RouteDoc::new("POST", "/login");
    form.content_type = Some("application/x-www-form-urlencoded".into());
    form.body_schema = Some(json!({"type": "object", "properties": {"user": {"type": "string"}}}));
    let mut upload = RouteDoc::new("POST", "/upload");
    upload.body_schema =
        Some(json!({"type": "object", "required": ["note"], "properties": {"note": {"type": "string"}}}));
    upload.files.insert(
        "avatar".into(),
        json!({"required": true, "content_type": ["image/png"], "max_size": 1024}),
    );
    upload.files.insert(
        "docs".into(),
        json!({"content_type": ["application/pdf", "text/plain"]}),
    );
    let d = doc(&[form, upload]);
    assert_eq!(
        d["paths"]["/login"]["post"]["requestBody"],
        json!({"required": true, "content": {"application/x-www-form-urlencoded": {
            "schema": {"type": "object", "properties": {"user": {"type": "string"}}}}}})
    );
    assert_eq!(
        d["paths"]["/upload"]["post"]["requestBody"],
        json!({"required": true, "content": {"multipart/form-data": {
            "encoding": {"avatar": {"contentType": "image/png"}, "docs": {"contentType": "application/pdf, text/plain"}},
            "schema": {"type": "object", "properties": {
                "note": {"type": "string"},
                "avatar": {"type": "string", "format": "binary", "contentMediaType": "image/png", "description": "At most 1024 bytes."},
                "docs": {"type": "string", "format": "binary"}
            }, "required": ["note", "avatar"]}
        }}})
    );
}

#[test]
fn declared_responses_tags_summary_and_deprecation() {
    let mut r = RouteDoc::new("DELETE", "/users/{id}");
    r.doc.tags = vec!["users".into()];
    r.doc.summary = Some("Delete a user".into());
    r.doc.description = Some("Removes the user.".into());
    r.doc.deprecated = true;
    r.doc.responses.insert("204".into(), ResponseDoc::default());
    r.doc.responses.insert(
        "404".into(),
        ResponseDoc {
            description: Some("No such user".into()),
            schema: Some(json!({"type": "object"})),
            content_type: Some("application/problem+json".into()),
        },
    );
    let mut named = RouteDoc::new("GET", "/users");
    named.handler_name = Some("list_users".into());
    named.doc.tags = vec!["users".into(), "admin".into()];
    let d = doc(&[r, named]);
    let op = &d["paths"]["/users/{id}"]["delete"];
    assert_eq!(op["tags"], json!(["users"]));
    assert_eq!(op["summary"], "Delete a user");
    assert_eq!(op["description"], "Removes the user.");
    assert_eq!(op["deprecated"], true);
    assert_eq!(
        op["responses"],
        json!({
            "204": {"description": "No Content"},
            "400": {"$ref": "#/components/responses/BadRequest"},
            "404": {"description": "No such user", "content": {"application/problem+json": {"schema": {"type": "object"}}}},
            "422": {"$ref": "#/components/responses/ValidationProblem"}
        })
    );
    assert_eq!(d["paths"]["/users"]["get"]["summary"], "List Users");
    assert_eq!(d["tags"], json!([{"name": "users"}, {"name": "admin"}]));
}

#[test]
fn operation_ids_are_unique_and_hidden_routes_left_out() {
    let mut a = RouteDoc::new("GET", "/a");
    a.doc.operation_id = Some("same".into());
    let mut b = RouteDoc::new("GET", "/b");
    b.doc.operation_id = Some("same".into());
    let c = RouteDoc::new("GET", "/a-b");
    let d2 = RouteDoc::new("GET", "/a_b");
    let mut hidden = RouteDoc::new("GET", "/internal");
    hidden.doc.include_in_schema = false;
    let d = doc(&[a, b, c, d2, hidden]);
    assert_eq!(d["paths"]["/a"]["get"]["operationId"], "same");
    assert_eq!(d["paths"]["/b"]["get"]["operationId"], "same_2");
    assert_eq!(d["paths"]["/a-b"]["get"]["operationId"], "get_a_b");
    assert_eq!(d["paths"]["/a_b"]["get"]["operationId"], "get_a_b_2");
    assert!(d["paths"].get("/internal").is_none());
    assert_eq!(default_operation_id("GET", "/"), "get_root");
}

#[test]
fn security_from_jwt_and_api_key_settings() {
    let mut jwt = RouteDoc::new("GET", "/me");
    jwt.jwt_auth = Some(JwtConfig::default());
    let mut key = RouteDoc::new("GET", "/keyed");
    // The default accepts the key in the `api_key` query parameter too.
    key.api_key_auth = Some(ApiKeyConfig::default());
    let mut both = RouteDoc::new("GET", "/both");
    both.jwt_auth = Some(JwtConfig::default());
    both.api_key_auth = Some(ApiKeyConfig {
        query_param: None,
        ..Default::default()
    });
    let mut custom = RouteDoc::new("GET", "/custom");
    custom.jwt_auth = Some(JwtConfig {
        header_name: "X-Token".into(),
        ..Default::default()
    });
    let open = RouteDoc::new("GET", "/open");
    let d = doc(&[jwt, key, both, custom, open]);
    assert_eq!(
        d["components"]["securitySchemes"],
        json!({
            "ApiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            "BearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            "BearerAuth2": {"type": "apiKey", "in": "header", "name": "X-Token", "description": "JWT as 'Bearer <token>'"},
            "ApiKeyQuery": {"type": "apiKey", "in": "query", "name": "api_key"}
        })
    );
    assert_eq!(d["paths"]["/me"]["get"]["security"], json!([{"BearerAuth": []}]));
    assert_eq!(
        d["paths"]["/keyed"]["get"]["security"],
        json!([{"ApiKeyHeader": []}, {"ApiKeyQuery": []}])
    );
    assert_eq!(
        d["paths"]["/both"]["get"]["security"],
        json!([{"BearerAuth": []}, {"ApiKeyHeader": []}])
    );
    assert_eq!(d["paths"]["/custom"]["get"]["security"], json!([{"BearerAuth2": []}]));
    assert!(d["paths"]["/open"]["get"].get("security").is_none());
    assert_eq!(
        d["paths"]["/me"]["get"]["responses"]["401"],
        json!({"$ref": "#/components/responses/Unauthorized"})
    );
    assert!(d["paths"]["/open"]["get"]["responses"].get("401").is_none());
}

#[test]
fn info_and_path_order() {
    let config = OpenApiConfig {
        title: "Shop".into(),
        version: "2.0".into(),
        description: Some("The shop API".into()),
        ..Default::default()
    };
    let d = openapi_document(
        &config,
        &[
            RouteDoc::new("POST", "/b"),
            RouteDoc::new("GET", "/b"),
            RouteDoc::new("GET", "/a"),
        ],
    );
    assert_eq!(
        d["info"],
        json!({"title": "Shop", "version": "2.0", "description": "The shop API"})
    );
    let paths: Vec<&String> = d["paths"].as_object().unwrap().keys().collect();
    assert_eq!(paths, ["/a", "/b"]);
    let methods: Vec<&String> = d["paths"]["/b"].as_object().unwrap().keys().collect();
    assert_eq!(methods, ["get", "post"]);
}

#[test]
fn websocket_routes_are_left_out_and_sse_routes_stream_events() {
    let mut ws = RouteDoc::new("GET", "/ws");
    ws.channel = Some(ChannelKind::WebSocket);
    let mut sse = RouteDoc::new("GET", "/events");
    sse.channel = Some(ChannelKind::Sse);
    let d = doc(&[ws, sse]);
    assert!(d["paths"].get("/ws").is_none());
    assert_eq!(
        d["paths"]["/events"]["get"]["responses"]["200"]["content"],
        json!({"text/event-stream": {"schema": {"type": "string"}}})
    );
}

#[test]
fn required_claims_document_403() {
    let mut admin = RouteDoc::new("GET", "/admin");
    admin.jwt_auth = Some(JwtConfig {
        required_claims: vec!["role".into()],
        ..Default::default()
    });
    let d = doc(&[admin]);
    let responses = &d["paths"]["/admin"]["get"]["responses"];
    assert_eq!(responses["401"], json!({"$ref": "#/components/responses/Unauthorized"}));
    assert_eq!(responses["403"], json!({"$ref": "#/components/responses/Forbidden"}));
    assert_eq!(
        d["components"]["responses"]["Forbidden"]["content"]["application/problem+json"]["schema"],
        json!({"$ref": "#/components/schemas/ProblemDetails"})
    );
}
