//! The command line: `serve` (the default), `migrate` and `doctor`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// wxgate: WeChat login and WeChat Pay for your product, with a built-in WeChat sandbox.
///
/// Configuration comes from environment variables and an optional `.env` file in the working directory
/// (see `.env.example`). With nothing configured, wxgate keeps its data in an SQLite file under the data folder.
#[derive(Debug, Parser)]
#[command(name = "wxgate", version)]
pub struct Cli {
    /// Folder for wxgate's own files; the default SQLite database (wxgate.db) lives here.
    #[arg(long, global = true, env = "WXGATE_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    #[command(subcommand)]
    pub command: Option<Command>,

    /// Options of `serve`, which runs when no command is given.
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the configuration, apply database migrations and serve the web app, the JSON API and the webhooks.
    Serve(ServeArgs),
    /// Apply the database migrations that are not applied yet, then exit.
    Migrate,
    /// Print the configuration problems and what is enabled, without starting; exits non-zero on problems.
    Doctor,
    /// Run the WeChat sandbox alone, with WeChat's own paths at the root, for any app or SDK to use.
    Sandbox(SandboxArgs),
}

#[derive(Debug, Clone, Args)]
pub struct SandboxArgs {
    /// Host to listen on.
    #[arg(long, default_value = "127.0.0.1", global = true)]
    pub host: String,

    /// Port to listen on.
    #[arg(long, default_value_t = 4000)]
    pub port: u16,

    #[command(subcommand)]
    pub action: Option<SandboxAction>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum SandboxAction {
    /// Print, as JSON, the sandbox's appids, secrets, merchant id and keys, and its base URLs.
    Credentials {
        /// The port the sandbox listens on, for the base URLs printed.
        #[arg(long, default_value_t = 4000)]
        port: u16,
    },
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on, HOST:PORT.
    #[arg(long, env = "LEPTOS_SITE_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Folder of the built site (the wasm bundle, style sheet and public files); run from the repository root
    /// after a build, the default finds it.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,
}
