//! The Rust emitter: a crate on the Spikard Rust API.
//!
//! ```text
//! Cargo.toml  README.md  routes.json   the route specs and the example requests and answers
//! src/lib.rs               app(): every operation registered with the document's schemas
//! src/main.rs              serves app() (HOST/PORT)
//! src/models.rs            serde/schemars DTOs from the component schemas
//! src/handlers/<tag>.rs    one typed stub per operation, answering schema-valid example data
//! src/spec.rs              reads routes.json; helpers for the tests
//! tests/<tag>.rs           each operation called through the TestClient
//! ```

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{json, Map, Value};

use super::python_dto::contains_word;
use super::python_dto::one_line;
use super::rust_dto::{rs_str, RustModels};
use super::{pretty, Options};
use crate::error::Result;
use crate::model::{Api, Operation, ParamLocation};
use crate::names::{snake, unique};
use crate::requests::{is_json, OperationExamples};
use crate::routespec::{inlined, param_key};
use crate::types::{ty_of, Ty};

/// A snake-case identifier that is not a keyword (`type` → `type_`, no raw identifiers).
fn plain_ident(raw: &str) -> String {
    let s = snake(raw);
    if crate::names::RUST_KEYWORDS.contains(&s.as_str()) {
        format!("{s}_")
    } else {
        s
    }
}

const RESERVED_MODULES: [&str; 6] = ["models", "handlers", "spec", "main", "lib", "tests"];

/// Generate the project.
pub fn generate(api: &Api, options: &Options) -> Result<Files> {
    let krate = snake(&options.name).replace('_', "-");
    let lib = snake(&options.name);
    let models = RustModels::new(api);
    let examples: Vec<OperationExamples> = api.operations.iter().map(|op| OperationExamples::of(op, api)).collect();
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, op) in api.operations.iter().enumerate() {
        groups.entry(op.group().to_owned()).or_default().push(i);
    }
    let group_names = unique(groups.keys().map(|g| plain_ident(g)), &RESERVED_MODULES);
    let handler_names = unique(api.operations.iter().map(|op| plain_ident(&op.id)), &[]);

    let mut files = Files::default();
    let mut data_routes = Map::new();
    let mut data_examples = Map::new();
    for (op, ex) in api.operations.iter().zip(&examples) {
        data_routes.insert(op.id.clone(), crate::routespec::route_spec(op, api));
        data_examples.insert(op.id.clone(), ex.to_json());
    }
    files.add(
        "routes.json",
        pretty(&json!({"routes": data_routes, "examples": data_examples})),
    );
    files.add("src/models.rs", models.module(api));
    files.add("src/spec.rs", SPEC_RS.to_owned());
    let mut registrations = Vec::new();
    let mut mods = String::from("//! The operations' handlers, one module per tag.\n\n");
    for ((group, ops), module) in groups.iter().zip(&group_names) {
        let _ = writeln!(mods, "pub mod {module};");
        let mut handlers = String::new();
        let mut tests = String::new();
        for &i in ops {
            let op = &api.operations[i];
            handlers.push('\n');
            handlers.push_str(&handler(op, &handler_names[i], &models, api));
            tests.push('\n');
            tests.push_str(&test(op, &handler_names[i], &lib, &examples[i]));
            registrations.push((op.id.clone(), format!("handlers::{module}::{}", handler_names[i])));
        }
        let mut module_text = format!(
            "//! Handlers of the `{}` operations: generated stubs answering the document's example\n//! data. Replace their bodies with your logic; the signatures follow the document.\n\n",
            group.replace('\n', " ")
        );
        if handlers.contains("models::") {
            module_text.push_str("use crate::models;\n");
        }
        module_text.push_str("use crate::spec;\n");
        let code: String = handlers
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let uses: Vec<&str> = ["Ctx", "Error", "Json", "Response", "StatusCode"]
            .into_iter()
            .filter(|n| contains_word(&code, n))
            .collect();
        let _ = writeln!(module_text, "use spikard::{{{}}};", uses.join(", "));
        module_text.push_str(&handlers);
        files.add(format!("src/handlers/{module}.rs"), module_text);
        files.add(
            format!("tests/{module}.rs"),
            format!(
                "//! Each `{}` operation called through the TestClient with the document's example data.\n\nuse {lib}::spec;\n{tests}",
                group.replace('\n', " ")
            ),
        );
    }
    files.add("src/handlers/mod.rs", mods);
    files.add("src/lib.rs", lib_rs(api, &registrations));
    files.add("src/main.rs", format!("//! Serves the app on HOST:PORT (default 127.0.0.1:8000): the document at `/openapi.json`, the docs at `/docs`.\n\n#[tokio::main]\nasync fn main() -> std::io::Result<()> {{\n    let host = std::env::var(\"HOST\").unwrap_or_else(|_| \"127.0.0.1\".into());\n    let port = std::env::var(\"PORT\").ok().and_then(|p| p.parse().ok()).unwrap_or(8000);\n    let app = {lib}::app().map_err(|e| std::io::Error::other(e.to_string()))?;\n    app.run(&host, port).await\n}}\n"));
    files.add("Cargo.toml", cargo_toml(&krate, options));
    files.add(
        "README.md",
        format!(
            "# {}\n\nGenerated by `spikard generate openapi`: one handler stub per operation in\n`src/handlers/`, DTOs in `src/models.rs`, the routes registered with the document's\nschemas (`routes.json`), so requests the document rejects get a 422 problem.\n\n```sh\ncargo run    # serves http://127.0.0.1:8000 (/openapi.json, /docs)\ncargo test   # calls each operation through the TestClient\n```\n",
            api.title
        ),
    );
    Ok(files)
}

