//! The series the WeChat client records, over the `metrics` facade: calls to WeChat and WeChat Pay with their
//! latency, and token renewals. Every call is a no-op until the application installs a recorder (wxgate installs
//! the Prometheus one when `WXGATE_METRICS_ADDR` is set); [`describe`] gives each series its `# HELP` line.
//!
//! Names and units follow <https://prometheus.io/docs/practices/naming/>. Labels are few and bounded: a service, an
//! endpoint with its ids collapsed, an outcome kept only while it looks like a code. Never an openid, an order id,
//! a code or a token.

use std::borrow::Cow;
use std::time::Duration;

/// Calls to WeChat by `service` (`wechat`, `wechat_pay`), `endpoint` and `outcome`.
pub const WECHAT_CALLS: &str = "wxgate_wechat_calls_total";
/// How long calls to WeChat took, by `service` and `endpoint`.
pub const WECHAT_CALL_DURATION: &str = "wxgate_wechat_call_duration_seconds";
/// Server access token and jsapi_ticket renewals by `app` (the appid), `token` and `outcome`.
pub const TOKEN_REFRESHES: &str = "wxgate_token_refreshes_total";
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

/// Gives the client's series their `# HELP` lines; call once, right after installing a recorder.
pub fn describe() {
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
        "outcome" => outcome_label(outcome)
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
        "outcome" => outcome_label(outcome)
    )
    .increment(1);
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
pub fn outcome_label(outcome: Cow<'static, str>) -> Cow<'static, str> {
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
        assert_eq!(outcome_label("ok".into()), "ok");
        assert_eq!(outcome_label("40029".into()), "40029");
        assert_eq!(outcome_label("ORDER_NOT_EXIST".into()), "ORDER_NOT_EXIST");
        assert_eq!(outcome_label("-1".into()), "-1");
        assert_eq!(outcome_label("a message with spaces".into()), "other");
        assert_eq!(outcome_label("".into()), "other");
        assert_eq!(outcome_label("X".repeat(41).into()), "other");
    }
}
