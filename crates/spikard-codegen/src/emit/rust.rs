//! The Rust emitter.
use super::Options;
use crate::error::{CodegenError, Result};
use crate::model::Api;
use crate::output::Files;
pub fn generate(_api: &Api, _options: &Options) -> Result<Files> {
    Err(CodegenError::Usage("rust: not yet".into()))
}