use crate::output::Files;

fn cargo_toml(krate: &str, options: &Options) -> String {
    let spikard = options
        .spikard_dependency
        .clone()
        .unwrap_or_else(|| format!("\"{}\"", env!("CARGO_PKG_VERSION")));
    format!(
        "[package]\nname = \"{krate}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\nspikard = {spikard}\nserde = {{ version = \"1\", features = [\"derive\"] }}\nserde_json = {{ version = \"1\", features = [\"preserve_order\"] }}\nschemars = \"1\"\ntokio = {{ version = \"1\", features = [\"rt-multi-thread\", \"macros\"] }}\n\n[workspace]\n"
    )
}

fn lib_rs(api: &Api, registrations: &[(String, String)]) -> String {
    let mut out = format!(
        "//! {}: the app, every operation of the document registered with its schemas.\n\npub mod handlers;\npub mod models;\npub mod spec;\n\nuse spikard::{{App, Error, OpenApiConfig}};\n\n/// The app with every operation of the document.\npub fn app() -> Result<App, Error> {{\n    let mut app = App::new();\n    app.openapi(OpenApiConfig {{\n        title: {}.into(),\n        version: {}.into(),\n",
        api.title.replace('\n', " "),
        rs_str(&api.title),
        rs_str(&api.version)
    );
    if let Some(d) = &api.description {
        let _ = writeln!(out, "        description: Some({}.into()),", rs_str(d));
    }
    out.push_str("        ..Default::default()\n    });\n");
    for (id, handler) in registrations {
        let _ = writeln!(out, "    app.route(spec::route({})?.handler({handler}))?;", rs_str(id));
    }
    out.push_str("    Ok(app)\n}\n");
    out
}

/// The Rust type of a parameter: scalars and lists of them; anything else `serde_json::Value`.
fn param_type(schema: &Value, api: &Api, models: &RustModels) -> String {
    let flat = inlined(schema, &api.schemas);
    let ty = match ty_of(&flat, &api.schemas) {
        Ty::Optional(t) => *t,
        t => t,
    };
    let simple = |t: &Ty| matches!(t, Ty::Str | Ty::Int | Ty::Float | Ty::Bool | Ty::Literal(_));
    match &ty {
        t if simple(t) => models.rust_type(t, None, "models::"),
        Ty::List(inner) if simple(inner) => models.rust_type(&ty, None, "models::"),
        _ => "serde_json::Value".into(),
    }
}

