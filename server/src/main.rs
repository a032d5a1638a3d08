//! The `wxgate` binary: reads the command line and runs the chosen command.

use std::process::ExitCode;

use clap::Parser;

use wxgate::cli::{Cli, Command};
use wxgate::{commands, logging, startup};

#[tokio::main]
async fn main() -> ExitCode {
    // `.env` is optional; variables already in the environment win over it.
    let dotenv = dotenvy::dotenv();
    let cli = Cli::parse();
    logging::init();
    if let Err(dotenvy::Error::LineParse(line, _)) = &dotenv {
        eprintln!("wxgate cannot start: .env has a line it cannot read: {line}");
        return ExitCode::from(startup::CONFIG_EXIT_CODE);
    }
    match cli.command {
        None => commands::serve::run(&cli.data_dir, &cli.serve).await,
        Some(Command::Serve(serve)) => commands::serve::run(&cli.data_dir, &serve).await,
        Some(Command::Migrate) => commands::migrate::run(&cli.data_dir, cli.serve.addr).await,
        Some(Command::Doctor) => commands::doctor::run(&cli.data_dir, cli.serve.addr).await,
        Some(Command::Tools(tool)) => commands::tools::run(&tool),
        Some(Command::Reconcile { date }) => {
            commands::reconcile::run(&cli.data_dir, cli.serve.addr, &date).await
        }
        Some(Command::Sandbox(sandbox)) => commands::sandbox::run(&cli.data_dir, &sandbox).await,
        Some(Command::Openapi) => commands::openapi::run(),
        Some(Command::Events(events)) => {
            commands::events::run(&cli.data_dir, cli.serve.addr, &events).await
        }
        Some(Command::Clients(clients)) => {
            commands::clients::run(&cli.data_dir, cli.serve.addr, &clients).await
        }
        Some(Command::Keys(keys)) => {
            commands::keys::run(&cli.data_dir, cli.serve.addr, &keys).await
        }
    }
}
