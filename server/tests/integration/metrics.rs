//! Operators' metrics: `GET /metrics` answers only on the listener `WXGATE_METRICS_ADDR` names, never on the main
//! port; it counts logins, WeChat and WeChat Pay calls (with latency histograms), token renewals, notifications
//! (applied, duplicate, refused by reason), shipping reports, sweeps and the open unpaid orders, and shows no secret,
//! token or openid.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};

use crate::payments::{deliver, forge};
use crate::support::{
    free_port, listening_ports, on_both_backends, run_to_exit, until_stored_status, TestDatabase,
    WxgateProcess,
};

on_both_backends! {
    without_a_metrics_address_nothing_serves_metrics => without_a_metrics_address_nothing_serves_metrics;
    the_metrics_listener_counts_logins_calls_and_notifications_without_secrets => the_metrics_listener_counts_logins_calls_and_notifications_without_secrets;
    refused_notifications_are_counted_by_their_reason => refused_notifications_are_counted_by_their_reason;
    the_daily_reconciliation_is_counted_by_its_outcome => the_daily_reconciliation_is_counted_by_its_outcome;
}

/// A series' labels, as `(name, value)` pairs.
type Labels<'a> = &'a [(&'a str, &'a str)];

/// One sample of a scrape: the series' name, its labels, its value.
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// The samples of a text-format scrape (label values here never hold `"` or `,`).
fn samples(scrape: &str) -> Vec<Sample> {
    scrape
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("a sample line");
            let (name, labels) = match series.split_once('{') {
                Some((name, labels)) => (name, labels.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split(',')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (key, value) = pair.split_once('=').expect("label=value");
                    (key.to_owned(), value.trim_matches('"').to_owned())
                })
                .collect();
            Sample {
                name: name.to_owned(),
                labels,
                value: value.parse().expect("a number"),
            }
        })
        .collect()
}

/// The value of the series `name` with exactly `labels`, if the scrape has it.
fn value(scrape: &str, name: &str, labels: Labels) -> Option<f64> {
    let wanted: BTreeMap<String, String> = labels
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect();
    samples(scrape)
        .into_iter()
        .find(|sample| sample.name == name && sample.labels == wanted)
        .map(|sample| sample.value)
}

/// The port of `http://HOST:PORT` or `HOST:PORT`.
fn port(address: &str) -> u16 {
    address
        .rsplit(':')
        .next()
        .and_then(|port| port.parse().ok())
        .expect("a port")
}

async fn scrape(address: &str) -> String {
    let response = reqwest::get(format!("http://{address}/metrics"))
        .await
        .expect("scrape");
    assert_eq!(response.status(), 200);
    assert!(
        response
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("text/plain; version=0.0.4")),
        "{:?}",
        response.headers()
    );
    response.text().await.expect("text")
}

/// Scrapes until `series` with `labels` has `expected` (for up to ten seconds); the last scrape.
async fn until_value(address: &str, series: &str, labels: Labels<'_>, expected: f64) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        last = scrape(address).await;
        if value(&last, series, labels) == Some(expected) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{series}{labels:?} never became {expected}:\n{last}");
}

async fn without_a_metrics_address_nothing_serves_metrics(database: TestDatabase) {
    let server = WxgateProcess::start(&database, &[]).await;
    let main_port = port(&server.base_url);

    assert_eq!(
        listening_ports(server.pid()),
        [main_port].into(),
        "wxgate listens on its main port only"
    );
    let response = reqwest::get(server.url("/metrics")).await.expect("request");
    assert_eq!(response.status(), 404, "no metrics on the main router");
}

