//! Operators' metrics: the name of every series wxgate records and one small function to record each, over the
//! `metrics` facade. Until `wxgate serve` installs the Prometheus recorder (only when `WXGATE_METRICS_ADDR` is set)
//! every call here is a no-op. This module depends on nothing else in wxgate, so the WeChat client records through
//! it without importing the database or the web framework.
//!
//! Why the `metrics` facade with metrics-exporter-prometheus rather than the `prometheus` crate: recording is one
//! call at the point that counts, with no registry to hand through the WeChat client and the use-cases, and it
//! costs nothing when metrics are off; the exporter writes the text exposition format, so none is written here.
//!
//! Names and units follow <https://prometheus.io/docs/practices/naming/>. Labels are few and bounded: a kind, an
//! endpoint with its ids collapsed, an outcome. Never an openid, an order id, a code or a token; values that come
//! from outside (WeChat's error codes) are kept only while they look like codes.

use std::borrow::Cow;
use std::time::Duration;

/// WeChat Pay notifications by `outcome`: `applied`, `duplicate`, `recorded` (kept, nothing to apply), `refused`.
pub const PAY_NOTIFICATIONS: &str = "wxgate_pay_notifications_total";
/// Refused WeChat Pay notifications by `reason` (`probe`, `bad_signature`, `stale_timestamp`, `unknown_serial`, …).
pub const PAY_NOTIFICATIONS_REFUSED: &str = "wxgate_pay_notifications_refused_total";
/// Logins by `provider` (`wechat_mp`, `wechat_oa`, `wechat_web`) and `outcome` (`ok`, an errcode, an error code).
pub const LOGINS: &str = "wxgate_logins_total";
/// Calls to WeChat by `service` (`wechat`, `wechat_pay`), `endpoint` and `outcome`.
pub const WECHAT_CALLS: &str = "wxgate_wechat_calls_total";
/// How long calls to WeChat took, by `service` and `endpoint`.
pub const WECHAT_CALL_DURATION: &str = "wxgate_wechat_call_duration_seconds";
/// Server access token and jsapi_ticket renewals by `app` (the appid), `token` and `outcome`.
pub const TOKEN_REFRESHES: &str = "wxgate_token_refreshes_total";
/// Orders created and not yet paid or closed, counted in the database at each scrape.
pub const OPEN_UNPAID_ORDERS: &str = "wxgate_open_unpaid_orders";
/// Runs of the unpaid-order sweeper by `outcome` (`ok`, `error`).
pub const SWEEPER_RUNS: &str = "wxgate_sweeper_runs_total";
/// Days the daily reconciliation checked, by `outcome` (`agrees`, `differs`, `failed`); a round that could not
/// run at all counts as `failed` too.
pub const RECONCILIATION_RUNS: &str = "wxgate_reconciliation_runs_total";

/// The `service` of calls to api.weixin.qq.com.
pub const WECHAT: &str = "wechat";
/// The `service` of calls to api.mch.weixin.qq.com.
pub const WECHAT_PAY: &str = "wechat_pay";

/// The upper bounds, in seconds, of the latency histogram's buckets: WeChat usually answers in tens of
/// milliseconds, and the clients give up after ten seconds.
pub const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Path segments that are followed by an id in WeChat Pay's paths, and what the id is shown as.
const ID_AFTER: &[(&str, &str)] = &[
    ("out-trade-no", "{out_trade_no}"),
    ("id", "{transaction_id}"),
    ("refunds", "{out_refund_no}"),
];
/// The longest outside value (an errcode, a WeChat Pay error code) kept as a label.
const MAX_CODE_LEN: usize = 40;

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
    metrics::describe_counter!(
        WECHAT_CALLS,
        "Calls to WeChat and WeChat Pay, by endpoint and outcome"
    );
    metrics::describe_histogram!(
        WECHAT_CALL_DURATION,
        metrics::Unit::Seconds,
        "How long calls to WeChat and WeChat Pay took"
    );
    metrics::describe_counter!(
        TOKEN_REFRESHES,
        "Server access token and jsapi_ticket renewals, by app and outcome"
    );
    metrics::describe_gauge!(OPEN_UNPAID_ORDERS, "Orders neither paid nor closed yet");
    metrics::describe_counter!(SWEEPER_RUNS, "Runs of the unpaid-order sweeper");
    metrics::describe_counter!(
        RECONCILIATION_RUNS,
        "Days checked by the daily reconciliation, by outcome"
    );
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
    metrics::counter!(LOGINS, "provider" => provider, "outcome" => code(outcome)).increment(1);
}

