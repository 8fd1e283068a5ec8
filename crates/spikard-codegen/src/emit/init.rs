//! `spikard init`: a new project.
use super::{Lang, Options};
use crate::error::{CodegenError, Result};
use crate::output::Files;
pub fn generate(_lang: Lang, _options: &Options) -> Result<Files> {
    Err(CodegenError::Usage("init: not yet".into()))
}
