//! Route builders: `get("/users/{id:int}").query::<Q>().handler(|ctx| async { ... })`.

use std::future::Future;
use std::sync::Arc;

use schemars::JsonSchema;
use serde_json::{Map, Value};
use spikard_http::{BoxFuture, Handler, HandlerResult, LifecycleHooks, RequestData, RouteDependencies, RouteSpec};

use crate::ctx::Ctx;
use crate::response::IntoResponse;

/// A route with its handler, ready for [`crate::App::route`].
pub struct Route {
    pub(crate) spec: RouteSpec,
    pub(crate) handler: Arc<dyn Handler>,
    /// Hooks of this route only (run after the app-wide ones).
    pub(crate) hooks: LifecycleHooks,
    /// Dependencies of this route (see [`crate::di`]); boxed, as most routes have none.
    pub(crate) di: Box<RouteDependencies>,
    /// The response model's JSON Schema, compiled when the route is registered (boxed,
    /// as most routes have none).
    pub(crate) response_model: Option<Box<Value>>,
}

impl Route {
    /// The route's spec (method, pattern, schemas, middleware overrides).
    pub fn spec(&self) -> &RouteSpec {
        &self.spec
    }

    /// This route's own lifecycle hooks.
    pub fn hooks_mut(&mut self) -> &mut LifecycleHooks {
        &mut self.hooks
    }

    /// The response model's JSON Schema, if the route declares one
    /// ([`RouteBuilder::response_model`]).
    pub fn response_model(&self) -> Option<&Value> {
        self.response_model.as_deref()
    }
}

/// Builds a [`RouteSpec`] for a method and pattern.
#[derive(Debug, Clone)]
pub struct RouteBuilder {
    spec: RouteSpec,
    response_model: Option<Value>,
}

macro_rules! method_fns {
    ($($name:ident => $method:literal),*) => {
        $(
            #[doc = concat!("A `", $method, "` route.")]
            pub fn $name(path: &str) -> RouteBuilder {
                RouteBuilder::new($method, path)
            }
        )*
    };
}

method_fns!(get => "GET", post => "POST", put => "PUT", patch => "PATCH", delete => "DELETE", head => "HEAD", options => "OPTIONS", trace => "TRACE");

/// The JSON Schema of a Rust type (Draft 2020-12, definitions inlined under `$defs`).
pub fn schema_of<T: JsonSchema>() -> Value {
    serde_json::to_value(schemars::schema_for!(T)).unwrap_or(Value::Bool(true))
}

/// Replace `#/$defs/X` references with the definitions themselves (a field's schema is
/// compiled on its own, without the struct's `$defs`); a recursive definition is left as is.
fn inline_defs(value: &mut Value, defs: &Map<String, Value>, depth: usize) {
    match value {
        Value::Object(obj) => {
            let target = obj
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/$defs/"))
                .and_then(|name| defs.get(name));
            if let (Some(def), true) = (target, depth < 16) {
                let mut def = def.clone();
                inline_defs(&mut def, defs, depth + 1);
                obj.remove("$ref");
                if obj.is_empty() {
                    *value = def;
                } else {
                    let mut all = vec![def];
                    all.extend(
                        obj.remove("allOf")
                            .and_then(|a| a.as_array().cloned())
                            .unwrap_or_default(),
                    );
                    obj.insert("allOf".into(), Value::Array(all));
                }
                return;
            }
            obj.values_mut().for_each(|v| inline_defs(v, defs, depth));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| inline_defs(v, defs, depth)),
        _ => {}
    }
}

/// The fields of a struct's schema, each a schema of its own (definitions inlined).
fn properties_of<T: JsonSchema>() -> (Map<String, Value>, Vec<String>) {
    let schema = schema_of::<T>();
    let defs = schema
        .get("$defs")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut props = schema
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for prop in props.values_mut() {
        inline_defs(prop, &defs, 0);
    }
    let required = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    (props, required)
}

impl RouteBuilder {
    pub fn new(method: &str, path: &str) -> Self {
        Self {
            spec: RouteSpec::new(method, path),
            response_model: None,
        }
    }

    /// Start from a full spec (as the bindings and fixtures describe routes).
    pub fn from_spec(spec: RouteSpec) -> Self {
        Self {
            spec,
            response_model: None,
        }
    }

    pub fn spec(&self) -> &RouteSpec {
        &self.spec
    }

    /// Change the spec in place (used by feature modules such as SSE).
    pub(crate) fn map_spec(mut self, f: impl FnOnce(&mut RouteSpec)) -> Self {
        f(&mut self.spec);
        self
    }

