//! Handlers of the `shapes` operations: generated stubs answering the document's example
//! data. Replace their bodies with your logic; the signatures follow the document.

use crate::models;
use crate::spec;
use spikard::{Ctx, Error, Json, StatusCode};

/// createShape (`POST /shapes`).
pub async fn create_shape(ctx: Ctx) -> Result<(StatusCode, Json<models::Shape>), Error> {
    let _x_request_id: Option<String> = spec::param(ctx.header_params(), "x-request-id")?;
    let _dry_run: Option<bool> = ctx.query_param("dry-run")?;
    let _body: models::Shape = ctx.json()?;
    let answer: models::Shape = spec::example("createShape")?;
    Ok((spec::status(201), Json(answer)))
}
