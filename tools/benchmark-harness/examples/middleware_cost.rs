//! What each middleware costs per request, Spikard's own against tower-http's, measured in
//! process through the in-memory test client (no sockets, no load generator), one thread,
//! configurations interleaved round by round, the median of the rounds kept. Two requests:
//! `idle` is the harness's `GET /json` (no `Origin`, no `Accept-Encoding`, no request ID
//! sent: the middleware only look), `active` is `GET /big` (a 4 KB JSON answer) with
//! `Origin`, `Accept-Encoding: gzip` and `X-Request-ID` (every middleware works: CORS headers,
//! a propagated ID, gzip at the default quality 4).
//! The harness's `spikard-rust-mw` / `spikard-rust-towerhttp` contestants measure the full
//! sets over HTTP; this one tells the middleware apart, below the noise of a shared machine.
//!
//! ```sh
//! cargo run --release -p benchmark-harness --example middleware_cost [-- REQUESTS ROUNDS]
//! # pin it to one core on a shared machine: taskset -c 0 target/release/examples/middleware_cost
//! ```

use std::time::{Duration, Instant};

use serde_json::json;
use spikard::{
    get, App, CompressionConfig, CorsConfig, Ctx, Json, RequestIdConfig, RequestTimeoutConfig, ServerConfig,
};
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::cors::{Any, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;

const DEADLINE: Duration = Duration::from_secs(30);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Item {
    Compression,
    Cors,
    RequestId,
    Timeout,
}

const ALL: [Item; 4] = [Item::Compression, Item::Cors, Item::RequestId, Item::Timeout];

#[derive(Clone, Copy)]
enum Setup {
    Plain,
    NoOpLayer,
    Spikard(&'static [Item]),
    TowerHttp(&'static [Item]),
}

impl Setup {
    fn has(self, item: Item) -> bool {
        match self {
            Self::Spikard(items) | Self::TowerHttp(items) => items.contains(&item),
            Self::Plain | Self::NoOpLayer => false,
        }
    }
}

fn app(setup: Setup) -> App {
    let mut config = ServerConfig {
        request_id: None,
        ..ServerConfig::default()
    };
    if let Setup::Spikard(items) = setup {
        for item in items {
            match item {
                Item::Compression => config.compression = Some(CompressionConfig::default()),
                Item::Cors => {
                    config.cors = Some(CorsConfig {
                        allowed_origins: vec!["*".into()],
                        ..CorsConfig::default()
                    });
                }
                Item::RequestId => config.request_id = Some(RequestIdConfig::default()),
                Item::Timeout => {
                    config.request_timeout = Some(RequestTimeoutConfig {
                        seconds: DEADLINE.as_secs_f64(),
                    });
                }
            }
        }
    }
    let mut app = App::with_config(config);
    app.route(get("/json").handler(|_ctx: Ctx| async move { Json(json!({"message": "hello", "id": 1, "ok": true})) }))
        .unwrap_or_else(|e| panic!("{e}"));
    app.route(get("/big").handler(|_ctx: Ctx| async move {
        let items: Vec<_> = (0..40)
            .map(|i| json!({"sku": format!("SKU-{i:04}"), "quantity": i % 7 + 1, "price": 9.99, "tags": ["a", "b"]}))
            .collect();
        Json(json!({"id": 1, "customer": "ada", "items": items}))
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    let defaults = CompressionConfig::default();
    let compression = || {
        CompressionLayer::new()
            .quality(CompressionLevel::Precise(defaults.quality as i32))
            .compress_when(
                SizeAbove::new(defaults.min_size as u64)
                    .and(NotForContentType::GRPC)
                    .and(NotForContentType::IMAGES)
                    .and(NotForContentType::SSE),
            )
    };
    let cors = || {
        CorsLayer::new()
            .allow_origin(Any)
            .allow_methods([http::Method::GET, http::Method::HEAD, http::Method::POST])
    };
    let timeout = || TimeoutLayer::with_status_code(http::StatusCode::REQUEST_TIMEOUT, DEADLINE);
    let request_id = || {
        tower::ServiceBuilder::new()
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
            .layer(PropagateRequestIdLayer::x_request_id())
    };
    match setup {
        Setup::Plain | Setup::Spikard(_) => {}
        Setup::NoOpLayer => {
            app.layer(tower::layer::util::Identity::new());
        }
        Setup::TowerHttp(items) if items.len() == ALL.len() => {
            app.layer(
                tower::ServiceBuilder::new()
                    .layer(request_id())
                    .layer(cors())
                    .layer(compression())
                    .layer(timeout()),
            );
        }
        Setup::TowerHttp(items) => {
            for item in items {
                match item {
                    Item::Compression => app.layer(compression()),
                    Item::Cors => app.layer(cors()),
                    Item::RequestId => app.layer(request_id()),
                    Item::Timeout => app.layer(timeout()),
                };
            }
        }
    }
    app
}

fn main() {
    let mut args = std::env::args().skip(1);
    let requests: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(7);
    let setups: Vec<(&str, Setup)> = vec![
        ("no middleware", Setup::Plain),
        ("one no-op tower layer", Setup::NoOpLayer),
        ("spikard compression", Setup::Spikard(&[Item::Compression])),
        ("tower-http compression", Setup::TowerHttp(&[Item::Compression])),
        ("spikard cors", Setup::Spikard(&[Item::Cors])),
        ("tower-http cors", Setup::TowerHttp(&[Item::Cors])),
        ("spikard request id", Setup::Spikard(&[Item::RequestId])),
        ("tower-http request id", Setup::TowerHttp(&[Item::RequestId])),
        ("spikard timeout", Setup::Spikard(&[Item::Timeout])),
        ("tower-http timeout", Setup::TowerHttp(&[Item::Timeout])),
        ("spikard all four", Setup::Spikard(&ALL)),
        ("tower-http all four", Setup::TowerHttp(&ALL)),
    ];
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let clients: Vec<_> = setups.iter().map(|(_, s)| app(*s).test_client()).collect();
    for active in [false, true] {
        // Compressing 4 KB costs far more than looking at headers: fewer requests per round.
        let n = if active { (requests / 20).max(1) } else { requests };
        let mut samples = vec![Vec::new(); setups.len()];
        runtime.block_on(async {
            for round in 0..=rounds {
                for (i, client) in clients.iter().enumerate() {
                    let started = Instant::now();
                    for _ in 0..n {
                        let res = if active {
                            client
                                .get("/big")
                                .header("origin", "https://app.example")
                                .header("accept-encoding", "gzip")
                                .header("x-request-id", "req-42")
                                .send()
                                .await
                        } else {
                            client.get("/json").send().await
                        };
                        assert_eq!(res.status, 200);
                        if active {
                            let encoding = res.header("content-encoding");
                            let compressed = setups[i].1.has(Item::Compression);
                            assert_eq!(encoding.is_some(), compressed, "{}", setups[i].0);
                        }
                    }
                    // Round 0 warms up.
                    if round > 0 {
                        samples[i].push(started.elapsed().as_nanos() as f64 / f64::from(n));
                    }
                }
            }
        });
        report(&setups, &mut samples, if active { "active" } else { "idle" }, rounds, n);
    }
}

fn report(setups: &[(&str, Setup)], samples: &mut [Vec<f64>], name: &str, rounds: usize, n: u32) {
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let base = median(&mut samples[0].clone());
    let layer = median(&mut samples[1].clone());
    println!("\n{name}: ns/request, median of {rounds} rounds of {n} requests\n");
    println!("| setup | ns/request | min..max | over no middleware | over its baseline |");
    println!("|---|---:|---:|---:|---:|");
    for (i, (label, setup)) in setups.iter().enumerate() {
        let (min, max) = samples[i]
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        let m = median(&mut samples[i]);
        let baseline = match setup {
            Setup::TowerHttp(_) => layer,
            _ => base,
        };
        println!(
            "| {label} | {m:.0} | {min:.0}..{max:.0} | {:+.0} | {:+.0} |",
            m - base,
            m - baseline
        );
    }
}