    fn params_from<T: JsonSchema>(mut self, pick: fn(&mut RouteSpec) -> &mut Map<String, Value>) -> Self {
        let (props, required) = properties_of::<T>();
        for (name, mut schema) in props {
            if let Some(obj) = schema.as_object_mut() {
                obj.insert("required".into(), Value::Bool(required.contains(&name)));
            }
            pick(&mut self.spec).insert(name, schema);
        }
        self
    }

    /// Declare query parameters from a struct's fields (schemars).
    pub fn query<T: JsonSchema>(self) -> Self {
        self.params_from::<T>(|s| &mut s.parameters.query)
    }

    /// Declare header parameters from a struct's fields.
    pub fn headers<T: JsonSchema>(self) -> Self {
        self.params_from::<T>(|s| &mut s.parameters.headers)
    }

    /// Declare cookie parameters from a struct's fields.
    pub fn cookies<T: JsonSchema>(self) -> Self {
        self.params_from::<T>(|s| &mut s.parameters.cookies)
    }

    /// Declare one parameter of any source by JSON Schema (`required`/`optional`/`default`/`separator` allowed).
    pub fn query_param(mut self, name: &str, schema: Value) -> Self {
        self.spec.parameters.query.insert(name.into(), schema);
        self
    }

    pub fn path_param(mut self, name: &str, schema: Value) -> Self {
        self.spec.parameters.path.insert(name.into(), schema);
        self
    }

    pub fn header_param(mut self, name: &str, schema: Value) -> Self {
        self.spec.parameters.headers.insert(name.into(), schema);
        self
    }

    pub fn cookie_param(mut self, name: &str, schema: Value) -> Self {
        self.spec.parameters.cookies.insert(name.into(), schema);
        self
    }

