//! Fixtures with a `file_response` section: the handler answers with a file holding
//! `content` (written to a temporary file first), named `filename`, shown `inline` or
//! offered as a download, with `media_type` when given; `missing: true` names a file
//! that does not exist. Validators, conditions and ranges are the core's.

use std::path::PathBuf;

use http::{header, HeaderValue, StatusCode};
use serde_json::Value;
use spikard::{App, Ctx};
use spikard_http::file::FileBody;
use spikard_http::{HandlerResponse, ResponseBody, RouteSpec};

use super::Built;
use crate::fixture::Fixture;
use crate::play::route_builder;

/// What a `file_response` fixture's handler answers with.
#[derive(Debug, Clone)]
pub struct FileAnswer {
    pub path: PathBuf,
    pub filename: Option<String>,
    pub inline: bool,
    pub media_type: Option<String>,
}

impl FileAnswer {
    pub fn response(&self) -> HandlerResponse {
        let mut file = FileBody::path(&self.path);
        if let Some(name) = &self.filename {
            file = file.download(name);
        }
        if self.inline {
            file = file.inline();
        }
        let mut response = HandlerResponse::new(StatusCode::OK, ResponseBody::File(Box::new(file)));
        if let Some(v) = self.media_type.as_deref().and_then(|m| HeaderValue::from_str(m).ok()) {
            response.headers.insert(header::CONTENT_TYPE, v);
        }
        response
    }
}

/// The fixture's file answer (its content written to a temporary file), if it has one.
pub fn file_answer(f: &Fixture) -> Option<Result<FileAnswer, String>> {
    let section = f.json.get("file_response")?;
    let text = |k: &str| section.get(k).and_then(Value::as_str).map(str::to_owned);
    let dir = std::env::temp_dir().join(format!("spikard-e2e-files-{}", std::process::id()));
    let stem: String =
        f.id.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
    let path = dir.join(stem);
    let written = if section.get("missing").and_then(Value::as_bool) == Some(true) {
        Ok(())
    } else {
        std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(&path, text("content").unwrap_or_default()))
            .map_err(|e| format!("file_response: cannot write {}: {e}", path.display()))
    };
    Some(written.map(|()| FileAnswer {
        path,
        filename: text("filename"),
        inline: section.get("inline").and_then(Value::as_bool) == Some(true),
        media_type: text("media_type"),
    }))
}

pub fn build(f: &Fixture, _app: &mut App, spec: RouteSpec) -> Result<Built, String> {
    let Some(answer) = file_answer(f) else {
        return Ok(Built::NotMine(spec));
    };
    let answer = answer?;
    let route = route_builder(f, spec).handler(move |_ctx: Ctx| {
        let response = answer.response();
        async move { response }
    });
    Ok(Built::Route(route))
}