/// A call to `service` at `path` (its query, if any, is dropped and its ids collapsed) ended with `outcome`
/// after `elapsed`.
pub fn wechat_call(
    service: &'static str,
    path: &str,
    outcome: Cow<'static, str>,
    elapsed: Duration,
) {
    let endpoint = endpoint(path);
    metrics::counter!(
        WECHAT_CALLS,
        "service" => service,
        "endpoint" => endpoint.clone(),
        "outcome" => code(outcome)
    )
    .increment(1);
    metrics::histogram!(WECHAT_CALL_DURATION, "service" => service, "endpoint" => endpoint)
        .record(elapsed.as_secs_f64());
}

/// The `token` (`access_token`, `jsapi_ticket`) of the app `appid` was renewed, with `outcome`.
pub fn token_refresh(appid: &str, token: &'static str, outcome: Cow<'static, str>) {
    metrics::counter!(
        TOKEN_REFRESHES,
        "app" => appid.to_owned(),
        "token" => token,
        "outcome" => code(outcome)
    )
    .increment(1);
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

/// A day's reconciliation (or a round that could not run) ended with `outcome` (`agrees`, `differs`, `failed`).
pub fn reconciliation_run(outcome: &'static str) {
    metrics::counter!(RECONCILIATION_RUNS, "outcome" => outcome).increment(1);
}

/// `path` as an endpoint label: no query, and each id WeChat Pay puts in a path replaced by its placeholder
/// (`/v3/pay/transactions/out-trade-no/{out_trade_no}/close`); any other segment that does not look like a fixed
/// word of a path becomes `{id}`.
pub fn endpoint(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let mut previous = "";
    let segments: Vec<&str> = path
        .split('/')
        .map(|segment| {
            let shown = match ID_AFTER.iter().find(|(parent, _)| *parent == previous) {
                Some((_, placeholder)) if !segment.is_empty() => *placeholder,
                _ if is_path_word(segment) => segment,
                _ => "{id}",
            };
            previous = segment;
            shown
        })
        .collect();
    segments.join("/")
}

/// A fixed word of an API path: short, lower-case letters, digits, `_` and `-` (`jscode2session`, `out-trade-no`).
fn is_path_word(segment: &str) -> bool {
    segment.len() <= 32
        && segment
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || b"_-".contains(&byte))
}

/// An outcome as a label: kept while it looks like a code (letters, digits, `_`, `-`, at most 40), else `other`,
/// so an odd answer from outside cannot make a series per message.
fn code(outcome: Cow<'static, str>) -> Cow<'static, str> {
    let looks_like_a_code = !outcome.is_empty()
        && outcome.len() <= MAX_CODE_LEN
        && outcome
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"_-".contains(&byte));
    if looks_like_a_code {
        outcome
    } else {
        Cow::Borrowed("other")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_drop_the_query_and_collapse_ids() {
        for (path, expected) in [
            ("/sns/jscode2session", "/sns/jscode2session"),
            ("/cgi-bin/token", "/cgi-bin/token"),
            ("/v3/pay/transactions/jsapi", "/v3/pay/transactions/jsapi"),
            (
                "/v3/pay/transactions/out-trade-no/WX20261121ABC?mchid=1900000109",
                "/v3/pay/transactions/out-trade-no/{out_trade_no}",
            ),
            (
                "/v3/pay/transactions/out-trade-no/WX20261121ABC/close",
                "/v3/pay/transactions/out-trade-no/{out_trade_no}/close",
            ),
            (
                "/v3/pay/transactions/id/4200000000202611210000000001?mchid=1",
                "/v3/pay/transactions/id/{transaction_id}",
            ),
            ("/v3/refund/domestic/refunds", "/v3/refund/domestic/refunds"),
            (
                "/v3/refund/domestic/refunds/RF123",
                "/v3/refund/domestic/refunds/{out_refund_no}",
            ),
            (
                "/v3/bill/tradebill?bill_date=2026-11-20&bill_type=ALL",
                "/v3/bill/tradebill",
            ),
            (
                "/v3/billdownload/file?token=secret",
                "/v3/billdownload/file",
            ),
            ("/v3/unknown/AbC123", "/v3/unknown/{id}"),
        ] {
            assert_eq!(endpoint(path), expected, "{path}");
        }
    }

    #[test]
    fn outcomes_from_outside_are_kept_only_while_they_look_like_codes() {
        assert_eq!(code("ok".into()), "ok");
        assert_eq!(code("40029".into()), "40029");
        assert_eq!(code("ORDER_NOT_EXIST".into()), "ORDER_NOT_EXIST");
        assert_eq!(code("-1".into()), "-1");
        assert_eq!(code("a message with spaces".into()), "other");
        assert_eq!(code("".into()), "other");
        assert_eq!(code("X".repeat(41).into()), "other");
    }
}
