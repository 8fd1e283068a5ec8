//! OpenAPI 3.0/3.1 documents to Spikard projects.
//!
//! The pipeline: [`load`] (JSON or YAML) → [`resolve`] (local and multi-file `$ref`,
//! bundled into one document) → [`normalize`] (3.0 schemas to JSON Schema 2020-12, as
//! OpenAPI 3.1 has them) → [`model`] (operations and component schemas, language-neutral)
//! → an emitter ([`emit::python`], [`emit::rust`]) → [`output::Files`], written all at once
//! (into a temporary directory, then moved) so that nothing is half-written.
//!
//! ```
//! use serde_json::json;
//! use spikard_codegen::model::Api;
//! let doc = json!({"openapi": "3.0.3", "info": {"title": "Pets", "version": "1"},
//!   "paths": {"/pets/{id}": {"get": {"operationId": "getPet",
//!     "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
//!     "responses": {"200": {"description": "ok", "content": {"application/json": {
//!       "schema": {"type": "string", "nullable": true}}}}}}}}});
//! let api = Api::from_document(doc, std::path::Path::new("pets.json")).unwrap();
//! assert_eq!(api.operations[0].id, "getPet");
//! assert_eq!(api.operations[0].pattern, "/pets/{id:int}");
//! assert_eq!(api.operations[0].responses[0].schema, Some(json!({"type": ["string", "null"]})));
//! ```

pub mod compare;
pub mod emit;
pub mod error;
pub mod example;
pub mod load;
pub mod model;
pub mod names;
pub mod normalize;
pub mod output;
pub mod probe;
pub mod requests;
pub mod resolve;
pub mod routespec;
pub mod types;
pub mod validate;

pub use error::{CodegenError, Result};

use std::path::Path;

use emit::{Lang, Options};
use output::Files;

/// Generate the project for the document in `spec` (everything in memory; nothing written).
pub fn generate_openapi(spec: &Path, lang: Lang, options: &Options) -> Result<Files> {
    let api = model::Api::load(spec)?;
    match lang {
        Lang::Python => emit::python::generate(&api, options),
        Lang::Rust => emit::rust::generate(&api, options),
    }
}
