//! The route matcher: patterns parsed from the input, and lookups of arbitrary methods
//! and paths (percent-decoded as the pipeline does) in a router of typical routes.
//!
//! Input: lines. The first is the method, the second the raw path; further lines are
//! patterns registered in a second router before the same lookup.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use spikard_core::route_pattern::RoutePattern;
use spikard_core::router::{RouteMatch, Router};
use spikard_http::limits::decode_path;

const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/items"),
    ("POST", "/items"),
    ("GET", "/items/{id:int}"),
    ("DELETE", "/items/{id:int}"),
    ("GET", "/items/special"),
    ("GET", "/users/{user_id:uuid}/posts/{slug}"),
    ("PUT", "/users/{user_id:uuid}/posts/{slug}"),
    ("GET", "/prices/{amount:float}"),
    ("GET", "/days/{day:date}"),
    ("GET", "/flags/{on}"),
    ("GET", "/files/{rest:path}"),
    ("POST", "/files/upload"),
    ("GET", "/a/{b}/c/{d}/e"),
    ("GET", "/a/b/{c}/d"),
];

fn router() -> &'static Router<usize> {
    static ROUTER: OnceLock<Router<usize>> = OnceLock::new();
    ROUTER.get_or_init(|| {
        let mut r = Router::new();
        for (i, (m, p)) in ROUTES.iter().enumerate() {
            r.insert(m, p, i).expect("the fixed routes do not conflict");
        }
        r
    })
}

fn check(router: &Router<usize>, method: &str, path: &str) {
    let found = router.find(method, path);
    let resolved = router.resolve(method, path);
    match found {
        Some(RouteMatch::Found { value, params }) => {
            let (v, p) = resolved.expect("find and resolve agree");
            assert_eq!((value, &params), (v, &p));
        }
        Some(RouteMatch::MethodNotAllowed { allow }) => {
            assert!(!allow.is_empty(), "405 without an Allow list for {method} {path}");
            assert_eq!(resolved.err().map(|e| e.status()), Some(405));
        }
        Some(RouteMatch::NotFound) | None => {
            assert_eq!(resolved.err().map(|e| e.status()), Some(404));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.split('\n');
    let method = lines.next().unwrap_or_default();
    let raw_path = lines.next().unwrap_or_default();
    let Ok(path) = decode_path(raw_path) else {
        return;
    };
    check(router(), method, &path);
    check(router(), &method.to_ascii_uppercase(), &path);

    let mut own = Router::new();
    for (i, pattern) in lines.take(16).enumerate() {
        if let Ok(parsed) = RoutePattern::parse(pattern) {
            // A parsed pattern keeps its text and names each parameter once.
            assert_eq!(parsed.as_str(), pattern);
            let names = parsed.param_names();
            let mut unique = names.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), names.len(), "duplicate parameter in {pattern}");
        }
        let _ = own.insert(if i % 2 == 0 { method } else { "GET" }, pattern, i);
    }
    check(&own, method, &path);
    check(&own, "GET", &path);
});
