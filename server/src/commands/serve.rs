//! `wxgate serve`: check the configuration, migrate, and serve until Ctrl-C or SIGTERM.

use std::path::Path;
use std::process::ExitCode;

use app::ssr::config::Vars;
use tokio::net::TcpListener;

use crate::cli::ServeArgs;
use crate::{launch, metrics};

pub async fn run(data_dir: &Path, args: &ServeArgs) -> ExitCode {
    let wxgate = match launch::prepare(&Vars::from_env(), data_dir, args).await {
        Ok(wxgate) => wxgate,
        Err(refusal) => {
            eprintln!("{refusal}");
            return ExitCode::from(refusal.exit_code);
        }
    };
    let listener = match TcpListener::bind(args.addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("wxgate cannot listen on {}: {error}", args.addr);
            return ExitCode::FAILURE;
        }
    };
    let context = wxgate.context();
    if let Some(address) = context.settings.metrics_addr {
        let listener = match TcpListener::bind(address).await {
            Ok(listener) => listener,
            Err(error) => {
                eprintln!("wxgate cannot listen for metrics on {address}: {error}");
                return ExitCode::FAILURE;
            }
        };
        // The recorder is the process's own: only the binary installs it, never a wxgate started in-process.
        let handle = match metrics::install() {
            Ok(handle) => handle,
            Err(error) => {
                eprintln!("wxgate cannot record metrics: {error}");
                return ExitCode::FAILURE;
            }
        };
        tracing::info!(address = %format!("http://{address}/metrics"), "metrics are served");
        tokio::spawn(metrics::serve(listener, handle, context.clone()));
    }
    wxgate.serve(listener, shutdown_signal()).await;
    ExitCode::SUCCESS
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
