//! Handlers of the `pets` operations: generated stubs answering the document's example
//! data. Replace their bodies with your logic; the signatures follow the document.

use crate::models;
use crate::spec;
use spikard::{Ctx, Error, Json, StatusCode};

/// listPets (`GET /pets`).
pub async fn list_pets(ctx: Ctx) -> Result<(StatusCode, Json<Vec<models::Pet>>), Error> {
    let _limit: Option<i64> = ctx.query_param("limit")?;
    let answer: Vec<models::Pet> = spec::example("listPets")?;
    Ok((spec::status(200), Json(answer)))
}

/// createPet (`POST /pets`).
pub async fn create_pet(ctx: Ctx) -> Result<(StatusCode, Json<models::Pet>), Error> {
    let _body: models::NewPet = ctx.json()?;
    let answer: models::Pet = spec::example("createPet")?;
    Ok((spec::status(201), Json(answer)))
}

/// showPetById (`GET /pets/{petId}`).
pub async fn show_pet_by_id(ctx: Ctx) -> Result<(StatusCode, Json<models::Pet>), Error> {
    let _pet_id: i64 = ctx.path("petId")?;
    let answer: models::Pet = spec::example("showPetById")?;
    Ok((spec::status(200), Json(answer)))
}
