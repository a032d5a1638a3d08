//! Structured logs with tracing: human-readable by default, JSON lines with `LOG_FORMAT=json`.

use tracing_subscriber::EnvFilter;

/// Logs go to standard error, filtered by `RUST_LOG` (default: info for wxgate, warnings for the libraries).
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_sessions=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("LOG_FORMAT").is_ok_and(|format| format == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}