async fn the_metrics_listener_counts_logins_calls_and_notifications_without_secrets(
    database: TestDatabase,
) {
    let (server, address) = with_metrics(&database, &[]).await;
    let main_port = port(&server.base_url);
    assert_eq!(
        listening_ports(server.pid()),
        [main_port, port(&address)].into(),
        "the metrics have a listener of their own"
    );
    let on_main = reqwest::get(server.url("/metrics")).await.expect("request");
    assert_eq!(on_main.status(), 404, "never on the main router");
    let elsewhere = reqwest::get(format!("http://{address}/"))
        .await
        .expect("request");
    assert_eq!(
        elsewhere.status(),
        404,
        "the metrics listener serves /metrics only"
    );

    // A login refused, one made, a phone bound (which renews the access token).
    let (status, refused) = server
        .api(
            "",
            reqwest::Method::POST,
            "/api/auth/wechat/login",
            Some(json!({ "code": "not-a-real-code" })),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    let token = server.mini_program_login("xiaohong").await;
    let phone_code = server
        .control("/sandbox/mp/phone-code", json!({ "persona": "xiaohong" }))
        .await["code"]
        .as_str()
        .expect("code")
        .to_owned();
    let (status, bound) = server
        .api(
            &token,
            reqwest::Method::POST,
            "/api/auth/wechat/phone",
            Some(json!({ "code": phone_code })),
        )
        .await;
    assert_eq!(status, 200, "{bound}");

    // A payment made and paid (the notification applied), then sent again (a duplicate).
    let paid = server.mini_program_order(&token, "one-fen").await;
    let paid_id = paid["order_id"].as_str().expect("order id").to_owned();
    let paid_no = paid["out_trade_no"].as_str().expect("no").to_owned();
    server.sandbox_pays(&paid_no).await;
    until_stored_status(&database.connect().await, &paid_id, "PAID").await;
    until_value(
        &address,
        "wxgate_pay_notifications_total",
        &[("outcome", "applied")],
        1.0,
    )
    .await;
    // The 1-fen product is virtual goods: its shipping is reported to WeChat at once.
    until_value(
        &address,
        "wxgate_shipping_reports_total",
        &[("outcome", "uploaded")],
        1.0,
    )
    .await;
    let deliveries = server.control_get("/sandbox/pay/deliveries").await;
    let notification_id = deliveries["deliveries"][0]["notification_id"]
        .as_str()
        .expect("notification id")
        .to_owned();
    server
        .control(
            &format!("/sandbox/pay/notifications/{notification_id}/resend"),
            json!({}),
        )
        .await;
    until_value(
        &address,
        "wxgate_pay_notifications_total",
        &[("outcome", "duplicate")],
        1.0,
    )
    .await;

    // WeChat Pay's signature probe, refused.
    let probe = server
        .control(
            "/sandbox/pay/probes",
            json!({ "url": server.url("/api/webhooks/wechat-pay") }),
        )
        .await;
    assert_eq!(probe["probe"]["status"], 401, "{probe}");

    // One order left unpaid, looked at (which asks WeChat Pay about it).
    let open = server.mini_program_order(&token, "one-fen").await;
    let open_id = open["order_id"].as_str().expect("order id").to_owned();
    let (status, looked) = server.order(&token, &open_id).await;
    assert_eq!(status, 200, "{looked}");

    let credentials: Value = serde_json::from_str(
        &std::fs::read_to_string(database.data_dir().join("sandbox/credentials.json"))
            .expect("credentials"),
    )
    .expect("json");
    let mp_appid = credentials["mp_appid"].as_str().expect("appid");
    let scraped = scrape(&address).await;
    let expected: &[(&str, Labels, f64)] = &[
        (
            "wxgate_logins_total",
            &[("provider", "wechat_mp"), ("outcome", "ok")],
            1.0,
        ),
        (
            "wxgate_logins_total",
            &[("provider", "wechat_mp"), ("outcome", "invalid_code")],
            1.0,
        ),
        (
            "wxgate_pay_notifications_total",
            &[("outcome", "applied")],
            1.0,
        ),
        (
            "wxgate_pay_notifications_total",
            &[("outcome", "duplicate")],
            1.0,
        ),
        (
            "wxgate_pay_notifications_total",
            &[("outcome", "refused")],
            1.0,
        ),
        (
            "wxgate_pay_notifications_refused_total",
            &[("reason", "probe")],
            1.0,
        ),
        (
            "wxgate_wechat_calls_total",
            &[
                ("service", "wechat"),
                ("endpoint", "/sns/jscode2session"),
                ("outcome", "ok"),
            ],
            1.0,
        ),
        (
            "wxgate_wechat_calls_total",
            &[
                ("service", "wechat"),
                ("endpoint", "/sns/jscode2session"),
                ("outcome", "40029"),
            ],
            1.0,
        ),
        (
            "wxgate_wechat_calls_total",
            &[
                ("service", "wechat_pay"),
                ("endpoint", "/v3/pay/transactions/jsapi"),
                ("outcome", "ok"),
            ],
            2.0,
        ),
        (
            "wxgate_wechat_calls_total",
            &[
                ("service", "wechat_pay"),
                (
                    "endpoint",
                    "/v3/pay/transactions/out-trade-no/{out_trade_no}",
                ),
                ("outcome", "ok"),
            ],
            1.0,
        ),
        (
            "wxgate_wechat_call_duration_seconds_count",
            &[("service", "wechat"), ("endpoint", "/sns/jscode2session")],
            2.0,
        ),
        (
            "wxgate_wechat_call_duration_seconds_bucket",
            &[
                ("service", "wechat"),
                ("endpoint", "/sns/jscode2session"),
                ("le", "+Inf"),
            ],
            2.0,
        ),
        (
            "wxgate_token_refreshes_total",
            &[
                ("app", mp_appid),
                ("token", "access_token"),
                ("outcome", "ok"),
            ],
            1.0,
        ),
        ("wxgate_open_unpaid_orders", &[], 1.0),
    ];
    for (series, labels, count) in expected {
        assert_eq!(
            value(&scraped, series, labels),
            Some(*count),
            "{series}{labels:?} in:\n{scraped}"
        );
    }
    assert!(
        value(&scraped, "wxgate_sweeper_runs_total", &[("outcome", "ok")])
            .is_some_and(|runs| runs >= 1.0),
        "the sweep at start-up is counted:\n{scraped}"
    );
    assert!(
        scraped.contains("# TYPE wxgate_wechat_call_duration_seconds histogram"),
        "{scraped}"
    );

    // Nothing that names a person, an order or a credential.
    let db = database.connect().await;
    let column = |query: &'static str| {
        let db = db.clone();
        async move {
            let rows: Vec<(Option<String>,)> = sqlx::query_as(query)
                .fetch_all(db.pool())
                .await
                .expect(query);
            rows.into_iter()
                .filter_map(|(value,)| value)
                .collect::<Vec<String>>()
        }
    };
    let mut secrets = vec![token.clone(), phone_code, paid_id, open_id, paid_no];
    secrets.extend(column("SELECT openid FROM identities").await);
    secrets.extend(column("SELECT unionid FROM identities").await);
    secrets.extend(column("SELECT session_key FROM mp_session_keys").await);
    secrets.extend(column("SELECT value FROM wechat_tokens").await);
    secrets.extend(column("SELECT out_trade_no FROM orders").await);
    secrets.extend(column("SELECT transaction_id FROM orders").await);
    secrets.extend(column("SELECT phone FROM users").await);
    for name in ["mp_secret", "oa_secret", "web_secret", "apiv3_key"] {
        secrets.push(credentials[name].as_str().expect(name).to_owned());
    }
    assert!(
        secrets.len() > 14,
        "the tokens and ids were all found: {secrets:?}"
    );
    for secret in secrets.iter().filter(|secret| !secret.is_empty()) {
        assert!(
            !scraped.contains(secret.as_str()),
            "{secret} is in the scrape:\n{scraped}"
        );
    }
}

