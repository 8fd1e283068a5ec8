//! Handlers of the `trees` operations: generated stubs answering the document's example
//! data. Replace their bodies with your logic; the signatures follow the document.

use crate::models;
use crate::spec;
use spikard::{Ctx, Error, Json, StatusCode};

/// getTree (`GET /trees/{id}`).
pub async fn get_tree(ctx: Ctx) -> Result<(StatusCode, Json<models::Node>), Error> {
    let _id: i64 = ctx.path("id")?;
    let answer: models::Node = spec::example("getTree")?;
    Ok((spec::status(200), Json(answer)))
}

/// class (`DELETE /trees/{id}`).
pub async fn class(ctx: Ctx) -> Result<StatusCode, Error> {
    let _id: i64 = ctx.path("id")?;
    Ok(spec::status(204))
}
