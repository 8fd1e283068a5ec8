//! `spikard init NAME --lang python|rust`: a runnable project with one route, a test
//! through the language's TestClient, and a README with the two commands that matter.

use super::python_dto::py_str;
use super::rust_dto::rs_str;
use super::{Lang, Options};
use crate::error::{CodegenError, Result};
use crate::names::snake;
use crate::output::Files;

/// The files of a new project.
pub fn generate(lang: Lang, options: &Options) -> Result<Files> {
    let name = options.name.trim();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(CodegenError::Usage(format!(
            "'{name}' is not a project name: use letters, digits, '-' and '_'"
        )));
    }
    Ok(match lang {
        Lang::Python => python(name),
        Lang::Rust => rust(name, options),
    })
}

fn python(name: &str) -> Files {
    let mut files = Files::default();
    files.add(
        "pyproject.toml",
        format!(
            "[project]\nname = {}\nversion = \"0.1.0\"\nrequires-python = \">=3.10\"\ndependencies = [\"spikard\", \"msgspec>=0.18\"]\n\n[project.optional-dependencies]\ndev = [\"pytest>=8\"]\n\n[tool.ruff]\nline-length = 120\n\n[tool.mypy]\nstrict = true\nfiles = [\"app.py\", \"test_app.py\"]\n",
            py_str(name)
        ),
    );
    files.add(
        "app.py",
        format!(
            r#""""{name}: a Spikard app (``python app.py`` serves it on http://127.0.0.1:8000, docs at /docs)."""

from __future__ import annotations

import os

import msgspec
from spikard import Spikard
from spikard.config import OpenApiConfig, ServerConfig


class Greeting(msgspec.Struct):
    message: str


app = Spikard(ServerConfig(openapi=OpenApiConfig(title={title}, version="0.1.0")))


@app.get("/hello/{{name}}")
async def hello(name: str) -> Greeting:
    """Greet someone by name."""
    return Greeting(message=f"Hello, {{name}}!")


if __name__ == "__main__":
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "8000")))
"#,
            title = py_str(name)
        ),
    );
    files.add(
        "test_app.py",
        r#""""The app through Spikard's in-memory TestClient (the real Rust pipeline, no socket)."""

from __future__ import annotations

from spikard.testing import TestClient

from app import app


def test_hello() -> None:
    res = TestClient(app).get("/hello/Ada")
    assert res.status_code == 200
    assert res.json() == {"message": "Hello, Ada!"}
"#,
    );
    files.add(
        "README.md",
        format!("# {name}\n\nA [Spikard](https://example.invalid/spikard) app.\n\n```sh\npython app.py          # serves http://127.0.0.1:8000/hello/you (docs at /docs)\npython -m pytest       # runs the tests\n```\n"),
    );
    files
}

fn rust(name: &str, options: &Options) -> Files {
    let krate = name.replace('_', "-").to_ascii_lowercase();
    let lib = snake(name);
    let spikard = options
        .spikard_dependency
        .clone()
        .unwrap_or_else(|| format!("\"{}\"", env!("CARGO_PKG_VERSION")));
    let mut files = Files::default();
    files.add(
        "Cargo.toml",
        format!(
            "[package]\nname = \"{krate}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\nspikard = {spikard}\nserde = {{ version = \"1\", features = [\"derive\"] }}\nserde_json = \"1\"\nschemars = \"1\"\ntokio = {{ version = \"1\", features = [\"rt-multi-thread\", \"macros\"] }}\n\n[workspace]\n"
        ),
    );
    files.add(
        "src/lib.rs",
        format!(
            r#"//! {name}: a Spikard app.

use schemars::JsonSchema;
use serde::Serialize;
use spikard::{{get, App, Ctx, Error, Json, OpenApiConfig}};

#[derive(Serialize, JsonSchema)]
pub struct Greeting {{
    pub message: String,
}}

/// The app: `GET /hello/{{name}}`, and the API docs at `/docs`.
pub fn app() -> Result<App, Error> {{
    let mut app = App::new();
    app.openapi(OpenApiConfig {{
        title: {title}.into(),
        ..Default::default()
    }});
    app.route(get("/hello/{{name}}").response::<Greeting>(200).handler(|ctx: Ctx| async move {{
        let name: String = ctx.path("name")?;
        Ok::<_, Error>(Json(Greeting {{
            message: format!("Hello, {{name}}!"),
        }}))
    }}))?;
    Ok(app)
}}
"#,
            title = rs_str(name)
        ),
    );
    files.add(
        "src/main.rs",
        format!(
            "//! Serves the app on HOST:PORT (default 127.0.0.1:8000).\n\n#[tokio::main]\nasync fn main() -> std::io::Result<()> {{\n    let host = std::env::var(\"HOST\").unwrap_or_else(|_| \"127.0.0.1\".into());\n    let port = std::env::var(\"PORT\").ok().and_then(|p| p.parse().ok()).unwrap_or(8000);\n    let app = {lib}::app().map_err(|e| std::io::Error::other(e.to_string()))?;\n    app.run(&host, port).await\n}}\n"
        ),
    );
    files.add(
        "tests/hello.rs",
        format!(
            "//! The app through Spikard's in-memory TestClient (the real pipeline, no socket).\n\n#[tokio::test]\nasync fn hello() {{\n    let client = {lib}::app().expect(\"the app builds\").test_client();\n    let res = client.get(\"/hello/Ada\").send().await;\n    assert_eq!(res.status, 200);\n    assert_eq!(res.json(), serde_json::json!({{\"message\": \"Hello, Ada!\"}}));\n}}\n"
        ),
    );
    files.add(
        "README.md",
        format!("# {name}\n\nA [Spikard](https://example.invalid/spikard) app.\n\n```sh\ncargo run    # serves http://127.0.0.1:8000/hello/you (docs at /docs)\ncargo test   # runs the tests\n```\n"),
    );
    files
}
