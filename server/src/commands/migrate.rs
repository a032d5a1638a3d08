//! `wxgate migrate`: apply the pending database migrations and exit.

use std::path::Path;
use std::process::ExitCode;

use crate::startup;

pub async fn run(data_dir: &Path, listen: std::net::SocketAddr) -> ExitCode {
    let context = match startup::check(&app::ssr::config::Vars::from_env(), data_dir, listen).await
    {
        Ok(ready) => ready.context,
        Err(problems) => {
            eprintln!("{problems}");
            return ExitCode::from(startup::CONFIG_EXIT_CODE);
        }
    };
    if let Err(error) = startup::prepare(&context).await {
        eprintln!("wxgate migrate failed: {error}");
        return ExitCode::FAILURE;
    }
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
