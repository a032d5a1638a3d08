//! `wxgate migrate`: apply the pending database migrations and exit.

use std::path::Path;
use std::process::ExitCode;

use crate::startup;

pub async fn run(data_dir: &Path, local_base: &str) -> ExitCode {
    let context = match startup::check(data_dir, local_base).await {
        Ok(ready) => ready.context,
        Err(problems) => {
            eprintln!("{problems}");
            return ExitCode::from(startup::CONFIG_EXIT_CODE);
        }
    };
    let applied = async {
        context.db.migrate().await?;
        context.db.schema_version().await
    };
    match applied.await {
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
