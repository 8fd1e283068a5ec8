//! hello: a Spikard app.

use schemars::JsonSchema;
use serde::Serialize;
use spikard::{get, App, Ctx, Error, Json, OpenApiConfig};

#[derive(Serialize, JsonSchema)]
pub struct Greeting {
    pub message: String,
}

/// The app: `GET /hello/{name}`, and the API docs at `/docs`.
pub fn app() -> Result<App, Error> {
    let mut app = App::new();
    app.openapi(OpenApiConfig {
        title: "hello".into(),
        ..Default::default()
    });
    app.route(get("/hello/{name}").response::<Greeting>(200).handler(|ctx: Ctx| async move {
        let name: String = ctx.path("name")?;
        Ok::<_, Error>(Json(Greeting {
            message: format!("Hello, {name}!"),
        }))
    }))?;
    Ok(app)
}
