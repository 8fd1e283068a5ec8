//! OpenAPI in the Rust API: [`App::openapi`] switches the documents and docs
//! pages on; route builders carry the operation's documentation.
//!
//! ```
//! use schemars::JsonSchema;
//! use serde::Serialize;
//! use spikard::{get, App, Ctx, Json, OpenApiConfig};
//!
//! #[derive(Serialize, JsonSchema)]
//! struct User { id: i64, name: String }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let mut app = App::new();
//! app.openapi(OpenApiConfig { title: "Users".into(), ..Default::default() });
//! app.route(
//!     get("/users/{id:int}")
//!         .tags(["users"])
//!         .summary("Get a user")
//!         .operation_id("getUser")
//!         .response::<User>(200)
//!         .handler(|ctx: Ctx| async move {
//!             Ok::<_, spikard::Error>(Json(User { id: ctx.path("id")?, name: "Ada".into() }))
//!         }),
//! ).unwrap();
//! let client = app.test_client();
//! let doc = client.get("/openapi.json").send().await.json();
//! assert_eq!(doc["paths"]["/users/{id}"]["get"]["operationId"], "getUser");
//! assert_eq!(
//!     doc["paths"]["/users/{id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
//!     "#/components/schemas/User"
//! );
//! assert_eq!(client.get("/docs").send().await.status, 200);
//! # });
//! ```

use schemars::JsonSchema;
use serde_json::Value;
use spikard_core::config::OpenApiConfig;
use spikard_core::openapi::{OperationDoc, ResponseDoc};

use crate::app::App;
use crate::route::{schema_of, RouteBuilder};

impl App {
    /// Serve the OpenAPI/AsyncAPI documents and the docs pages with these settings. The
    /// documents describe every route registered before the app is built.
    pub fn openapi(&mut self, config: OpenApiConfig) -> &mut Self {
        self.builder_mut().config_mut().openapi = Some(config);
        self
    }
}

impl RouteBuilder {
    fn with_doc(self, edit: impl FnOnce(&mut OperationDoc)) -> Self {
        self.map_spec(|spec| edit(&mut spec.doc))
    }

    /// Tags grouping the operation in the docs.
    pub fn tags<I, S>(self, tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.with_doc(|d| d.tags.extend(tags.into_iter().map(Into::into)))
    }

    /// A one-line summary (default: the handler name in title case, if any).
    pub fn summary(self, summary: &str) -> Self {
        self.with_doc(|d| d.summary = Some(summary.into()))
    }

    /// A longer description (CommonMark).
    pub fn description(self, description: &str) -> Self {
        self.with_doc(|d| d.description = Some(description.into()))
    }

    /// A unique operation id (default: method and path, as in `get_users_id`).
    pub fn operation_id(self, id: &str) -> Self {
        self.with_doc(|d| d.operation_id = Some(id.into()))
    }

    /// Mark the operation deprecated.
    pub fn deprecated(self) -> Self {
        self.with_doc(|d| d.deprecated = true)
    }

    /// Leave the route out of the documents.
    pub fn hidden(self) -> Self {
        self.with_doc(|d| d.include_in_schema = false)
    }

    /// A JSON response of type `T` with this status.
    pub fn response<T: JsonSchema>(self, status: u16) -> Self {
        self.response_doc(
            status,
            ResponseDoc {
                schema: Some(schema_of::<T>()),
                ..Default::default()
            },
        )
    }

    /// A response without a documented body (e.g. `204`, `404`), with a description.
    pub fn response_description(self, status: u16, description: &str) -> Self {
        self.with_doc(|d| {
            d.responses.entry(status.to_string()).or_default().description = Some(description.into());
        })
    }

    /// A response described in full (schema, media type, description).
    pub fn response_doc(self, status: u16, response: ResponseDoc) -> Self {
        self.with_doc(|d| {
            let entry = d.responses.entry(status.to_string()).or_default();
            entry.schema = response.schema.or(entry.schema.take());
            entry.content_type = response.content_type.or(entry.content_type.take());
            entry.description = response.description.or(entry.description.take());
        })
    }

    /// The schema of the successful JSON response as JSON Schema. It only documents (and
    /// wins over a [`response_model`](Self::response_model) in the documents); results are
    /// checked by a response model only.
    pub fn response_schema(self, schema: Value) -> Self {
        self.with_doc(|d| d.response_schema = Some(schema))
    }
}

#[cfg(test)]
mod tests {
    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    use crate::{delete, get, post, App, Ctx, Json, OpenApiConfig};

    #[derive(Deserialize, Serialize, JsonSchema)]
    #[allow(dead_code)]
    enum Status {
        Active,
        Banned,
    }

    #[derive(Deserialize, Serialize, JsonSchema)]
    #[allow(dead_code)]
    struct NewUser {
        name: String,
        status: Status,
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Paging {
        limit: Option<u32>,
        name: Option<String>,
    }

    async fn ok(_ctx: Ctx) -> Result<Json<serde_json::Value>, crate::Error> {
        Ok(Json(json!({})))
    }

    #[tokio::test]
    async fn builder_documentation_reaches_the_document() {
        let mut app = App::new();
        app.openapi(OpenApiConfig::default());
        app.route(
            post("/users")
                .body::<NewUser>()
                .tags(["users"])
                .response::<NewUser>(201)
                .handler(ok),
        )
        .unwrap();
        app.route(get("/users").query::<Paging>().description("All users.").handler(ok))
            .unwrap();
        app.route(
            delete("/users/{id:int}")
                .deprecated()
                .response_description(204, "Deleted")
                .response_description(404, "No such user")
                .handler(ok),
        )
        .unwrap();
        app.route(get("/internal").hidden().handler(ok)).unwrap();
        let doc = app.test_client().get("/openapi.json").send().await.json();

        let create = &doc["paths"]["/users"]["post"];
        assert_eq!(create["tags"], json!(["users"]));
        assert_eq!(
            create["requestBody"]["content"]["application/json"]["schema"],
            json!({"$ref": "#/components/schemas/NewUser"})
        );
        assert_eq!(
            create["responses"]["201"],
            json!({"description": "Created",
                   "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewUser"}}}})
        );
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["NewUser"]["properties"]["status"],
            json!({"$ref": "#/components/schemas/Status"})
        );
        assert_eq!(schemas["Status"]["enum"], json!(["Active", "Banned"]));

        let list = &doc["paths"]["/users"]["get"];
        assert_eq!(list["description"], "All users.");
        assert_eq!(list["parameters"][0]["name"], "limit");
        assert_eq!(list["parameters"][0]["required"], false);
        assert!(!doc.to_string().contains("#/$defs/"), "{doc:#}");

        let remove = &doc["paths"]["/users/{id}"]["delete"];
        assert_eq!(remove["deprecated"], true);
        assert_eq!(remove["responses"]["204"], json!({"description": "Deleted"}));
        assert_eq!(
            remove["responses"]["404"],
            json!({"description": "No such user",
                   "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}})
        );
        assert!(doc["paths"].get("/internal").is_none());
    }
}
