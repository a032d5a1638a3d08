//! `wxgate serve`: check the configuration, migrate, and serve until Ctrl-C or SIGTERM.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use leptos::config::{Env, LeptosOptions};
use tokio::net::TcpListener;

use crate::cli::ServeArgs;
use crate::sandbox::Sandbox;
use crate::{hardening, metrics, router, serving, startup};

/// How often the daily reconciliation looks whether yesterday's bill is due.
const RECONCILE_CHECK_INTERVAL: Duration = Duration::from_secs(5 * 60);

pub async fn run(data_dir: &Path, args: &ServeArgs) -> ExitCode {
    let local_base = startup::local_base(args.addr);
    let startup::Ready { context, sandbox } = match startup::check(data_dir, args.addr).await {
        Ok(ready) => ready,
        Err(problems) => {
            eprintln!("{problems}");
            return ExitCode::from(startup::CONFIG_EXIT_CODE);
        }
    };
    if let Err(error) = startup::prepare(&context).await {
        eprintln!("wxgate cannot start: {error}");
        return ExitCode::from(startup::CONFIG_EXIT_CODE);
    }
    if let Err(error) = app::ssr::payments::catalogue::seed(&context).await {
        eprintln!("wxgate cannot start: the catalogue: {error}");
        return ExitCode::FAILURE;
    }
    let listener = match TcpListener::bind(args.addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("wxgate cannot listen on {}: {error}", args.addr);
            return ExitCode::FAILURE;
        }
    };
    if let Some(address) = context.settings.metrics_addr {
        let listener = match TcpListener::bind(address).await {
            Ok(listener) => listener,
            Err(error) => {
                eprintln!("wxgate cannot listen for metrics on {address}: {error}");
                return ExitCode::FAILURE;
            }
        };
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
    let leptos_options = LeptosOptions::builder()
        .output_name(app::OUTPUT_NAME)
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
    tokio::spawn(purge_regularly(context.clone()));
    if context.wechat.pay.is_some() {
        tokio::spawn(sweep_unpaid_orders(context.clone()));
        if context.settings.reconcile_at.is_some() {
            tokio::spawn(reconcile_daily(context.clone()));
        }
    }
    let sandbox = match sandbox
        .map(|credentials| Sandbox::new(credentials, open_base(&context)))
        .transpose()
    {
        Ok(sandbox) => sandbox,
        Err(error) => {
            eprintln!("wxgate cannot start the sandbox: {error}");
            return ExitCode::FAILURE;
        }
    };
    if sandbox.is_some() {
        tracing::warn!(
            "SANDBOX MODE: the built-in WeChat sandbox plays WeChat under {}{}; nothing reaches WeChat. \
             To go live, use a database of its own, set WeChat credentials (see .env.example) and WXGATE_MODE=live.",
            local_base,
            startup::SANDBOX_PATH
        );
    }

    tracing::info!(
        address = %format!("http://{}", args.addr),
        database = context.db.backend().label(),
        "wxgate is listening"
    );
    let timeouts = timeouts(args, &context.settings);
    let app = router::build(context, leptos_options, sandbox, timeouts);
    serving::serve(listener, app, timeouts.header_read, shutdown_signal()).await;
    ExitCode::SUCCESS
}

/// The request time limits: the command line's (or their variables'), the handler's by default long enough for
/// the WeChat calls a request makes.
fn timeouts(args: &ServeArgs, settings: &app::ssr::config::Settings) -> hardening::Timeouts {
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

/// Looks at unpaid orders every `WXGATE_SWEEP_SECONDS`: lost payments become PAID, expired orders close.
async fn sweep_unpaid_orders(context: app::ssr::context::AppContext) {
    let every = Duration::from_secs(u64::try_from(context.settings.sweep_seconds).unwrap_or(60));
    let mut interval = tokio::time::interval(every);
    loop {
        interval.tick().await;
        let swept = app::ssr::payments::sweeper::sweep(&context).await;
        app::ssr::metrics::sweeper_run(if swept.is_ok() { "ok" } else { "error" });
        match swept {
            Ok(swept) if swept.paid + swept.closed > 0 => tracing::info!(
                paid = swept.paid,
                closed = swept.closed,
                looked_at = swept.looked_at,
                pages = swept.pages,
                "unpaid orders swept"
            ),
            Ok(swept) if swept.looked_at > 0 => tracing::debug!(
                looked_at = swept.looked_at,
                pages = swept.pages,
                "unpaid orders looked at; none paid or closed"
            ),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "the order sweep failed"),
        }
    }
}

/// Reconciles each day's trade bill the morning after (see `WXGATE_RECONCILE_AT`); what is found goes to the log and
/// the admin page.
async fn reconcile_daily(context: app::ssr::context::AppContext) {
    use app::ssr::payments::{daily, reconcile::failure_sentence};

    let mut interval = tokio::time::interval(RECONCILE_CHECK_INTERVAL);
    loop {
        interval.tick().await;
        let checked = match daily::run_due(&context).await {
            Ok(checked) => checked,
            Err(error) => {
                let cause = failure_sentence(&error);
                app::ssr::metrics::reconciliation_run("failed");
                tracing::warn!(%cause, "the daily reconciliation could not run; it is tried again later");
                continue;
            }
        };
        for daily::Checked { date, outcome } in checked {
            app::ssr::metrics::reconciliation_run(match &outcome {
                Ok(report) if report.differences.is_empty() => "agrees",
                Ok(_) => "differs",
                Err(_) => "failed",
            });
            match outcome {
                Ok(report) if report.differences.is_empty() => tracing::info!(
                    %date,
                    payments = report.payments_in_bill,
                    refunds = report.refunds_in_bill,
                    "the trade bill agrees with wxgate"
                ),
                Ok(report) => {
                    for difference in &report.differences {
                        tracing::warn!(%date, %difference, "the trade bill differs from wxgate");
                    }
                }
                Err(error) => {
                    let cause = failure_sentence(&error);
                    tracing::warn!(%date, %cause, "could not reconcile the day; it is tried again in half an hour");
                }
            }
        }
    }
}

/// Where the sandbox's pages are, for the browser: the base wxgate's OAuth URLs point at.
fn open_base(context: &app::ssr::context::AppContext) -> String {
    context
        .settings
        .wechat
        .endpoints
        .open
        .as_str()
        .trim_end_matches('/')
        .to_owned()
}

/// Removes what has outlived its use every `WXGATE_PURGE_SECONDS` (see `app::ssr::retention`).
async fn purge_regularly(context: app::ssr::context::AppContext) {
    let every = Duration::from_secs(u64::try_from(context.settings.purge_seconds).unwrap_or(600));
    let mut interval = tokio::time::interval(every);
    loop {
        interval.tick().await;
        match app::ssr::retention::purge(&context).await {
            Ok(purged) if purged.total() > 0 => tracing::info!(
                sessions = purged.sessions,
                oauth_logins = purged.oauth_logins,
                oauth_codes = purged.oauth_codes,
                notifications = purged.notifications,
                rate_limit_windows = purged.rate_limit_windows,
                "expired records purged"
            ),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "the purge failed; it is tried again later"),
        }
    }
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
