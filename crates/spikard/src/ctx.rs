//! The request context handed to Rust handlers: typed access to validated data.

use bytes::Bytes;
use http::{HeaderMap, Method};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use spikard_core::body::multipart::UploadedFile;
use spikard_http::{Dependencies, RequestData};

use crate::error::Error;

/// A validated request. Every accessor deserialises from values the core already
/// coerced and validated against the route's schemas.
#[derive(Debug, Clone)]
pub struct Ctx {
    data: RequestData,
}

/// Deserialise from a borrowed value: no copy of the validated data.
fn from_value<T: DeserializeOwned>(value: &Value, what: &str) -> Result<T, Error> {
    T::deserialize(value).map_err(|e| Error::internal(format!("{what} does not fit the requested type: {e}")))
}

fn from_map<T: DeserializeOwned>(map: &Map<String, Value>, what: &str) -> Result<T, Error> {
    use serde::de::IntoDeserializer;
    T::deserialize(map.into_deserializer())
        .map_err(|e| Error::internal(format!("{what} does not fit the requested type: {e}")))
}

impl Ctx {
    pub fn new(data: RequestData) -> Self {
        Self { data }
    }

    pub fn method(&self) -> &Method {
        &self.data.method
    }

    /// The percent-decoded request path.
    pub fn path_str(&self) -> &str {
        &self.data.path
    }

    /// One path parameter, e.g. `let id: i64 = ctx.path("id")?`.
    pub fn path<T: DeserializeOwned>(&self, name: &str) -> Result<T, Error> {
        from_value(
            self.data.path_params.get(name).unwrap_or(&Value::Null),
            &format!("path parameter '{name}'"),
        )
    }

    /// All path parameters as a struct.
    pub fn path_params<T: DeserializeOwned>(&self) -> Result<T, Error> {
        from_map(&self.data.path_params, "path parameters")
    }

    /// Declared query parameters as a struct (defaults applied).
    pub fn query<T: DeserializeOwned>(&self) -> Result<T, Error> {
        from_map(&self.data.query_params, "query parameters")
    }

    /// One declared query parameter; `None` when absent and without default.
    pub fn query_param<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, Error> {
        self.data
            .query_params
            .get(name)
            .map(|v| from_value(v, &format!("query parameter '{name}'")))
            .transpose()
    }

    /// Every query pair as sent.
    pub fn raw_query(&self) -> &[(String, String)] {
        &self.data.raw_query
    }

    /// A request header by name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.data.header(name)
    }

    pub fn headers(&self) -> &HeaderMap {
        &self.data.headers
    }

    /// Declared header parameters (lowercase names), coerced.
    pub fn header_params(&self) -> &Map<String, Value> {
        &self.data.header_params
    }

    /// A cookie sent with the request.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.data.cookies().into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Declared cookie parameters, coerced.
    pub fn cookie_params(&self) -> &Map<String, Value> {
        &self.data.cookie_params
    }

    /// The validated body as a type.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        from_value(&self.data.body, "request body")
    }

    /// The validated body as a JSON value (forms and multipart included).
    pub fn body(&self) -> &Value {
        &self.data.body
    }

    pub fn raw_body(&self) -> &Bytes {
        &self.data.raw_body
    }

    /// The body of a route declared [`stream_body`](crate::RouteBuilder::stream_body), as a
    /// stream of chunks under the route's size limit; `None` on other routes and once taken.
    pub fn body_stream(&self) -> Option<spikard_http::BodyStream> {
        self.data.extensions.get::<spikard_http::StreamedBody>()?.take()
    }

    pub fn files(&self) -> &[UploadedFile] {
        &self.data.files
    }

    /// The dependency named `name` (declared with `Route::depends_on`) as a `T`.
    pub fn dep<T: std::any::Any + Send + Sync>(&self, name: &str) -> Result<std::sync::Arc<T>, Error> {
        let resolved = self
            .dependencies()
            .and_then(|d| d.get(name))
            .ok_or_else(|| Error::internal(format!("dependency '{name}' is not declared for this route")))?;
        resolved
            .downcast::<T>()
            .ok_or_else(|| Error::internal(format!("dependency '{name}' is not a {}", std::any::type_name::<T>())))
    }

    /// The JSON view of a dependency, when it has one.
    pub fn dep_json(&self, name: &str) -> Option<&Value> {
        self.dependencies().and_then(|d| d.json(name))
    }

    /// Every dependency resolved for this request.
    pub fn dependencies(&self) -> Option<&Dependencies> {
        self.data.extensions.get::<Dependencies>()
    }

    /// The underlying binding-neutral request data.
    pub fn data(&self) -> &RequestData {
        &self.data
    }
}
