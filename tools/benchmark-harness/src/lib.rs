//! Shared pieces of the benchmark harness: the workload table (requests and the answers a
//! correct contestant must give), response checking, the built-in HTTP/1.1 load generator,
//! the optional `wrk` load generator, the SVG chart, and the port handling used by the
//! contestant servers.

pub mod chart;
pub mod check;
pub mod loadgen;
pub mod payloads;
pub mod workload;
pub mod wrk;

/// Port for a contestant server: `--port N` (or `--port=N`) on the command line, else the
/// `PORT` environment variable, else 8000.
pub fn port_from_args() -> Result<u16, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        if let Some(v) = arg.strip_prefix("--port=") {
            return parse_port(v);
        }
        if arg == "--port" {
            let v = args.get(i + 1).ok_or("--port needs a value")?;
            return parse_port(v);
        }
        i += 1;
    }
    match std::env::var("PORT") {
        Ok(v) => parse_port(&v),
        Err(_) => Ok(8000),
    }
}

fn parse_port(v: &str) -> Result<u16, String> {
    v.trim().parse().map_err(|_| format!("invalid port {v:?}"))
}
