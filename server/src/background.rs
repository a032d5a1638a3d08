//! wxgate's jobs beside serving requests: purging what has outlived its use, sweeping unpaid orders, reporting
//! mini-program shipping to WeChat, the daily reconciliation, applying WeChat's pushed messages and delivering
//! events to the product. They run as long as the [`Jobs`] that started them is kept.

use std::time::Duration;

use app::ssr::db::Database;
use app::ssr::events::delivery::Deliverer;
use tokio::task::JoinSet;

/// How often the daily reconciliation looks whether yesterday's bill is due.
const RECONCILE_CHECK_INTERVAL: Duration = Duration::from_secs(5 * 60);
/// The longest the shipping job sleeps without looking (another process may have made a shipment due).
const SHIPPING_CHECK_INTERVAL: Duration = Duration::from_secs(60);
/// The longest the push and event jobs sleep without looking: another process may have stored a message or written
/// an event (their own process's wake them at once).
const OUTBOX_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// The running jobs; dropping them (or [`Jobs::stop`]) stops them all.
pub struct Jobs(JoinSet<()>);

impl Jobs {
    /// Starts the jobs this configuration asks for: the purge always; with WeChat Pay the sweeper and the
    /// reconciliation (unless `WXGATE_RECONCILE_AT` is off), and with a mini program too the shipping reports.
    pub fn start(context: &app::ssr::context::AppContext) -> Jobs {
        let mut jobs = JoinSet::new();
        jobs.spawn(purge_regularly(context.clone()));
        let wechat = &context.settings.wechat;
        if wechat.mini_program_push.is_some() || wechat.official_account_push.is_some() {
            jobs.spawn(apply_pushes(context.clone()));
        }
        if let Some(events) = &context.settings.events {
            match Deliverer::new(context.db.clone(), events) {
                Ok(deliverer) => {
                    jobs.spawn(deliver_events(context.db.clone(), deliverer));
                }
                Err(error) => tracing::error!(%error, "events cannot be delivered"),
            }
        }
        if context.wechat.pay.is_some() {
            jobs.spawn(sweep_unpaid_orders(context.clone()));
            if context.wechat.mini_program.is_some() {
                jobs.spawn(report_shipping(context.clone()));
            }
            if context.settings.reconcile_at.is_some() {
                jobs.spawn(reconcile_daily(context.clone()));
            }
        }
        Jobs(jobs)
    }

    /// Stops every job and waits until each has let go of what it held (the database among them).
    pub async fn stop(mut self) {
        self.0.shutdown().await;
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

/// Reports due mini-program shipments to WeChat as soon as one is due (a payment or a dispatch wakes it), and
/// otherwise when the next retry is due, looking at least every [`SHIPPING_CHECK_INTERVAL`].
async fn report_shipping(context: app::ssr::context::AppContext) {
    loop {
        match app::ssr::shipping::upload::run_due(&context).await {
            Ok(run) if run.uploaded + run.not_required + run.failed > 0 => tracing::debug!(
                uploaded = run.uploaded,
                not_required = run.not_required,
                failed = run.failed,
                "shipping reported"
            ),
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, "the shipping job failed; it is tried again later")
            }
        }
        let wait = match context.db.next_shipment_due().await {
            Ok(Some(due)) => {
                let seconds = u64::try_from(due - app::ssr::clock::now()).unwrap_or(0);
                Duration::from_secs(seconds).clamp(Duration::from_secs(1), SHIPPING_CHECK_INTERVAL)
            }
            Ok(None) | Err(_) => SHIPPING_CHECK_INTERVAL,
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = context.shipping.woken() => {}
        }
    }
}

/// Applies stored WeChat pushes as soon as one is stored here, and otherwise every [`OUTBOX_CHECK_INTERVAL`].
async fn apply_pushes(context: app::ssr::context::AppContext) {
    loop {
        if let Err(error) = app::ssr::push::apply::run_unapplied(&context).await {
            tracing::warn!(%error, "applying WeChat's pushed messages failed; it is tried again");
        }
        tokio::select! {
            () = tokio::time::sleep(OUTBOX_CHECK_INTERVAL) => {}
            () = context.push.woken() => {}
        }
    }
}

/// Delivers due events as soon as this process writes one, and otherwise when the next is due, looking at least
/// every [`OUTBOX_CHECK_INTERVAL`].
async fn deliver_events(db: Database, deliverer: Deliverer) {
    loop {
        if let Err(error) = deliverer.run_due().await {
            tracing::warn!(%error, "delivering events failed; it is tried again");
        }
        let wait = match db.next_event_due().await {
            Ok(Some(due)) => {
                let seconds = u64::try_from(due - app::ssr::clock::now()).unwrap_or(0);
                Duration::from_secs(seconds)
                    .clamp(Duration::from_millis(200), OUTBOX_CHECK_INTERVAL)
            }
            Ok(None) | Err(_) => OUTBOX_CHECK_INTERVAL,
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = db.event_written() => {}
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
                delivered_events = purged.delivered_events,
                applied_pushes = purged.applied_pushes,
                oidc_tokens = purged.oidc_tokens,
                idempotency_keys = purged.idempotency_keys,
                "expired records purged"
            ),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "the purge failed; it is tried again later"),
        }
    }
}
