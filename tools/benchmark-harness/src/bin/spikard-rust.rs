//! Contestant `spikard-rust`: the same two routes as `raw-axum`, written with Spikard's
//! Rust API. Path, query and body are declared as schemas and validated by Spikard
//! (422 on bad input) before the handler runs.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use spikard::{get, post, App, Ctx, Json};

#[derive(Deserialize, JsonSchema)]
struct Item {
    #[schemars(length(min = 1))]
    name: String,
    #[schemars(extend("exclusiveMinimum" = 0))]
    price: f64,
    tags: Vec<String>,
}

#[derive(Serialize)]
struct Echo {
    id: i64,
    limit: i64,
    name: String,
    price: f64,
    tags: Vec<String>,
}

fn app() -> Result<App, spikard::Error> {
    let mut app = App::new();
    app.route(
        get("/json")
            .handler(|_ctx: Ctx| async move { Json(serde_json::json!({"message": "hello", "id": 1, "ok": true})) }),
    )?;
    app.route(
        post("/items/{id:int}")
            .query_schema(serde_json::json!({
                "type": "object",
                "properties": {"limit": {"type": "integer"}},
                "required": ["limit"]
            }))
            .body::<Item>()
            .handler(|ctx: Ctx| async move {
                let id: i64 = ctx.path("id")?;
                let limit: i64 = ctx
                    .query_param("limit")?
                    .ok_or_else(|| spikard::Error::bad_request("limit is required"))?;
                let item: Item = ctx.json()?;
                Ok::<_, spikard::Error>(Json(Echo {
                    id,
                    limit,
                    name: item.name,
                    price: item.price,
                    tags: item.tags,
                }))
            }),
    )?;
    Ok(app)
}

#[tokio::main]
async fn main() {
    let port = match benchmark_harness::port_from_args() {
        Ok(port) => port,
        Err(e) => {
            eprintln!("spikard-rust: {e}");
            std::process::exit(2);
        }
    };
    let app = match app() {
        Ok(app) => app,
        Err(e) => {
            eprintln!("spikard-rust: invalid routes: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = app.run("127.0.0.1", port).await {
        eprintln!("spikard-rust: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_schema_has_the_constraints() {
        let schema = spikard::schema_of::<Item>();
        assert_eq!(schema["properties"]["name"]["minLength"], 1, "{schema}");
        assert_eq!(schema["properties"]["price"]["exclusiveMinimum"], 0, "{schema}");
    }

    #[tokio::test]
    async fn routes_answer_like_raw_axum() {
        let client = app().unwrap().test_client();
        let r = client.get("/json").send().await;
        assert_eq!(r.json(), serde_json::json!({"message": "hello", "id": 1, "ok": true}));
    }
}
