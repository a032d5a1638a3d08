//! The command line: `serve` (the default), `migrate` and `doctor`.

use std::net::SocketAddr;
use std::path::PathBuf;

use app::ssr::config::Vars;
use app::ssr::product_api::keys::Scope;
use clap::{Args, FromArgMatches, Parser, Subcommand};

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
    /// Compare a day's WeChat Pay trade bill with wxgate's orders; exits 1 when they differ.
    Reconcile {
        /// The day, `YYYY-MM-DD` (China time, as WeChat Pay's bills).
        #[arg(long)]
        date: String,
    },
    /// Run the WeChat sandbox alone, with WeChat's own paths at the root, for any app or SDK to use.
    Sandbox(SandboxArgs),
    /// Print the JSON API's OpenAPI 3.1 document (as `GET /api/openapi.json` serves it), without starting.
    Openapi,
    /// WeChat's crypto steps one at a time, for debugging a live integration.
    #[command(subcommand)]
    Tools(Tool),
    /// The events for the product (WXGATE_EVENTS_URL): list them with their deliveries, or send one again.
    #[command(subcommand)]
    Events(EventsCommand),
    /// The OpenID Connect clients that sign people in through wxgate: add one (its secret is shown once), list
    /// them, or remove one (its tokens stop working).
    #[command(subcommand)]
    Clients(ClientsCommand),
    /// The API keys of the product's backend (`/api/v1/`): create one (shown once, stored hashed), list them, or
    /// revoke one.
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Debug, Clone, Subcommand)]
pub enum KeysCommand {
    /// Make a key and print it (wxgate keeps only its digest: it is never shown again).
    Create {
        /// A name for people: what uses the key.
        #[arg(long)]
        name: String,
        /// What the key may do; repeat for more: checkouts:write, checkouts:read, refunds:write, users:read.
        #[arg(long = "scope", required = true)]
        scopes: Vec<Scope>,
    },
    /// Every key, with its scopes, last use and whether it is revoked (never the key itself).
    List,
    /// Revoke a key: requests with it are refused from now on.
    Revoke {
        /// The key's id (`key_…`, from `wxgate keys list`).
        id: String,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum ClientsCommand {
    /// Register a client and print its id and secret (the secret is stored hashed and never shown again).
    Add {
        /// The client's id: 1 to 64 of A-Z a-z 0-9 . _ -
        #[arg(long)]
        id: String,
        /// A name for people.
        #[arg(long)]
        name: Option<String>,
        /// Where the browser comes back with the code; exact, repeat for more (https, or http on loopback).
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
        /// Where the browser may go after an RP-initiated logout; repeat for more.
        #[arg(long = "post-logout-redirect-uri")]
        post_logout_redirect_uris: Vec<String>,
        /// A public client (a single-page or native app): no secret, PKCE required.
        #[arg(long)]
        public: bool,
    },
    /// Every client, configured (WXGATE_OIDC_CLIENTS) and registered.
    List,
    /// Remove a registered client and revoke every token it holds.
    Remove {
        /// The client's id.
        id: String,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum EventsCommand {
    /// The newest events first, with their state, attempts and last answer.
    List {
        /// How many to show (at most 1000).
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Make an event due again now (a fresh schedule, the same webhook-id).
    Resend {
        /// The event's id (`msg_…`), as `list` shows it.
        id: String,
    },
}

/// Each tool prints its result on standard output, or a clear error with a non-zero exit.
/// PEM arguments take the PEM text itself or the path of a file.
#[derive(Debug, Clone, Subcommand)]
pub enum Tool {
    /// The JS-SDK `wx.config` signature of a page URL (the part before `#` is signed).
    JssdkSign {
        #[arg(long)]
        ticket: String,
        #[arg(long)]
        noncestr: String,
        #[arg(long)]
        timestamp: String,
        #[arg(long)]
        url: String,
        /// Also print the signed string.
        #[arg(long)]
        verbose: bool,
    },
    /// Decrypts a mini program's `encryptedData` (AES-128-CBC); checks the watermark when --appid is given.
    DecryptData {
        #[arg(long)]
        session_key: String,
        #[arg(long)]
        iv: String,
        #[arg(long)]
        data: String,
        #[arg(long)]
        appid: Option<String>,
    },
    /// Checks a mini program's `rawData` signature: sha1(rawData + session_key).
    CheckRawdata {
        #[arg(long)]
        raw_data: String,
        #[arg(long)]
        session_key: String,
        #[arg(long)]
        signature: String,
    },
    /// Decrypts a WeChat Pay resource (AEAD_AES_256_GCM with the APIv3 key).
    DecryptResource {
        #[arg(long)]
        apiv3_key: String,
        #[arg(long)]
        nonce: String,
        #[arg(long)]
        associated_data: String,
        #[arg(long)]
        ciphertext: String,
    },
    /// Verifies and decrypts a WeChat Pay notification, or says why it is rejected.
    VerifyNotification {
        /// A file with the Wechatpay-* headers, as JSON or `Name: value` lines.
        #[arg(long)]
        headers: String,
        /// A file with the exact body bytes.
        #[arg(long)]
        body: String,
        #[arg(long, requires = "public_key_id")]
        public_key: Option<String>,
        #[arg(long, requires = "public_key")]
        public_key_id: Option<String>,
        #[arg(long, conflicts_with = "public_key")]
        platform_cert: Option<String>,
        #[arg(long)]
        apiv3_key: String,
        /// Check the time window against this Unix time instead of now.
        #[arg(long)]
        now: Option<i64>,
    },
    /// The base64 SHA256withRSA signature of a file's bytes with a merchant private key.
    Sign {
        #[arg(long)]
        private_key: String,
        #[arg(long)]
        message_file: String,
    },
    /// The JSAPI / mini-program paySign over `appId\ntimeStamp\nnonceStr\npackage\n`.
    PaySign {
        #[arg(long)]
        private_key: String,
        #[arg(long)]
        appid: String,
        #[arg(long)]
        timestamp: String,
        #[arg(long)]
        nonce: String,
        #[arg(long)]
        package: String,
    },
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

    /// Seconds a client has to send a request's headers before the connection is closed (slow clients); an idle
    /// keep-alive connection is closed after as long.
    #[arg(long, env = "WXGATE_HEADER_TIMEOUT_SECONDS", default_value_t = crate::hardening::DEFAULT_HEADER_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..=600))]
    pub header_timeout: u64,

    /// Seconds a request body may go without sending anything before the request fails.
    #[arg(long, env = "WXGATE_BODY_TIMEOUT_SECONDS", default_value_t = crate::hardening::DEFAULT_BODY_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..=600))]
    pub body_timeout: u64,

    /// Seconds a request may take to be answered (503 after); the default outlasts two of the longest WeChat
    /// calls, retries included (71 with the default WECHAT_TIMEOUT_SECONDS).
    #[arg(long, env = "WXGATE_HANDLER_TIMEOUT_SECONDS", value_parser = clap::value_parser!(u64).range(1..=600))]
    pub handler_timeout: Option<u64>,
}

impl ServeArgs {
    /// The options `wxgate serve` takes from these variables alone (each option's `env`), with no command line and
    /// nothing read from the process environment: for a wxgate started inside another program, such as a test.
    pub fn from_vars(vars: &Vars) -> Result<ServeArgs, clap::Error> {
        let command = ServeArgs::augment_args(clap::Command::new("wxgate"));
        let mut argv = vec!["wxgate".to_owned()];
        for arg in command.get_arguments() {
            let value = arg
                .get_env()
                .and_then(|name| name.to_str())
                .and_then(|name| vars.get(name));
            if let (Some(long), Some(value)) = (arg.get_long(), value) {
                argv.push(format!("--{long}={value}"));
            }
        }
        let matches = command
            .mut_args(|arg| arg.env(None::<&str>))
            .try_get_matches_from(argv)?;
        ServeArgs::from_arg_matches(&matches)
    }
}