/// Starts wxgate with metrics on a free port; the server and the metrics address.
async fn with_metrics(database: &TestDatabase, env: &[(&str, &str)]) -> (WxgateProcess, String) {
    let address = format!("127.0.0.1:{}", free_port());
    let mut env = env.to_vec();
    env.push(("WXGATE_METRICS_ADDR", &address));
    (WxgateProcess::start(database, &env).await, address)
}

async fn refused_notifications_are_counted_by_their_reason(database: TestDatabase) {
    let (server, address) = with_metrics(&database, &[]).await;
    let credentials: Value = serde_json::from_str(
        &std::fs::read_to_string(database.data_dir().join("sandbox/credentials.json"))
            .expect("credentials"),
    )
    .expect("json");
    let token = server.mini_program_login("xiaoming").await;
    let created = server.mini_program_order(&token, "green-tea").await;
    let (_, order) = server
        .order(&token, created["order_id"].as_str().expect("order id"))
        .await;
    let resource = json!({
        "appid": credentials["mp_appid"], "mchid": credentials["mchid"], "out_trade_no": created["out_trade_no"],
        "transaction_id": "4200000000202611210000000001", "trade_type": "JSAPI", "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功", "success_time": "2026-11-21T12:00:00+08:00",
        "amount": { "total": order["total_fen"], "payer_total": order["total_fen"], "currency": "CNY", "payer_currency": "CNY" },
    });
    let apiv3_key = credentials["apiv3_key"].as_str().expect("key");

    let mut tampered = forge(&credentials, &resource, apiv3_key, 0);
    tampered.body = tampered.body.replacen("支付成功", "支付成功 ", 1);
    let mut unknown_serial = forge(&credentials, &resource, apiv3_key, 0);
    unknown_serial.serial = "PUB_KEY_ID_0199999999999999999999999999".to_owned();
    let mut underpaid = resource.clone();
    underpaid["amount"]["total"] = json!(1);
    let wrong_key = "0123456789abcdef0123456789abcdef";
    let cases = [
        ("bad_signature", tampered),
        (
            "stale_timestamp",
            forge(&credentials, &resource, apiv3_key, -3600),
        ),
        ("unknown_serial", unknown_serial),
        (
            "decrypt_failure",
            forge(&credentials, &resource, wrong_key, 0),
        ),
        ("mismatch", forge(&credentials, &underpaid, apiv3_key, 0)),
    ];
    for (reason, forged) in &cases {
        let (status, answer) = deliver(&server, forged).await;
        assert!(status >= 400, "{reason}: {status} {answer}");
    }
    let unsigned = reqwest::Client::new()
        .post(server.url("/api/webhooks/wechat-pay"))
        .body("{}")
        .send()
        .await
        .expect("webhook");
    assert_eq!(unsigned.status(), 401);

    let scraped = scrape(&address).await;
    for reason in cases
        .iter()
        .map(|(reason, _)| *reason)
        .chain(["missing_header"])
    {
        assert_eq!(
            value(
                &scraped,
                "wxgate_pay_notifications_refused_total",
                &[("reason", reason)]
            ),
            Some(1.0),
            "{reason} in:\n{scraped}"
        );
    }
    assert_eq!(
        value(
            &scraped,
            "wxgate_pay_notifications_total",
            &[("outcome", "refused")]
        ),
        Some(6.0),
        "{scraped}"
    );
}

