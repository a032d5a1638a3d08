//! Operators' metrics: the name of every series wxgate records and one small function to record each, over the
//! `metrics` facade. Until `wxgate serve` installs the Prometheus recorder (only when `WXGATE_METRICS_ADDR` is set)
//! every call here is a no-op. The WeChat client records its own series (calls to WeChat, token renewals) in
//! `wechat::metrics`; this module names wxgate's and describes both.
//!
//! Why the `metrics` facade with metrics-exporter-prometheus rather than the `prometheus` crate: recording is one
//! call at the point that counts, with no registry to hand through the WeChat client and the use-cases, and it
//! costs nothing when metrics are off; the exporter writes the text exposition format, so none is written here.
//!
//! Names and units follow <https://prometheus.io/docs/practices/naming/>. Labels are few and bounded: a kind, an
//! endpoint with its ids collapsed, an outcome. Never an openid, an order id, a code or a token; values that come
//! from outside (WeChat's error codes) are kept only while they look like codes.

use std::borrow::Cow;

/// WeChat Pay notifications by `outcome`: `applied`, `duplicate`, `recorded` (kept, nothing to apply), `refused`.
pub const PAY_NOTIFICATIONS: &str = "wxgate_pay_notifications_total";
/// Refused WeChat Pay notifications by `reason` (`probe`, `bad_signature`, `stale_timestamp`, `unknown_serial`, …).
pub const PAY_NOTIFICATIONS_REFUSED: &str = "wxgate_pay_notifications_refused_total";
/// Logins by `provider` (`wechat_mp`, `wechat_oa`, `wechat_web`) and `outcome` (`ok`, an errcode, an error code).
pub const LOGINS: &str = "wxgate_logins_total";
/// Orders created and not yet paid or closed, counted in the database at each scrape.
pub const OPEN_UNPAID_ORDERS: &str = "wxgate_open_unpaid_orders";
/// Runs of the unpaid-order sweeper by `outcome` (`ok`, `error`).
pub const SWEEPER_RUNS: &str = "wxgate_sweeper_runs_total";
/// Days the daily reconciliation checked, by `outcome` (`agrees`, `differs`, `failed`); a round that could not
/// run at all counts as `failed` too.
pub const RECONCILIATION_RUNS: &str = "wxgate_reconciliation_runs_total";

/// Mini-program shipping reports by `outcome`: `uploaded`, `not_required`, `failed` (tried again later), `gave_up`
/// (FAILED: an admin must act).
pub const SHIPPING_REPORTS: &str = "wxgate_shipping_reports_total";

/// Attempts to deliver an event to the product by `outcome`: `delivered`, `retrying` (tried again later), `failed`
/// (the schedule is spent: an admin may resend it).
pub const EVENT_DELIVERIES: &str = "wxgate_event_deliveries_total";

/// WeChat message pushes by `outcome`: `stored`, `duplicate`, `refused`.
pub const PUSH_MESSAGES: &str = "wxgate_push_messages_total";

/// Gives each series its `# HELP` line; called once, right after the recorder is installed.
pub fn describe() {
    metrics::describe_counter!(
        PAY_NOTIFICATIONS,
        "WeChat Pay notifications received, by outcome"
    );
    metrics::describe_counter!(
        PAY_NOTIFICATIONS_REFUSED,
        "WeChat Pay notifications refused, by reason"
    );
    metrics::describe_counter!(LOGINS, "Logins, by provider and outcome");
    wechat::metrics::describe();
    metrics::describe_gauge!(OPEN_UNPAID_ORDERS, "Orders neither paid nor closed yet");
    metrics::describe_counter!(SWEEPER_RUNS, "Runs of the unpaid-order sweeper");
    metrics::describe_counter!(
        RECONCILIATION_RUNS,
        "Days checked by the daily reconciliation, by outcome"
    );
    metrics::describe_counter!(
        SHIPPING_REPORTS,
        "Mini-program shipping reports to WeChat, by outcome"
    );
    metrics::describe_counter!(
        EVENT_DELIVERIES,
        "Attempts to deliver an event to the product, by outcome"
    );
    metrics::describe_counter!(PUSH_MESSAGES, "WeChat message pushes received, by outcome");
}

/// A WeChat Pay notification ended with `outcome`; a refused one (`outcome` `refused`) also counts its `reason`.
pub fn pay_notification(outcome: &'static str, reason: Option<&'static str>) {
    metrics::counter!(PAY_NOTIFICATIONS, "outcome" => outcome).increment(1);
    if let Some(reason) = reason {
        metrics::counter!(PAY_NOTIFICATIONS_REFUSED, "reason" => reason).increment(1);
    }
}

/// A login with `provider` ended with `outcome`: `ok`, WeChat's errcode, or wxgate's error code.
pub fn login(provider: &'static str, outcome: Cow<'static, str>) {
    metrics::counter!(LOGINS, "provider" => provider, "outcome" => wechat::metrics::outcome_label(outcome)).increment(1);
}

/// There are `count` open unpaid orders now.
pub fn open_unpaid_orders(count: u64) {
    // A gauge holds an f64; order counts stay far below 2^53, where it is exact.
    metrics::gauge!(OPEN_UNPAID_ORDERS).set(count as f64);
}

/// A sweep of unpaid orders ended with `outcome` (`ok`, `error`).
pub fn sweeper_run(outcome: &'static str) {
    metrics::counter!(SWEEPER_RUNS, "outcome" => outcome).increment(1);
}

/// A shipping report to WeChat ended with `outcome` (`uploaded`, `not_required`, `failed`, `gave_up`).
pub fn shipping_report(outcome: &'static str) {
    metrics::counter!(SHIPPING_REPORTS, "outcome" => outcome).increment(1);
}

/// A day's reconciliation (or a round that could not run) ended with `outcome` (`agrees`, `differs`, `failed`).
pub fn reconciliation_run(outcome: &'static str) {
    metrics::counter!(RECONCILIATION_RUNS, "outcome" => outcome).increment(1);
}

/// An attempt to deliver an event ended with `outcome`.
pub fn event_delivery(outcome: &'static str) {
    metrics::counter!(EVENT_DELIVERIES, "outcome" => outcome).increment(1);
}

/// A message push ended with `outcome`.
pub fn push_message(outcome: &'static str) {
    metrics::counter!(PUSH_MESSAGES, "outcome" => outcome).increment(1);
}
