//! Shapes: the app, every operation of the document registered with its schemas.

pub mod handlers;
pub mod models;
pub mod spec;

use spikard::{App, Error, OpenApiConfig};

/// The app with every operation of the document.
pub fn app() -> Result<App, Error> {
    let mut app = App::new();
    app.openapi(OpenApiConfig {
        title: "Shapes".into(),
        version: "2.1.0".into(),
        description: Some("Names that collide, nullable fields, a discriminated union, a recursive tree, keywords as names.".into()),
        ..Default::default()
    });
    app.route(spec::route("createShape")?.handler(handlers::shapes::create_shape))?;
    app.route(spec::route("getTree")?.handler(handlers::trees::get_tree))?;
    app.route(spec::route("class")?.handler(handlers::trees::class))?;
    Ok(app)
}
