//! Hostile input never panics the pipeline and never answers 5xx: random paths,
//! queries, headers and bodies against routes with every kind of declaration.

mod common;

use common::{arc, builder, spec, Echo};
use serde_json::json;
use spikard_http::TestClient;

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }

    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let n = (self.next() % max as u64) as usize;
        (0..n).map(|_| self.next() as u8).collect()
    }
}

const FRAGMENTS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    "%",
    "%zz",
    "%C3%28",
    "%00",
    "\\u0000",
    "1e999",
    "-",
    "null",
    "true",
    "a",
    "é",
    "&",
    "=",
    "[]",
    "--b",
    "\r\n",
    "name",
    "{\"name\":",
    "9999999999999999999999",
    "/",
    "..",
    "\u{1F600}",
];

fn client() -> TestClient {
    let mut b = builder();
    b.route(
        spec(json!({"method": "POST", "path": "/r/{id:int}/{u:uuid}/{d:date}",
            "parameters": {
                "query": {"q": {"type": "array", "items": {"type": "integer"}}, "f": {"type": "number", "optional": true}},
                "headers": {"X-N": {"type": "integer", "optional": true}},
                "cookies": {"c": {"type": "boolean", "optional": true}},
                "files": {"up": {"validate_magic_numbers": true, "content_type": ["image/png"]}}},
            "body_schema": {"type": "object", "properties": {"name": {"type": "string", "pattern": "^[a-z]+$"},
                "tags": {"type": "array", "items": {"type": "string", "format": "email"}}}, "required": ["name"]}})),
        arc(Echo),
    )
    .unwrap();
    b.route(spec(json!({"method": "GET", "path": "/p/{rest:path}"})), arc(Echo))
        .unwrap();
    TestClient::new(b.build().unwrap())
}

fn junk(rng: &mut Rng, parts: usize) -> String {
    (0..parts).map(|_| rng.pick(FRAGMENTS)).collect()
}

#[tokio::test]
async fn random_requests_never_answer_5xx() {
    let c = client();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let content_types = [
        "application/json",
        "application/json; charset=latin1",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=b",
        "multipart/form-data",
        "text/plain",
        "",
    ];
    let mut sent = 0;
    for i in 0..1500 {
        let seg = |rng: &mut Rng| {
            let n = 1 + (rng.next() % 3) as usize;
            junk(rng, n).replace(['/', '?', '#', ' ', '\r', '\n'], "x")
        };
        let path = match i % 3 {
            0 => format!("/r/{}/{}/{}", seg(&mut rng), seg(&mut rng), seg(&mut rng)),
            1 => format!("/r/5/550e8400-e29b-41d4-a716-446655440000/2024-01-0{}", i % 10),
            _ => format!("/p/{}", seg(&mut rng)),
        };
        let n = (rng.next() % 6) as usize;
        let query: String = junk(&mut rng, n).replace(['#', ' ', '\r', '\n'], "");
        let uri = format!("{path}?q={query}&q=1");
        if http::Uri::try_from(uri.as_str()).is_err() {
            // hyper refuses such request targets before they reach the pipeline.
            continue;
        }
        sent += 1;
        let method = if i % 3 == 2 { "GET" } else { "POST" };
        let mut req = c
            .request(method, &uri)
            .header("content-type", rng.pick(&content_types))
            .header("x-n", &junk(&mut rng, 2).replace(['\r', '\n'], ""))
            .header("cookie", &format!("c={}", seg(&mut rng)));
        req = if rng.next() % 2 == 0 {
            req.body(junk(&mut rng, 12))
        } else {
            req.body(rng.bytes(64))
        };
        let res = req.send().await;
        assert!(
            res.status < 500,
            "{method} {uri} answered {}: {}",
            res.status,
            res.text()
        );
        if res.status >= 400 {
            assert_eq!(res.header("content-type"), Some("application/problem+json"), "{uri}");
            assert!(
                res.json()["detail"].as_str().is_some_and(|d| !d.is_empty()),
                "{uri}: {}",
                res.text()
            );
        }
    }
    assert!(sent > 1000, "only {sent} requests were valid HTTP");
}

#[tokio::test]
async fn deep_nesting_is_refused_without_stack_overflow() {
    let c = client();
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let res = c
        .post("/r/1/550e8400-e29b-41d4-a716-446655440000/2024-01-01")
        .header("content-type", "application/json")
        .body(deep)
        .send()
        .await;
    assert_eq!(res.status, 400);
    assert_eq!(res.json()["type"], json!("https://spikard.dev/errors/nesting-too-deep"));
}
