//! `wxgate sandbox`: the WeChat sandbox alone, for any app or SDK; `wxgate sandbox credentials` prints its keys.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;

use tokio::net::TcpListener;

use crate::cli::{SandboxAction, SandboxArgs};
use sandbox::credentials::SandboxCredentials;
use sandbox::{self, Sandbox};

pub async fn run(data_dir: &Path, args: &SandboxArgs) -> ExitCode {
    let credentials = match SandboxCredentials::load_or_create(data_dir) {
        Ok(credentials) => credentials,
        Err(error) => {
            eprintln!("wxgate sandbox cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    match &args.action {
        Some(SandboxAction::Credentials { port }) => {
            print_credentials(credentials, &base_url(&args.host, *port))
        }
        None => serve(credentials, args).await,
    }
}

fn base_url(host: &str, port: u16) -> String {
    format!("http://{host}:{port}")
}

/// Prints, as JSON, everything a merchant client needs, with the base URLs of a sandbox on `base`.
fn print_credentials(credentials: SandboxCredentials, base: &str) -> ExitCode {
    match credentials
        .with_bases(base)
        .and_then(|printed| serde_json::to_string_pretty(&printed))
    {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("wxgate sandbox credentials: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(credentials: SandboxCredentials, args: &SandboxArgs) -> ExitCode {
    let address: SocketAddr = match format!("{}:{}", args.host, args.port).parse() {
        Ok(address) => address,
        Err(_) => {
            eprintln!(
                "wxgate sandbox: {}:{} is not an address to listen on",
                args.host, args.port
            );
            return ExitCode::FAILURE;
        }
    };
    let listener = match TcpListener::bind(address).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("wxgate sandbox cannot listen on {address}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let base = base_url(&args.host, args.port);
    tracing::info!(
        address = %base,
        mchid = %credentials.mchid,
        "the WeChat sandbox is listening; `wxgate sandbox credentials --port {}` prints its keys",
        args.port
    );
    let sandbox = match Sandbox::new(
        credentials,
        base,
        std::env::var(sandbox::pay::TIME_SCALE_ENV).ok().as_deref(),
        std::env::var(sandbox::pay::BILLS_ENV).ok().as_deref(),
    ) {
        Ok(sandbox) => sandbox,
        Err(error) => {
            eprintln!("wxgate sandbox cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    match sandbox::serve_alone(sandbox, listener, std::future::pending()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "the sandbox stopped");
            ExitCode::FAILURE
        }
    }
}
