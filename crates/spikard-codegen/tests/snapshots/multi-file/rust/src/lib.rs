//! Multi-file pet store: the app, every operation of the document registered with its schemas.

pub mod handlers;
pub mod models;
pub mod spec;

use spikard::{App, Error, OpenApiConfig};

/// The app with every operation of the document.
pub fn app() -> Result<App, Error> {
    let mut app = App::new();
    app.openapi(OpenApiConfig {
        title: "Multi-file pet store".into(),
        version: "1.0.0".into(),
        ..Default::default()
    });
    app.route(spec::route("listPets")?.handler(handlers::pets::list_pets))?;
    app.route(spec::route("createPet")?.handler(handlers::pets::create_pet))?;
    app.route(spec::route("showPetById")?.handler(handlers::pets::show_pet_by_id))?;
    Ok(app)
}
