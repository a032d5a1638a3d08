//! `wxgate migrate`: apply the pending database migrations and exit.

use std::path::Path;
use std::process::ExitCode;

use crate::startup;

pub async fn run(data_dir: &Path, listen: std::net::SocketAddr) -> ExitCode {
    let context =
        match startup::prepared_context("migrate", data_dir, listen, ExitCode::FAILURE).await {
            Ok(context) => context,
            Err(code) => return code,
        };
    match context.db.schema_version().await {
        Ok(version) => {
            println!(
                "{} database is up to date (schema version {version}).",
                context.db.backend().label()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("wxgate migrate failed: {error}");
            ExitCode::FAILURE
        }
    }
}