    /// Query parameters as one object schema (`properties` + `required`).
    pub fn query_schema(mut self, schema: Value) -> Self {
        let required: Vec<String> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (name, s) in props {
                let mut s = s.clone();
                if let Some(obj) = s.as_object_mut() {
                    obj.insert("required".into(), Value::Bool(required.contains(name)));
                }
                self.spec.parameters.query.insert(name.clone(), s);
            }
        }
        self
    }

    /// The body's schema from a Rust type.
    pub fn body<T: JsonSchema>(self) -> Self {
        self.body_schema(schema_of::<T>())
    }

    /// The body's schema as JSON Schema.
    pub fn body_schema(mut self, schema: Value) -> Self {
        self.spec.body_schema = Some(schema);
        self
    }

    /// The status the handler's `200` results are sent with, FastAPI's `status_code=`
    /// (`201` for a creation, `204` for an answer without content): documented as the
    /// operation's success response. Results built with another status keep theirs; a
    /// `204` (or `205`, `304`) is sent without a body.
    ///
    /// ```
    /// use spikard::{post, App, Ctx, Json};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let mut app = App::new();
    /// app.route(post("/items").status_code(201).handler(|_ctx: Ctx| async { Json(serde_json::json!({"id": 1})) }))
    ///     .unwrap();
    /// assert_eq!(app.test_client().post("/items").send().await.status, 201);
    /// # });
    /// ```
    pub fn status_code(mut self, status: u16) -> Self {
        self.spec.status_code = Some(status);
        self
    }

    /// Answer through a response model, FastAPI's `response_model=`: the JSON Schema of
    /// `T` (schemars). When the route is registered the schema is compiled (a bad one is
    /// an error naming the route); then each JSON result of status 200 the handler
    /// returns is conformed to it: fields `T` does not declare are dropped (a `UserIn`
    /// with a password answered through a `UserOut` never leaks it, also in nested,
    /// listed and referenced objects), and a result that breaks it (a wrong type, a
    /// missing required field) is logged with the route and the failing fields and
    /// answered with the generic 500 problem, which shows nothing of the result.
    /// Responses built with another status (`201`, `202`, errors) and non-JSON bodies
    /// pass as they are. No coercion: the result must already have `T`'s types.
    ///
    /// The model documents the successful response in OpenAPI unless
    /// [`response_schema`](Self::response_schema) is given (that one only documents).
    /// Bindings get the same behaviour from `RouteDecl::response_model`
    /// ([`spikard_http::response_model`]).
    ///
    /// ```
    /// use schemars::JsonSchema;
    /// use serde::Serialize;
    /// use serde_json::json;
    /// use spikard::{get, App, Ctx, Json};
    ///
    /// #[derive(Serialize, JsonSchema)]
    /// struct UserOut { id: i64, name: String }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let mut app = App::new();
    /// app.route(get("/users/{id:int}").response_model::<UserOut>().handler(|ctx: Ctx| async move {
    ///     let id: i64 = ctx.path("id")?;
    ///     Ok::<_, spikard::Error>(Json(json!({"id": id, "name": "Ada", "password_hash": "x"})))
    /// })).unwrap();
    /// let res = app.test_client().get("/users/1").send().await;
    /// assert_eq!(res.json(), json!({"id": 1, "name": "Ada"}));
    /// # });
    /// ```
    pub fn response_model<T: JsonSchema>(self) -> Self {
        self.response_model_schema(schema_of::<T>())
    }

    /// Answer through a response model given as JSON Schema (local `$ref`s into
    /// `$defs`/`definitions`, `allOf`, `anyOf`/`oneOf` are followed); the same behaviour
    /// as [`response_model`](Self::response_model).
    ///
    /// ```
    /// use serde_json::json;
    /// use spikard::{get, App, Ctx, Json};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let mut app = App::new();
    /// let model = json!({"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}});
    /// app.route(get("/broken").response_model_schema(model).handler(|_ctx: Ctx| async move {
    ///     Json(json!({"id": "not-a-number"}))
    /// })).unwrap();
    /// let res = app.test_client().get("/broken").send().await;
    /// assert_eq!(res.status, 500);
    /// assert_eq!(res.json()["detail"], "Internal server error");
    ///
    /// // A schema that does not compile fails the registration.
    /// let bad = get("/bad").response_model_schema(json!({"type": 12})).handler(|_ctx: Ctx| async { "" });
    /// let err = App::new().route(bad).err().unwrap();
    /// assert!(err.to_string().contains("GET /bad"));
    /// # });
    /// ```
    pub fn response_model_schema(mut self, schema: Value) -> Self {
        self.response_model = Some(schema);
        self
    }

    /// Accept only this media type.
    pub fn content_type(mut self, media_type: &str) -> Self {
        self.spec.content_type = Some(media_type.into());
        self
    }

    /// Middleware settings for this route only (each `Some` replaces the server-wide setting):
    /// `get("/x").middleware(RouteMiddleware { cors: Some(cors), ..Default::default() })`.
    pub fn middleware(mut self, middleware: spikard_core::config::RouteMiddleware) -> Self {
        self.spec.middleware = middleware;
        self
    }

    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.spec.max_body_size = Some(bytes);
        self
    }

    /// Hand the body to the handler unread: it pulls it with [`crate::Ctx::body_stream`],
    /// chunk by chunk, under the route's size limit (uploads and proxies that must not
    /// hold a whole body in memory). The body is not decoded or validated.
    ///
    /// ```
    /// use futures_util::StreamExt;
    /// use spikard::{post, App, Ctx, Error, Json};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let mut app = App::new();
    /// app.route(post("/upload").stream_body().max_body_size(1 << 20).handler(|ctx: Ctx| async move {
    ///     let mut body = ctx.body_stream().ok_or_else(|| Error::internal("body already taken"))?;
    ///     let mut bytes = 0;
    ///     while let Some(chunk) = body.next().await {
    ///         bytes += chunk?.len();
    ///     }
    ///     Ok::<_, Error>(Json(serde_json::json!({"bytes": bytes})))
    /// })).unwrap();
    /// let res = app.test_client().post("/upload").body("hello").send().await;
    /// assert_eq!(res.json(), serde_json::json!({"bytes": 5}));
    /// # });
    /// ```
    pub fn stream_body(mut self) -> Self {
        self.spec.stream_body = true;
        self
    }

    pub fn max_nesting_depth(mut self, depth: usize) -> Self {
        self.spec.max_nesting_depth = Some(depth);
        self
    }

    /// Attach an async closure taking the validated [`Ctx`].
    pub fn handler<F, Fut, R>(self, f: F) -> Route
    where
        F: Fn(Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoResponse + 'static,
    {
        Route {
            spec: self.spec,
            handler: Arc::new(FnHandler(f)),
            hooks: LifecycleHooks::default(),
            di: Box::default(),
            response_model: self.response_model.map(Box::new),
        }
    }

    /// Attach any binding-neutral handler object.
    pub fn handler_object(self, handler: Arc<dyn Handler>) -> Route {
        Route {
            spec: self.spec,
            handler,
            hooks: LifecycleHooks::default(),
            di: Box::default(),
            response_model: self.response_model.map(Box::new),
        }
    }
}

struct FnHandler<F>(F);

impl<F, Fut, R> Handler for FnHandler<F>
where
    F: Fn(Ctx) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoResponse + 'static,
{
    fn call(&self, request: RequestData) -> BoxFuture<HandlerResult> {
        let fut = (self.0)(Ctx::new(request));
        Box::pin(async move { fut.await.into_response().map_err(|e| e.0) })
    }
}
