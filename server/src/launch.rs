//! Starting wxgate: the configuration checked, the database migrated and seeded, the sandbox made in sandbox mode and
//! the router built ([`prepare`]); then serving on a listener until told to stop ([`Wxgate::serve`]). `wxgate serve`
//! and the in-process tests start wxgate through here alike, so what the tests start is what the binary runs.

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use app::ssr::config::{Settings, Vars};
use app::ssr::context::AppContext;
use axum::Router;
use leptos::config::{Env, LeptosOptions};
use tokio::net::TcpListener;

use crate::background::Jobs;
use crate::bundle::Bundle;
use crate::cli::ServeArgs;
use crate::{hardening, router, serving, startup};
use sandbox::pay::{BILLS_ENV, TIME_SCALE_ENV};
use sandbox::Sandbox;

/// Why wxgate will not start, in the words `wxgate serve` prints, and the exit code it ends with.
#[derive(Debug)]
pub struct Refusal {
    pub message: String,
    pub exit_code: u8,
}

impl Refusal {
    /// A configuration that cannot run.
    fn config(message: String) -> Refusal {
        Refusal {
            message,
            exit_code: startup::CONFIG_EXIT_CODE,
        }
    }

    /// Anything else that stops the start.
    fn failure(message: String) -> Refusal {
        Refusal {
            message,
            exit_code: 1,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// wxgate ready to serve: its context and its whole router.
pub struct Wxgate {
    context: AppContext,
    router: Router,
    address: SocketAddr,
    header_read: Duration,
}

/// Checks the configuration `vars` give for a wxgate answering at `args.addr`, migrates and seeds its database and
/// builds the router (with the sandbox mounted in sandbox mode). Nothing listens yet.
pub async fn prepare(vars: &Vars, data_dir: &Path, args: &ServeArgs) -> Result<Wxgate, Refusal> {
    let local_base = startup::local_base(args.addr);
    let startup::Ready { context, sandbox } = startup::check(vars, data_dir, args.addr)
        .await
        .map_err(|problems| Refusal::config(problems.to_string()))?;
    startup::prepare(&context)
        .await
        .map_err(|error| Refusal::config(format!("wxgate cannot start: {error}")))?;
    app::ssr::payments::catalogue::seed(&context)
        .await
        .map_err(|error| {
            Refusal::failure(format!("wxgate cannot start: the catalogue: {error}"))
        })?;
    let bundle = Bundle::read(&args.site_root);
    let leptos_options = LeptosOptions::builder()
        .output_name(bundle.name())
        .site_root(args.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(args.addr)
        .env(Env::PROD)
        .build();
    if !args.site_root.join("pkg").is_dir() {
        tracing::warn!(
            site_root = %args.site_root.display(),
            "the built site is missing: pages render but will not hydrate; run `make build` first"
        );
    }
    let sandbox = sandbox
        .map(|credentials| {
            Sandbox::new(
                credentials,
                open_base(&context),
                vars.get(TIME_SCALE_ENV),
                vars.get(BILLS_ENV),
            )
        })
        .transpose()
        .map_err(|error| Refusal::failure(format!("wxgate cannot start the sandbox: {error}")))?;
    if let Some(sandbox) = &sandbox {
        sandbox.serve_cloud_service(&local_base);
        tracing::warn!(
            "SANDBOX MODE: the built-in WeChat sandbox plays WeChat under {}{}; nothing reaches WeChat. \
             To go live, use a database of its own, set WeChat credentials (see .env.example) and WXGATE_MODE=live.",
            local_base,
            startup::SANDBOX_PATH
        );
    }
    if context.settings.cloud_hosting {
        tracing::warn!(
            "WXGATE_CLOUD_HOSTING is on: a request carrying WeChat Cloud Hosting's X-WX-OPENID headers signs in as \
             that user. Serve wxgate only through the Cloud Hosting gateway (public network access off), or anyone \
             can send those headers."
        );
    }
    let timeouts = timeouts(args, &context.settings);
    let router = router::build(context.clone(), leptos_options, bundle, sandbox, timeouts);
    Ok(Wxgate {
        context,
        router,
        address: args.addr,
        header_read: timeouts.header_read,
    })
}

impl Wxgate {
    /// What the routes share: the settings, the database and the WeChat client.
    pub fn context(&self) -> &AppContext {
        &self.context
    }

    /// Serves on `listener`, with the background jobs running, until `shutdown` resolves; then lets the open
    /// connections finish and stops the jobs, so nothing started here holds the database afterwards.
    pub async fn serve(self, listener: TcpListener, shutdown: impl Future<Output = ()>) {
        let jobs = Jobs::start(&self.context);
        tracing::info!(
            address = %format!("http://{}", self.address),
            database = self.context.db.backend().label(),
            "wxgate is listening"
        );
        serving::serve(listener, self.router, self.header_read, shutdown).await;
        jobs.stop().await;
    }
}

/// The request time limits: the command line's (or their variables'), the handler's by default long enough for
/// the WeChat calls a request makes.
fn timeouts(args: &ServeArgs, settings: &Settings) -> hardening::Timeouts {
    let enough = hardening::default_handler_timeout(settings);
    let handler = args.handler_timeout.map_or(enough, Duration::from_secs);
    if handler < enough {
        tracing::warn!(
            handler_seconds = handler.as_secs(),
            needed_seconds = enough.as_secs(),
            "WXGATE_HANDLER_TIMEOUT_SECONDS is shorter than the WeChat calls of one request can take; such requests answer 503"
        );
    }
    hardening::Timeouts {
        header_read: Duration::from_secs(args.header_timeout),
        body_read: Duration::from_secs(args.body_timeout),
        handler,
    }
}

/// Where the sandbox's pages are, for the browser: the base wxgate's OAuth URLs point at.
fn open_base(context: &AppContext) -> String {
    context
        .settings
        .wechat
        .endpoints
        .open
        .as_str()
        .trim_end_matches('/')
        .to_owned()
}
