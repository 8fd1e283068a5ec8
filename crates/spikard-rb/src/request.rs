//! `Spikard::Native::Request`: the request a handler or hook is called with, over the
//! core's shared validated request. Each getter builds its Ruby value when asked (the
//! package's `Spikard::Request` memoizes them), so a handler pays only for what it reads.

use std::sync::Arc;

use magnus::value::ReprValue;
use magnus::{RHash, RString, Ruby, Value as RValue};
use spikard_core::body::multipart::UploadedFile;
use spikard_http::foreign::RequestView;
use spikard_http::handler::{RawTarget, RequestData};

use crate::convert::{binary, hash, to_ruby};

#[magnus::wrap(class = "Spikard::Native::Request", free_immediately, size)]
pub struct NativeRequest(RequestView);

impl NativeRequest {
    pub fn new(data: Arc<RequestData>) -> Self {
        Self(RequestView::new(data))
    }

    fn data(&self) -> &RequestData {
        &self.0.data
    }

    pub fn method(ruby: &Ruby, rb_self: &Self) -> RString {
        ruby.str_new(rb_self.data().method.as_str())
    }

    pub fn path(ruby: &Ruby, rb_self: &Self) -> RString {
        ruby.str_new(&rb_self.data().path)
    }

    /// Path parameters by Symbol, coerced to their schema types.
    pub fn path_params(ruby: &Ruby, rb_self: &Self) -> RHash {
        hash(ruby, &rb_self.data().path_params, true)
    }

    /// Query parameters by Symbol: the declared ones coerced (with their defaults), the
    /// others as sent (a repeated key gives an Array).
    pub fn query(ruby: &Ruby, rb_self: &Self) -> RHash {
        hash(ruby, &rb_self.0.query(), true)
    }

    /// Headers by lower-case String name; a repeated header's values joined with `, `.
    pub fn headers(ruby: &Ruby, rb_self: &Self) -> RHash {
        hash(ruby, &rb_self.0.headers(), false)
    }

    /// Cookies by Symbol.
    pub fn cookies(ruby: &Ruby, rb_self: &Self) -> RHash {
        hash(ruby, &rb_self.0.cookies(), true)
    }

    /// The validated JSON body (a form's fields for a form), `nil` when absent or not JSON.
    pub fn body(ruby: &Ruby, rb_self: &Self) -> RValue {
        match rb_self.0.json() {
            Ok(v) => to_ruby(ruby, &v),
            Err(_) => ruby.qnil().as_value(),
        }
    }

    /// The body bytes as received, a binary String.
    pub fn raw_body(ruby: &Ruby, rb_self: &Self) -> RString {
        binary(ruby, &rb_self.data().raw_body)
    }

    /// The state hooks and middleware handed on, by String key.
    pub fn state(ruby: &Ruby, rb_self: &Self) -> RHash {
        hash(ruby, &rb_self.data().state, false)
    }

    /// The client's address, or `nil`.
    pub fn client(ruby: &Ruby, rb_self: &Self) -> RValue {
        match rb_self.data().client_ip {
            Some(ip) => ruby.str_new(&ip.to_string()).as_value(),
            None => ruby.qnil().as_value(),
        }
    }

    /// A `raw_request` route's target as received: `[path, query or nil, "HTTP/1.1",
    /// authority or nil]`, or `nil` on other routes.
    pub fn raw_target(ruby: &Ruby, rb_self: &Self) -> RValue {
        let Some(t) = rb_self.data().extensions.get::<RawTarget>() else {
            return ruby.qnil().as_value();
        };
        let nil = ruby.qnil().as_value();
        let text = |s: &str| ruby.str_new(s).as_value();
        let version = format!("{:?}", t.version);
        let authority = t.uri.authority().map_or(nil, |a| text(a.as_str()));
        ruby.ary_from_iter([text(t.path()), t.query().map_or(nil, text), text(&version), authority])
            .as_value()
    }

    /// Uploaded files: Hashes with `field_name`, `filename`, `content_type`, `data`.
    pub fn files(ruby: &Ruby, rb_self: &Self) -> magnus::RArray {
        let out = ruby.ary_new();
        for file in &rb_self.data().files {
            let _ = out.push(file_hash(ruby, file));
        }
        out
    }
}

/// An uploaded file as a Hash with Symbol keys `field_name`, `filename`, `content_type`,
/// `data` (binary) and `size`.
pub fn file_hash(ruby: &Ruby, file: &UploadedFile) -> RHash {
    let out = ruby.hash_new();
    let _ = out.aset(ruby.to_symbol("field_name"), ruby.str_new(&file.field_name));
    let _ = out.aset(ruby.to_symbol("filename"), ruby.str_new(&file.filename));
    let _ = out.aset(ruby.to_symbol("content_type"), ruby.str_new(&file.content_type));
    let _ = out.aset(ruby.to_symbol("data"), binary(ruby, &file.data));
    let _ = out.aset(ruby.to_symbol("size"), file.data.len());
    out
}