async fn the_daily_reconciliation_is_counted_by_its_outcome(database: TestDatabase) {
    // Yesterday is due at once; the sandbox has no bill for it (NO_STATEMENT_EXIST), and no order either: it agrees.
    let (_server, address) = with_metrics(&database, &[("WXGATE_RECONCILE_AT", "00:00")]).await;
    let scraped = until_value(
        &address,
        "wxgate_reconciliation_runs_total",
        &[("outcome", "agrees")],
        1.0,
    )
    .await;
    assert_eq!(
        value(
            &scraped,
            "wxgate_wechat_calls_total",
            &[
                ("service", "wechat_pay"),
                ("endpoint", "/v3/bill/tradebill"),
                ("outcome", "NO_STATEMENT_EXIST"),
            ]
        ),
        Some(1.0),
        "{scraped}"
    );
}

#[test]
fn doctor_shows_where_metrics_are_served() {
    let database = TestDatabase::sqlite();
    let off = run_to_exit(&database, &["doctor"], &[]);
    let off = String::from_utf8_lossy(&off.stdout);
    assert!(
        off.contains("Metrics:               off (set WXGATE_METRICS_ADDR, e.g. 127.0.0.1:9464)"),
        "{off}"
    );

    let on = run_to_exit(
        &database,
        &["doctor"],
        &[("WXGATE_METRICS_ADDR", "127.0.0.1:9464")],
    );
    let on = String::from_utf8_lossy(&on.stdout);
    assert!(
        on.contains("Metrics:               on (GET http://127.0.0.1:9464/metrics, a listener of its own, this machine only)"),
        "{on}"
    );
}

#[test]
fn a_bad_metrics_address_stops_serve_at_start_up() {
    let database = TestDatabase::sqlite();
    let output = run_to_exit(
        &database,
        &["serve"],
        &[("WXGATE_METRICS_ADDR", "localhost:metrics")],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(78), "{stderr}");
    assert!(
        stderr.contains("WXGATE_METRICS_ADDR: must be an IP address and port"),
        "{stderr}"
    );
}