fn handler(op: &Operation, name: &str, models: &RustModels, api: &Api) -> String {
    let mut lines: Vec<String> = Vec::new();
    let names = unique(op.params.iter().map(|p| format!("_{}", snake(&p.name))), &["_body"]);
    for (p, var) in op.params.iter().zip(&names) {
        let ty = param_type(&p.schema, api, models);
        let key = rs_str(&param_key(&p.name, p.location));
        let read = match p.location {
            ParamLocation::Path => format!("ctx.path({key})?"),
            ParamLocation::Query => format!("ctx.query_param({key})?"),
            ParamLocation::Header => format!("spec::param(ctx.header_params(), {key})?"),
            ParamLocation::Cookie => format!("spec::param(ctx.cookie_params(), {key})?"),
        };
        let ty = if p.location == ParamLocation::Path {
            ty
        } else {
            format!("Option<{ty}>")
        };
        lines.push(format!("    let {var}: {ty} = {read};"));
    }
    if let Some(body) = &op.body {
        let ty = match (&body.schema, is_json(&body.content_type)) {
            (Some(s), true) => models.rust_type(&ty_of(s, &api.schemas), None, "models::"),
            _ => "serde_json::Value".into(),
        };
        if body.required {
            lines.push(format!("    let _body: {ty} = ctx.json()?;"));
        } else {
            lines.push(format!("    let _body: Option<{ty}> = spec::optional_body(&ctx)?;"));
        }
    }
    let id = rs_str(&op.id);
    let status = op.success_status();
    let success = op.success_response();
    let (returns, answer) = match success.and_then(|r| r.content_type.as_deref()) {
        None => ("StatusCode".to_owned(), format!("    Ok(spec::status({status}))")),
        Some(ct) if is_json(ct) => {
            let ty = success.and_then(|r| r.schema.as_ref()).map_or_else(
                || "serde_json::Value".to_owned(),
                |s| models.rust_type(&ty_of(s, &api.schemas), None, "models::"),
            );
            lines.push(format!("    let answer: {ty} = spec::example({id})?;"));
            (
                format!("(StatusCode, Json<{ty}>)"),
                format!("    Ok((spec::status({status}), Json(answer)))"),
            )
        }
        Some(ct) => (
            "Response".to_owned(),
            format!(
                "    Ok(Response::new(spec::status({status})).bytes(spec::example_text({id}), {}))",
                rs_str(ct)
            ),
        ),
    };
    let summary = op
        .summary
        .as_deref()
        .or(op.description.as_deref())
        .map(one_line)
        .unwrap_or_else(|| op.id.clone());
    let ctx = if lines.iter().any(|l| l.contains("ctx")) {
        "ctx"
    } else {
        "_ctx"
    };
    let mut out = format!(
        "/// {} (`{} {}`).\npub async fn {name}({ctx}: Ctx) -> Result<{returns}, Error> {{\n",
        summary.trim_end_matches('.'),
        op.method,
        op.path
    );
    for l in lines {
        out.push_str(&l);
        out.push('\n');
    }
    out.push_str(&answer);
    out.push_str("\n}\n");
    out
}

fn test(op: &Operation, name: &str, lib: &str, ex: &OperationExamples) -> String {
    let id = rs_str(&op.id);
    let mut out = String::from("#[tokio::test]\n");
    if let Some(reason) = &ex.missing {
        let _ = writeln!(out, "#[ignore = {}]", rs_str(reason));
    }
    let _ = writeln!(out, "async fn {name}() {{");
    let _ = writeln!(
        out,
        "    let client = {lib}::app().expect(\"the app builds\").test_client();"
    );
    let _ = writeln!(out, "    let res = spec::send(&client, {id}).await;");
    let _ = writeln!(
        out,
        "    assert_eq!(res.status, {}, \"{{}}\", res.text());",
        op.success_status()
    );
    match op.success_response().and_then(|r| r.content_type.as_deref()) {
        None => out.push_str("    assert!(res.body.is_empty());\n"),
        Some(ct) if is_json(ct) => {
            let _ = writeln!(
                out,
                "    spec::assert_same_json(&res.json(), &spec::example_value({id}));"
            );
        }
        Some(_) => {
            let _ = writeln!(out, "    assert_eq!(res.text(), spec::example_text({id}));");
        }
    }
    out.push_str("}\n");
    out
}

/// The generated project's `src/spec.rs` (a template file, copied as it is).
const SPEC_RS: &str = include_str!("templates/spec.rs.txt");
