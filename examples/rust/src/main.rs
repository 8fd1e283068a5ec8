//! The demo app: a small in-memory item store with typed routes.
//!
//! Run with `./task demo` (or `cargo run -p spikard-examples --bin demo`), then e.g.
//! `curl localhost:8000/items/1` or
//! `curl -X POST localhost:8000/items -H 'content-type: application/json' -d '{"name":"pen","price":1.5}'`.
//! The API is documented at `/docs` (Swagger UI), `/redoc` and `/openapi.json`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use spikard::{delete, get, post, App, Ctx, Error, Json, OpenApiConfig};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
struct NewItem {
    #[schemars(length(min = 1, max = 100))]
    name: String,
    #[schemars(range(min = 0.0))]
    price: f64,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
struct Item {
    id: i64,
    #[serde(flatten)]
    item: NewItem,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[allow(dead_code)]
struct ListQuery {
    /// Maximum number of items to return.
    #[schemars(range(min = 1, max = 100))]
    limit: Option<i64>,
    /// Only items carrying this tag.
    tag: Option<String>,
}

type Store = Arc<Mutex<BTreeMap<i64, Item>>>;

fn build_app(store: Store) -> Result<App, Error> {
    let mut app = App::new();
    app.openapi(OpenApiConfig {
        title: "Spikard demo".into(),
        description: Some("A small in-memory item store.".into()),
        ..Default::default()
    });
    app.route(
        get("/")
            .summary("Service information")
            .handler(|_ctx: Ctx| async { Json(serde_json::json!({"service": "spikard demo", "docs": "see README"})) }),
    )?;
    let s = store.clone();
    app.route(
        get("/items")
            .query::<ListQuery>()
            .tags(["items"])
            .summary("List items")
            .response::<Vec<Item>>(200)
            .handler(move |ctx: Ctx| {
                let s = s.clone();
                async move {
                    let q: ListQuery = ctx.query()?;
                    let items: Vec<Item> = s
                        .lock()
                        .map_err(|_| Error::internal("store poisoned"))?
                        .values()
                        .filter(|i| q.tag.as_ref().is_none_or(|t| i.item.tags.contains(t)))
                        .take(q.limit.unwrap_or(100) as usize)
                        .cloned()
                        .collect();
                    Ok::<_, Error>(Json(items))
                }
            }),
    )?;
    let s = store.clone();
    app.route(
        get("/items/{id:int}")
            .tags(["items"])
            .summary("Get an item")
            .response::<Item>(200)
            .response_description(404, "No such item")
            .handler(move |ctx: Ctx| {
                let s = s.clone();
                async move {
                    let id: i64 = ctx.path("id")?;
                    let item = s
                        .lock()
                        .map_err(|_| Error::internal("store poisoned"))?
                        .get(&id)
                        .cloned();
                    item.map(Json)
                        .ok_or_else(|| Error::not_found(format!("Item {id} not found")))
                }
            }),
    )?;
    let s = store.clone();
    app.route(
        post("/items")
            .body::<NewItem>()
            .tags(["items"])
            .summary("Create an item")
            .status_code(201)
            .response::<Item>(201)
            .handler(move |ctx: Ctx| {
                let s = s.clone();
                async move {
                    let new: NewItem = ctx.json()?;
                    let mut guard = s.lock().map_err(|_| Error::internal("store poisoned"))?;
                    let id = guard.keys().next_back().copied().unwrap_or(0) + 1;
                    let item = Item { id, item: new };
                    guard.insert(id, item.clone());
                    Ok::<_, Error>(Json(item))
                }
            }),
    )?;
    app.route(
        delete("/items/{id:int}")
            .tags(["items"])
            .summary("Delete an item")
            .status_code(204)
            .response_description(204, "Deleted")
            .response_description(404, "No such item")
            .handler(move |ctx: Ctx| {
                let s = store.clone();
                async move {
                    let id: i64 = ctx.path("id")?;
                    match s.lock().map_err(|_| Error::internal("store poisoned"))?.remove(&id) {
                        Some(_) => Ok(()),
                        None => Err(Error::not_found(format!("Item {id} not found"))),
                    }
                }
            }),
    )?;
    Ok(app)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    spikard::init_logging();
    let host = std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".into());
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8000);
    let app = build_app(Arc::default())?;
    println!("Spikard demo on http://{host}:{port}  (try: curl http://{host}:{port}/items/1)");
    app.run(&host, port).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn crud_round_trip_and_validation() {
        let client = build_app(Arc::default()).unwrap().test_client();
        let created = client
            .post("/items")
            .json(&json!({"name": "pen", "price": 1.5, "tags": ["office"]}))
            .send()
            .await;
        assert_eq!(created.status, 201);
        assert_eq!(created.json()["id"], json!(1));
        assert_eq!(client.get("/items/1").send().await.json()["name"], json!("pen"));
        assert_eq!(
            client
                .get("/items?tag=office&limit=5")
                .send()
                .await
                .json()
                .as_array()
                .map(Vec::len),
            Some(1)
        );
        let bad = client
            .post("/items")
            .json(&json!({"name": "", "price": -1}))
            .send()
            .await;
        assert_eq!(bad.status, 422);
        assert_eq!(bad.json()["errors"].as_array().map(Vec::len), Some(2));
        let missing = client.get("/items/99").send().await;
        assert_eq!(missing.status, 404);
        assert_eq!(missing.json()["detail"], json!("Item 99 not found"));
        let deleted = client.request("DELETE", "/items/1").send().await;
        assert_eq!((deleted.status, deleted.body.len()), (204, 0));
        // Past int64 the segment does not parse: a 422, never a 500 from `ctx.path::<i64>`.
        let huge = client.get("/items/9223372036854775808").send().await;
        assert_eq!(
            (huge.status, huge.json()["errors"][0]["type"].clone()),
            (422, json!("int_parsing"))
        );
        assert_eq!(
            client.get("/items/abc").send().await.json()["errors"][0]["type"],
            json!("int_parsing")
        );
    }
}
