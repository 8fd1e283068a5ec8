//! `runner-tunnel`: serve the demo registry over the Runner tunnel protocol.
//!
//! ```sh
//! cargo run --release -p runner-tunnel -- --port 7070 --token secret [--base-path /__runner]
//!     [--host 127.0.0.1] [--request-timeout-ms N] [--cors-origin ORIGIN]... [--json-limit BYTES]
//! ```

use std::time::Duration;

use runner_tunnel::{demo, mount, Auth, TunnelConfig};
use spikard::{App, CorsConfig};

struct Args {
    host: String,
    port: u16,
    config: TunnelConfig,
}

fn usage(problem: &str) -> ! {
    eprintln!("runner-tunnel: {problem}");
    eprintln!(
        "usage: runner-tunnel --port P --token T [--base-path /__runner] [--host 127.0.0.1] \
         [--request-timeout-ms N] [--cors-origin ORIGIN]... [--json-limit BYTES]"
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut args = std::env::args().skip(1);
    let (mut host, mut port, mut tokens) = ("127.0.0.1".to_owned(), None, Vec::new());
    let mut config = TunnelConfig::new(Auth::Anonymous, demo::exposure());
    let mut origins = Vec::new();
    while let Some(flag) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        match flag.as_str() {
            "--port" => port = Some(value().parse().unwrap_or_else(|_| usage("--port takes a number"))),
            "--token" => tokens.push(value()),
            "--base-path" => config.base_path = value(),
            "--host" => host = value(),
            "--request-timeout-ms" => {
                let ms: u64 = value()
                    .parse()
                    .unwrap_or_else(|_| usage("--request-timeout-ms takes a number"));
                config.request_timeout = Some(Duration::from_millis(ms));
            }
            "--cors-origin" => origins.push(value()),
            "--json-limit" => {
                config.json_max_size = value().parse().unwrap_or_else(|_| usage("--json-limit takes a number"));
            }
            "--help" | "-h" => usage("help"),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    if tokens.is_empty() {
        usage("--token is required");
    }
    config.auth = Auth::Token {
        header: runner_tunnel::config::DEFAULT_TOKEN_HEADER.into(),
        tokens,
    };
    if !origins.is_empty() {
        config.cors = Some(CorsConfig {
            allowed_origins: origins,
            allowed_methods: vec!["POST".into(), "GET".into()],
            allowed_headers: vec![
                "content-type".into(),
                "x-runner-token".into(),
                "x-runner-context".into(),
            ],
            ..Default::default()
        });
    }
    Args {
        host,
        port: port.unwrap_or_else(|| usage("--port is required")),
        config,
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    spikard::init_logging();
    let Args { host, port, config } = parse_args();
    let base = config.normalized_base();
    let mut app = App::new();
    mount(&mut app, demo::registry(), config)?;
    println!("runner-tunnel listening on http://{host}:{port}{base}");
    app.run(&host, port).await?;
    Ok(())
}
