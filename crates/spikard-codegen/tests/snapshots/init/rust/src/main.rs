//! Serves the app on HOST:PORT (default 127.0.0.1:8000).

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let host = std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".into());
    let port = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8000);
    let app = hello::app().map_err(|e| std::io::Error::other(e.to_string()))?;
    app.run(&host, port).await
}
